import type { Sql } from '../db/client';
import { closeCheckoutSession, findOpenCheckoutSession, insertCheckoutSession } from '../db/checkout-sessions';
import { findCustomer } from '../db/customers';
import { findInvoice } from '../db/invoices';
import { DomainError, ErrorCode } from '../domain/errors';
import type { CheckoutProvider, CheckoutSession } from '../gateways/stripe-checkout';
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

/**
 * Opens (or reuses) the hosted payment page for what an invoice owes now. The pay link in emails
 * stays the same for the invoice's whole life; the session behind it is made when the customer
 * clicks, for the amount due at that moment. An open session for the same amount is reused; one for
 * an amount that has since changed (late fee, partial payment) is expired first, so nobody pays a
 * stale amount. Creation is keyed per invoice and session number, so concurrent clicks and
 * retries get the one session.
 *
 * @throws DomainError NOT_FOUND, INVOICE_PAID, INVOICE_NOT_OPEN, CHECKOUT_NOT_CONFIGURED, CHECKOUT_UNAVAILABLE
 */
export async function startCheckout(
  deps: StartCheckoutDeps,
  invoiceId: string,
): Promise<CheckoutSession & { amountCents: number; currency: string }> {
  const { sql, checkout } = deps;
  if (!checkout) throw new DomainError(ErrorCode.CHECKOUT_NOT_CONFIGURED, 'online payment is not configured (set STRIPE_SECRET_KEY)');
  const invoice = await findInvoice(sql, invoiceId);
  if (!invoice) throw new DomainError(ErrorCode.NOT_FOUND, `invoice ${invoiceId} does not exist`);
  if (invoice.status === 'paid') throw new DomainError(ErrorCode.INVOICE_PAID, `invoice ${invoice.number} is already paid`);
  if (invoice.status !== 'open' || invoice.amountDueCents <= 0)
    throw new DomainError(ErrorCode.INVOICE_NOT_OPEN, `invoice ${invoice.number} is ${invoice.status}; it cannot be paid online`);
  const customer = await findCustomer(sql, invoice.customerId);
  if (!customer) throw new DomainError(ErrorCode.NOT_FOUND, `customer ${invoice.customerId} does not exist`);

  const { amountDueCents: amountCents, currency } = invoice;
  const { open, count } = await findOpenCheckoutSession(sql, invoice.id, new Date(deps.now().getTime() + MIN_REMAINING_MS));
  if (open && open.amountCents === amountCents && open.currency === currency)
    return { id: open.id, url: open.url, expiresAt: open.expiresAt, amountCents, currency };
  if (open) {
    // Best effort: a session that cannot be expired has just been paid, and its webhook settles it.
    await checkout
      .expireSession(open.id)
      .catch((err) => deps.log.warn({ err: String(err), invoiceId, sessionId: open.id }, 'could not expire a stale checkout session'));
    await closeCheckoutSession(sql, open.id);
  }

  const seq = count + 1;
  const payPage = `${deps.publicUrl}/pay/${invoice.id}`;
  let session: CheckoutSession;
  try {
    session = await checkout.createSession({
      invoiceId: invoice.id,
      invoiceNumber: invoice.number,
      customerEmail: customer.email,
      amountCents,
      currency,
      successUrl: `${payPage}?checkout=success`,
      cancelUrl: `${payPage}?checkout=cancelled`,
      idempotencyKey: `invoice-${invoice.id}/checkout-${seq}/${currency}-${amountCents}`,
    });
  } catch (err) {
    deps.log.error({ err: String(err), invoiceId, provider: checkout.name }, 'checkout session could not be created');
    throw new DomainError(
      ErrorCode.CHECKOUT_UNAVAILABLE,
      `${checkout.name} is not available right now; try again shortly or pay by bank transfer`,
    );
  }
  await insertCheckoutSession(sql, { ...session, provider: checkout.name, invoiceId: invoice.id, seq, amountCents, currency });
  return { ...session, amountCents, currency };
}
