import Stripe from 'stripe';
import { z } from 'zod';
import { isCurrency } from '../domain/money';
import { fromStripeAmount } from './stripe-amounts';
import { WebhookError, type GatewayAdapter, type GatewayFact } from './types';

/** Stripe's default signature tolerance: events older (or newer) than this are replays. */
export const STRIPE_TOLERANCE_SECONDS = 300;

const minor = z.number().int('must be an integer number of minor units').nonnegative('must not be negative').max(Number.MAX_SAFE_INTEGER);
const currency = z.string().transform((c) => c.toUpperCase()).refine(isCurrency, 'unsupported currency');
const metadata = z.record(z.string(), z.string()).nullish();
const id = z.string().min(1).max(255);

const paymentIntent = z.object({ id, amount_received: minor, currency, metadata, payment_method_types: z.array(z.string()).optional(), last_payment_error: z.object({ message: z.string().optional(), code: z.string().optional() }).nullish() });
const checkoutSession = z.object({ id, amount_total: minor, currency, metadata, client_reference_id: z.string().nullish(), payment_intent: z.string().nullish(), payment_status: z.string() });
const dispute = z.object({ id, charge: z.string(), payment_intent: z.string().nullish(), amount: minor, currency, status: z.string(), metadata });
const charge = z.object({ id, payment_intent: z.string().nullish(), amount_refunded: minor, currency, metadata });

/**
 * Stripe: `Stripe-Signature` is verified over the raw body by the official package
 * (`Stripe.webhooks.constructEvent`); the invoice is `data.object.metadata.invoice_id`.
 */
export function stripeAdapter(secret: string): GatewayAdapter {
  return {
    name: 'stripe',
    parse(rawBody, headers, nowSeconds) {
      const signature = headers['stripe-signature'];
      if (typeof signature !== 'string' || signature.length === 0) throw new WebhookError(400, 'SIGNATURE_MISSING', 'missing Stripe-Signature header');
      let event: Stripe.Event;
      try {
        // receivedAt is in milliseconds: passing seconds would make every old event look fresh.
        event = Stripe.webhooks.constructEvent(rawBody, signature, secret, STRIPE_TOLERANCE_SECONDS, undefined, nowSeconds * 1000);
      } catch (err) {
        if (err instanceof Stripe.errors.StripeSignatureVerificationError) throw new WebhookError(400, 'SIGNATURE_INVALID', `signature verification failed: ${err.message}`);
        throw new WebhookError(400, 'MALFORMED', 'body is not a Stripe event');
      }
      // Stripe only rejects old timestamps; a signature dated in the future is refused too.
      const signedAt = Number(/(?:^|,)t=(\d+)/.exec(signature)?.[1]);
      if (signedAt - nowSeconds > STRIPE_TOLERANCE_SECONDS) throw new WebhookError(400, 'SIGNATURE_INVALID', 'signature timestamp is in the future');
      return { id: event.id, type: event.type, occurredAt: new Date(event.created * 1000).toISOString(), fact: factOf(event) };
    },
  };
}

function parse<S extends z.ZodType>(schema: S, value: unknown, type: string): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw new WebhookError(400, 'INVALID_EVENT', `${type}: data.object.${issue.path.join('.')}: ${issue.message}`);
  }
  return result.data;
}

/** Stripe's amount in our minor units; Stripe never sends one that is not a whole number of them. */
function minorUnits(amount: number, currency: string, type: string, field: string): number {
  const cents = fromStripeAmount(amount, currency);
  if (cents === null) throw new WebhookError(400, 'INVALID_EVENT', `${type}: data.object.${field}: ${amount} is not a whole amount of ${currency}`);
  return cents;
}

function factOf(event: Stripe.Event): GatewayFact {
  const object = (event.data as { object: unknown }).object;
  switch (event.type) {
    case 'payment_intent.succeeded': {
      const pi = parse(paymentIntent, object, event.type);
      return { kind: 'payment', invoiceId: pi.metadata?.invoice_id ?? null, paymentId: pi.id, amountCents: minorUnits(pi.amount_received, pi.currency, event.type, 'amount_received'), currency: pi.currency, method: pi.payment_method_types?.[0] ?? 'card' };
    }
    case 'checkout.session.completed':
    case 'checkout.session.async_payment_succeeded': {
      const cs = parse(checkoutSession, object, event.type);
      // A delayed method (bank debit) completes the session unpaid; its money arrives with async_payment_succeeded.
      if (cs.payment_status !== 'paid') return { kind: 'none' };
      // The PaymentIntent id is the payment's identity, so the session and its payment_intent.succeeded apply once.
      return { kind: 'payment', invoiceId: cs.metadata?.invoice_id ?? cs.client_reference_id ?? null, paymentId: cs.payment_intent ?? cs.id, amountCents: minorUnits(cs.amount_total, cs.currency, event.type, 'amount_total'), currency: cs.currency, method: 'checkout' };
    }
    case 'checkout.session.async_payment_failed': {
      const cs = parse(checkoutSession, object, event.type);
      return { kind: 'payment_failed', invoiceId: cs.metadata?.invoice_id ?? cs.client_reference_id ?? null, paymentId: cs.payment_intent ?? cs.id, reason: 'delayed payment failed' };
    }
    case 'payment_intent.payment_failed': {
      const pi = parse(paymentIntent, object, event.type);
      return { kind: 'payment_failed', invoiceId: pi.metadata?.invoice_id ?? null, paymentId: pi.id, reason: pi.last_payment_error?.message ?? pi.last_payment_error?.code ?? 'payment failed' };
    }
    case 'charge.refunded': {
      const ch = parse(charge, object, event.type);
      // amount_refunded is cumulative: the id names the total, the relay applies the increase.
      return { kind: 'refund', invoiceId: ch.metadata?.invoice_id ?? null, paymentId: ch.payment_intent ?? ch.id, refundId: `${ch.id}:refunded:${ch.amount_refunded}`, amountCents: minorUnits(ch.amount_refunded, ch.currency, event.type, 'amount_refunded'), currency: ch.currency };
    }
    case 'charge.dispute.created':
    case 'charge.dispute.closed': {
      const dp = parse(dispute, object, event.type);
      const stage = event.type === 'charge.dispute.created' ? 'opened' : dp.status === 'lost' ? 'lost' : 'won';
      // A dispute names its charge, not our invoice: the relay finds the invoice through the payment.
      return { kind: 'chargeback', invoiceId: dp.metadata?.invoice_id ?? null, paymentId: dp.payment_intent ?? dp.charge, disputeId: dp.id, stage, amountCents: minorUnits(dp.amount, dp.currency, event.type, 'amount'), currency: dp.currency };
    }
    default:
      return { kind: 'none' };
  }
}
