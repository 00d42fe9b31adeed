import Stripe from 'stripe';
import { toStripeAmount } from './stripe-amounts';

/** A hosted payment page for one amount of one invoice. */
export interface CheckoutSession {
  readonly id: string;
  readonly url: string;
  readonly expiresAt: Date;
}

export interface CheckoutRequest {
  /**
   * What the money pays: one invoice (`metadata.invoice_id`), or a customer's open invoices
   * (`metadata.customer_id`; the payment is allocated oldest first when it arrives).
   */
  readonly for: { readonly invoiceId: string; readonly invoiceNumber: string } | { readonly customerId: string };
  /** The line the customer sees on the payment page. */
  readonly description: string;
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
 * Stripe Checkout. Every session carries `metadata.invoice_id` (or, paying a customer's open
 * invoices, `metadata.customer_id`) on the session and on its PaymentIntent, which is how the
 * webhook finds where the money goes when the customer has paid.
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
      const invoice = 'invoiceId' in r.for ? r.for : null;
      const metadata: Record<string, string> = invoice
        ? { invoice_id: invoice.invoiceId, invoice_number: invoice.invoiceNumber }
        : { customer_id: (r.for as { customerId: string }).customerId };
      const session = await stripe.checkout.sessions.create(
        {
          mode: 'payment',
          line_items: [
            {
              quantity: 1,
              price_data: {
                currency: r.currency.toLowerCase(),
                unit_amount: toStripeAmount(r.amountCents, r.currency),
                product_data: { name: r.description },
              },
            },
          ],
          ...(invoice ? { client_reference_id: invoice.invoiceId } : {}),
          customer_email: r.customerEmail,
          metadata,
          payment_intent_data: { metadata, description: r.description },
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
