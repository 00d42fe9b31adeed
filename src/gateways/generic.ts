import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { isCurrency } from '../domain/money';
import { describeIssues } from '../domain/policy-schema';
import { WebhookError, type GatewayAdapter } from './types';
import { instant, minorUnits, singleLine } from '../domain/input';

export const GENERIC_TOLERANCE_SECONDS = 300;

/** The documented body of `POST /webhooks/generic`. */
export const genericEventSchema = z
  .strictObject({
    id: singleLine(255),
    type: z.enum(['payment.succeeded', 'payment.failed', 'payment.refunded']),
    /** The invoice paid; or, for `payment.succeeded`, `customerId` instead: paid to the account, applied oldest first. */
    invoiceId: z.uuid().optional(),
    customerId: z.uuid().optional(),
    amountCents: minorUnits(),
    currency: z
      .string()
      .transform((c) => c.toUpperCase())
      .refine(isCurrency, 'unsupported currency'),
    occurredAt: instant,
    method: singleLine(50).optional(),
    reference: singleLine(200).optional(),
    paymentId: singleLine(255).optional(),
  })
  .superRefine((e, ctx) => {
    if (e.invoiceId && e.customerId)
      ctx.addIssue({ code: 'custom', path: ['customerId'], message: 'give invoiceId or customerId, not both' });
    else if (!e.invoiceId && (e.type !== 'payment.succeeded' || !e.customerId))
      ctx.addIssue({
        code: 'custom',
        path: ['invoiceId'],
        message: e.type === 'payment.succeeded' ? 'name the invoice (invoiceId) or the customer (customerId)' : 'is required',
      });
  });

/** `X-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`. */
export function signGeneric(rawBody: string | Buffer, secret: string, timestamp: number): string {
  const mac = createHmac('sha256', secret).update(`${timestamp}.`).update(rawBody).digest('hex');
  return `t=${timestamp},v1=${mac}`;
}

/**
 * Any gateway that can sign like Stripe: HMAC-SHA256 over `"<t>.<raw body>"`, 300 s tolerance,
 * constant-time comparison. Keys rotate without a gap: the sender may put several `v1=` values in
 * the header (one per key it signs with), and we may hold several secrets (the new and the old);
 * any pair that matches is enough.
 */
export function genericAdapter(secrets: string | readonly string[]): GatewayAdapter {
  const keys = [secrets].flat();
  return {
    name: 'generic',
    parse(rawBody, headers, nowSeconds) {
      const header = headers['x-signature'];
      if (typeof header !== 'string' || header.length === 0) throw new WebhookError('SIGNATURE_MISSING', 'missing X-Signature header');
      const parts = header.split(',').map((p) => p.trim().split('=', 2) as [string, string | undefined]);
      const t = Number(parts.find(([k]) => k === 't')?.[1]);
      const signatures = parts.filter(([k]) => k === 'v1').map(([, v]) => v ?? '');
      if (!Number.isInteger(t) || signatures.length === 0 || signatures.some((v) => !/^[0-9a-f]{64}$/i.test(v))) {
        throw new WebhookError('SIGNATURE_INVALID', 'X-Signature must be t=<unix seconds>,v1=<hex HMAC-SHA256>[,v1=…]');
      }
      if (Math.abs(nowSeconds - t) > GENERIC_TOLERANCE_SECONDS)
        throw new WebhookError('SIGNATURE_EXPIRED', `signature timestamp is outside the ${GENERIC_TOLERANCE_SECONDS} s tolerance`);
      const expected = keys.map((key) => Buffer.from(signGeneric(rawBody, key, t).split('v1=')[1]!, 'hex'));
      // Every comparison runs, so timing says nothing about which one matched.
      let matched = false;
      for (const e of expected) for (const v of signatures) matched = timingSafeEqual(e, Buffer.from(v, 'hex')) || matched;
      if (!matched) throw new WebhookError('SIGNATURE_INVALID', 'signature does not match');

      let json: unknown;
      try {
        json = JSON.parse(rawBody.toString('utf8'));
      } catch {
        throw new WebhookError('MALFORMED', 'body is not valid JSON');
      }
      const parsed = genericEventSchema.safeParse(json);
      if (!parsed.success) throw new WebhookError('INVALID_EVENT', describeIssues(parsed.error));
      const e = parsed.data;
      const paymentId = e.paymentId ?? e.id;
      const fact =
        e.type === 'payment.succeeded'
          ? {
              kind: 'payment' as const,
              invoiceId: e.invoiceId ?? null,
              ...(e.customerId ? { customerId: e.customerId } : {}),
              paymentId,
              amountCents: e.amountCents,
              currency: e.currency,
              ...(e.method ? { method: e.method } : {}),
              ...(e.reference ? { reference: e.reference } : {}),
            }
          : e.type === 'payment.failed'
            ? { kind: 'payment_failed' as const, invoiceId: e.invoiceId ?? null, paymentId, reason: e.reference ?? 'payment failed' }
            : {
                kind: 'refund' as const,
                invoiceId: e.invoiceId ?? null,
                paymentId,
                refundId: e.id,
                amountCents: e.amountCents,
                currency: e.currency,
              };
      return { id: e.id, type: e.type, occurredAt: e.occurredAt, fact };
    },
  };
}
