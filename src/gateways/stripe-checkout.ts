import Stripe from 'stripe';
import { toStripeAmount } from './stripe-amounts';

/** A hosted payment page for one amount of one invoice. */
export interface CheckoutSession {
  readonly id: string;
  readonly url: string;
  readonly expiresAt: Date;
}

export interface CheckoutRequest {
  readonly invoiceId: string;
  readonly invoiceNumber: string;
  readonly customerEmail: string;
  readonly amountCents: number;
  readonly currency: string;
  readonly successUrl: string;
  readonly cancelUrl: string;
  /** Same key, same session: a retried or concurrent request never opens a second one. */
  readonly idempotencyKey: string;
}

/** Where the pay link sends a customer who pays online. */
export interface CheckoutProvider {
  readonly name: string;
  createSession(request: CheckoutRequest): Promise<CheckoutSession>;
  /** Closes a session that no longer matches the amount due (so it cannot be paid any more). */
  expireSession(id: string): Promise<void>;
}

/**
 * Stripe Checkout. Every session carries `metadata.invoice_id` (on the session and on its
 * PaymentIntent), which is how the webhook finds the invoice when the customer has paid.
 * `baseUrl` points the official SDK at another API host (a local recorder in tests).
 */
export function stripeCheckout(o: { secretKey: string; baseUrl?: string }): CheckoutProvider {
  const base = o.baseUrl ? new URL(o.baseUrl) : undefined;
  const protocol = base?.protocol === 'http:' ? 'http' : 'https';
  const stripe = new Stripe(o.secretKey, {
    maxNetworkRetries: 2,
    timeout: 10_000,
    appInfo: { name: 'collections-engine' },
    ...(base ? { host: base.hostname, port: base.port || (protocol === 'http' ? 80 : 443), protocol } : {}),
  });
  return {
    name: 'stripe',
    async createSession(r) {
      const metadata = { invoice_id: r.invoiceId, invoice_number: r.invoiceNumber };
      const session = await stripe.checkout.sessions.create(
        {
          mode: 'payment',
          line_items: [
            {
              quantity: 1,
              price_data: {
                currency: r.currency.toLowerCase(),
                unit_amount: toStripeAmount(r.amountCents, r.currency),
                product_data: { name: `Invoice ${r.invoiceNumber}` },
              },
            },
          ],
          client_reference_id: r.invoiceId,
          customer_email: r.customerEmail,
          metadata,
          payment_intent_data: { metadata, description: `Invoice ${r.invoiceNumber}` },
          success_url: r.successUrl,
          cancel_url: r.cancelUrl,
        },
        { idempotencyKey: r.idempotencyKey },
      );
      if (!session.url) throw new Error(`Stripe returned checkout session ${session.id} without a url`);
      return { id: session.id, url: session.url, expiresAt: new Date(session.expires_at * 1000) };
    },
    async expireSession(id) {
      await stripe.checkout.sessions.expire(id);
    },
  };
}
