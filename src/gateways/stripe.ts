import Stripe from 'stripe';
import { z } from 'zod';
import { isCurrency } from '../domain/money';
import { fromStripeAmount } from './stripe-amounts';
import { WebhookError, type GatewayAdapter, type GatewayFact } from './types';
import { MAX_AMOUNT_MINOR } from '../domain/money';
import { multiLine, singleLine } from '../domain/input';
import { CONTROL_CHARACTERS_MESSAGE, isStorableText } from '../domain/text';

/** Stripe's default signature tolerance: events older (or newer) than this are replays. */
export const STRIPE_TOLERANCE_SECONDS = 300;

// Stripe's own amounts: ISK is in hundredths, so the bound is a hundred times ours.
const minor = z
  .number()
  .int('must be an integer number of minor units')
  .nonnegative('must not be negative')
  .max(MAX_AMOUNT_MINOR * 100);
const positive = minor.refine((n) => n > 0, 'must be greater than 0');
const currency = z
  .string()
  .transform((c) => c.toUpperCase())
  .refine(isCurrency, 'unsupported currency');
const id = singleLine(255);
/** Our invoice id, when a metadata value carries one; another integration's metadata names no invoice of ours. */
const invoiceRef = z
  .string()
  .max(500)
  .refine((v) => isStorableText(v), CONTROL_CHARACTERS_MESSAGE)
  .nullish()
  .transform((v) => (v && z.uuid().safeParse(v).success ? v : null));
/** `customer_id`: a "pay everything" session of ours, for the customer's open invoices. */
const metadata = z.object({ invoice_id: invoiceRef, customer_id: invoiceRef }).loose().nullish();
/** Who the money is for when it names no invoice: the customer (applied oldest first). */
const customerOf = (m: { invoice_id?: string | null; customer_id?: string | null } | null | undefined, invoiceId: string | null) =>
  !invoiceId && m?.customer_id ? { customerId: m.customer_id } : {};

/** The envelope every event shares; Stripe's SDK checks only the signature. */
const envelope = z.object({
  id,
  type: singleLine(100),
  created: z
    .number()
    .int('must be a Unix time in seconds')
    .min(0)
    .max(Date.parse('2199-12-31T23:59:59Z') / 1000, 'is beyond any date we keep'),
  data: z.object({ object: z.record(z.string(), z.unknown()) }, { error: 'data.object must be an object' }),
});

const paymentIntent = z.object({
  id,
  amount_received: minor,
  currency,
  metadata,
  payment_method_types: z.array(singleLine(50)).optional(),
  last_payment_error: z.object({ message: multiLine(1000).optional(), code: singleLine(100).optional() }).nullish(),
});
const succeededIntent = paymentIntent.extend({ amount_received: positive });
const checkoutSession = z.object({
  id,
  amount_total: minor,
  currency,
  metadata,
  client_reference_id: invoiceRef,
  payment_intent: id.nullish(),
  payment_status: singleLine(50),
});
const paidSession = checkoutSession.extend({ amount_total: positive });
const dispute = z.object({ id, charge: id, payment_intent: id.nullish(), amount: positive, currency, status: singleLine(50), metadata });
const charge = z.object({ id, payment_intent: id.nullish(), amount_refunded: minor, currency, metadata });

/**
 * Stripe: `Stripe-Signature` is verified over the raw body by the official package
 * (`Stripe.webhooks.constructEvent`); the invoice is `data.object.metadata.invoice_id`.
 */
export function stripeAdapter(secret: string): GatewayAdapter {
  return {
    name: 'stripe',
    parse(rawBody, headers, nowSeconds) {
      const signature = headers['stripe-signature'];
      if (typeof signature !== 'string' || signature.length === 0)
        throw new WebhookError('SIGNATURE_MISSING', 'missing Stripe-Signature header');
      let event: Stripe.Event;
      try {
        // receivedAt is in milliseconds: passing seconds would make every old event look fresh.
        event = Stripe.webhooks.constructEvent(rawBody, signature, secret, STRIPE_TOLERANCE_SECONDS, undefined, nowSeconds * 1000);
      } catch (err) {
        if (err instanceof Stripe.errors.StripeSignatureVerificationError)
          throw new WebhookError('SIGNATURE_INVALID', `signature verification failed: ${err.message}`);
        throw new WebhookError('MALFORMED', 'body is not a Stripe event');
      }
      // Stripe only rejects old timestamps; a signature dated in the future is refused too.
      const signedAt = Number(/(?:^|,)t=(\d+)/.exec(signature)?.[1]);
      if (signedAt - nowSeconds > STRIPE_TOLERANCE_SECONDS)
        throw new WebhookError('SIGNATURE_INVALID', 'signature timestamp is in the future');
      const checked = envelope.safeParse(event);
      if (!checked.success) {
        const issue = checked.error.issues[0]!;
        throw new WebhookError('INVALID_EVENT', `${issue.path.join('.') || 'event'}: ${issue.message}`);
      }
      return {
        id: checked.data.id,
        type: checked.data.type,
        occurredAt: new Date(checked.data.created * 1000).toISOString(),
        fact: factOf(event),
      };
    },
  };
}

