import type { Sql } from '../db/client';
import { closeCheckoutSession, findOpenCheckoutSession, insertCheckoutSession, type CheckoutFor } from '../db/checkout-sessions';
import { findCustomer } from '../db/customers';
import { findInvoice } from '../db/invoices';
import { DomainError, ErrorCode } from '../domain/errors';
import type { CheckoutProvider, CheckoutRequest, CheckoutSession } from '../gateways/stripe-checkout';
import type { Logger } from '../log';

/** A session is not handed out when it would expire this soon after. */
const MIN_REMAINING_MS = 10 * 60_000;

export interface StartCheckoutDeps {
  readonly sql: Sql;
  readonly checkout?: CheckoutProvider | undefined;
  readonly publicUrl: string;
  readonly log: Logger;
  readonly now: () => Date;
}

export type StartedCheckout = CheckoutSession & { amountCents: number; currency: string };

/**
 * Opens (or reuses) the hosted payment page for what an invoice owes now. The pay link in emails
 * stays the same for the invoice's whole life; the session behind it is made when the customer
 * clicks, for the amount due at that moment.
 *
 * @throws DomainError NOT_FOUND, INVOICE_PAID, INVOICE_NOT_OPEN, CHECKOUT_NOT_CONFIGURED, CHECKOUT_UNAVAILABLE
 */
export async function startCheckout(deps: StartCheckoutDeps, invoiceId: string): Promise<StartedCheckout> {
  const { sql } = deps;
  if (!deps.checkout) throw notConfigured();
  const invoice = await findInvoice(sql, invoiceId);
  if (!invoice) throw new DomainError(ErrorCode.NOT_FOUND, `invoice ${invoiceId} does not exist`);
  if (invoice.status === 'paid') throw new DomainError(ErrorCode.INVOICE_PAID, `invoice ${invoice.number} is already paid`);
  if (invoice.status !== 'open' || invoice.amountDueCents <= 0)
    throw new DomainError(ErrorCode.INVOICE_NOT_OPEN, `invoice ${invoice.number} is ${invoice.status}; it cannot be paid online`);
  const customer = await findCustomer(sql, invoice.customerId);
  if (!customer) throw new DomainError(ErrorCode.NOT_FOUND, `customer ${invoice.customerId} does not exist`);
  const payPage = `${deps.publicUrl}/pay/${invoice.id}`;
  return openCheckoutSession(deps, { invoiceId: invoice.id }, `invoice-${invoice.id}`, {
    for: { invoiceId: invoice.id, invoiceNumber: invoice.number },
    description: `Invoice ${invoice.number}`,
    customerEmail: customer.email,
    amountCents: invoice.amountDueCents,
    currency: invoice.currency,
    successUrl: `${payPage}?checkout=success`,
    cancelUrl: `${payPage}?checkout=cancelled`,
  });
}

export const notConfigured = () =>
  new DomainError(ErrorCode.CHECKOUT_NOT_CONFIGURED, 'online payment is not configured (set STRIPE_SECRET_KEY)');

/**
 * The session for an amount: an open one for the same amount is reused; one for an amount that has
 * since changed (late fee, partial payment) is expired first, so nobody pays a stale amount.
 * Creation is keyed per purpose and session number, so concurrent clicks and retries get one session.
 */
export async function openCheckoutSession(
  deps: StartCheckoutDeps,
  what: CheckoutFor,
  keyPrefix: string,
  request: Omit<CheckoutRequest, 'idempotencyKey'>,
): Promise<StartedCheckout> {
  const { sql } = deps;
  const checkout = deps.checkout;
  if (!checkout) throw notConfigured();
  const { amountCents, currency } = request;
  const { open, count } = await findOpenCheckoutSession(sql, what, new Date(deps.now().getTime() + MIN_REMAINING_MS));
  if (open && open.amountCents === amountCents && open.currency === currency)
    return { id: open.id, url: open.url, expiresAt: open.expiresAt, amountCents, currency };
  if (open) {
    // Best effort: a session that cannot be expired has just been paid, and its webhook settles it.
    await checkout
      .expireSession(open.id)
      .catch((err) => deps.log.warn({ err: String(err), ...what, sessionId: open.id }, 'could not expire a stale checkout session'));
    await closeCheckoutSession(sql, open.id);
  }
  const seq = count + 1;
  let session: CheckoutSession;
  try {
    session = await checkout.createSession({ ...request, idempotencyKey: `${keyPrefix}/checkout-${seq}/${currency}-${amountCents}` });
  } catch (err) {
    deps.log.error({ err: String(err), ...what, provider: checkout.name }, 'checkout session could not be created');
    throw new DomainError(
      ErrorCode.CHECKOUT_UNAVAILABLE,
      `${checkout.name} is not available right now; try again shortly or pay by bank transfer`,
    );
  }
  await insertCheckoutSession(sql, {
    ...session,
    provider: checkout.name,
    invoiceId: 'invoiceId' in what ? what.invoiceId : null,
    customerId: 'customerId' in what ? what.customerId : null,
    seq,
    amountCents,
    currency,
  });
  return { ...session, amountCents, currency };
}