function parse<S extends z.ZodType>(schema: S, value: unknown, type: string): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw new WebhookError('INVALID_EVENT', `${type}: data.object.${issue.path.join('.')}: ${issue.message}`);
  }
  return result.data;
}

/** Stripe's amount in our minor units; Stripe never sends one that is not a whole number of them. */
function minorUnits(amount: number, currency: string, type: string, field: string): number {
  const cents = fromStripeAmount(amount, currency);
  if (cents === null)
    throw new WebhookError('INVALID_EVENT', `${type}: data.object.${field}: ${amount} is not a whole amount of ${currency}`);
  return cents;
}

function factOf(event: Stripe.Event): GatewayFact {
  const object = (event.data as { object: unknown }).object;
  switch (event.type) {
    case 'payment_intent.succeeded': {
      const pi = parse(succeededIntent, object, event.type);
      return {
        kind: 'payment',
        invoiceId: pi.metadata?.invoice_id ?? null,
        ...customerOf(pi.metadata, pi.metadata?.invoice_id ?? null),
        paymentId: pi.id,
        amountCents: minorUnits(pi.amount_received, pi.currency, event.type, 'amount_received'),
        currency: pi.currency,
        method: pi.payment_method_types?.[0] ?? 'card',
      };
    }
    case 'checkout.session.completed':
    case 'checkout.session.async_payment_succeeded': {
      const session = parse(checkoutSession, object, event.type);
      // A delayed method (bank debit) completes the session unpaid; its money arrives with async_payment_succeeded.
      if (session.payment_status !== 'paid') return { kind: 'none' };
      const cs = parse(paidSession, object, event.type);
      // The PaymentIntent id is the payment's identity, so the session and its payment_intent.succeeded apply once.
      const invoiceId = cs.metadata?.invoice_id ?? cs.client_reference_id ?? null;
      return {
        kind: 'payment',
        invoiceId,
        ...customerOf(cs.metadata, invoiceId),
        paymentId: cs.payment_intent ?? cs.id,
        amountCents: minorUnits(cs.amount_total, cs.currency, event.type, 'amount_total'),
        currency: cs.currency,
        method: 'checkout',
      };
    }
    case 'checkout.session.async_payment_failed': {
      const cs = parse(checkoutSession, object, event.type);
      return {
        kind: 'payment_failed',
        invoiceId: cs.metadata?.invoice_id ?? cs.client_reference_id ?? null,
        paymentId: cs.payment_intent ?? cs.id,
        reason: 'delayed payment failed',
      };
    }
    case 'payment_intent.payment_failed': {
      const pi = parse(paymentIntent, object, event.type);
      return {
        kind: 'payment_failed',
        invoiceId: pi.metadata?.invoice_id ?? null,
        paymentId: pi.id,
        reason: pi.last_payment_error?.message ?? pi.last_payment_error?.code ?? 'payment failed',
      };
    }
    case 'charge.refunded': {
      const ch = parse(charge, object, event.type);
      // amount_refunded is cumulative: the id names the total, the relay applies the increase.
      return {
        kind: 'refund',
        invoiceId: ch.metadata?.invoice_id ?? null,
        paymentId: ch.payment_intent ?? ch.id,
        refundId: `${ch.id}:refunded:${ch.amount_refunded}`,
        amountCents: minorUnits(ch.amount_refunded, ch.currency, event.type, 'amount_refunded'),
        currency: ch.currency,
      };
    }
    case 'charge.dispute.created':
    case 'charge.dispute.closed': {
      const dp = parse(dispute, object, event.type);
      const stage = event.type === 'charge.dispute.created' ? 'opened' : dp.status === 'lost' ? 'lost' : 'won';
      // A dispute names its charge, not our invoice: the relay finds the invoice through the payment.
      return {
        kind: 'chargeback',
        invoiceId: dp.metadata?.invoice_id ?? null,
        paymentId: dp.payment_intent ?? dp.charge,
        disputeId: dp.id,
        stage,
        amountCents: minorUnits(dp.amount, dp.currency, event.type, 'amount'),
        currency: dp.currency,
      };
    }
    default:
      return { kind: 'none' };
  }
}
