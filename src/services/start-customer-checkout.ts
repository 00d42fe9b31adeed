import { readOpenItems } from '../db/customer-balance';
import { findCustomer } from '../db/customers';
import { DomainError, ErrorCode } from '../domain/errors';
import { notConfigured, openCheckoutSession, type StartCheckoutDeps, type StartedCheckout } from './start-checkout';

/**
 * "Pay everything": one hosted payment page for what a customer owes now on their open invoices in a
 * currency. The session names the customer, not an invoice; its payment is applied oldest first when
 * it arrives (see `applyGatewayCustomerPayment`), so an invoice paid meanwhile is not paid twice —
 * the difference stays in the customer's balance.
 *
 * @throws DomainError NOT_FOUND, INVOICE_NOT_OPEN (nothing open), CHECKOUT_NOT_CONFIGURED, CHECKOUT_UNAVAILABLE
 */
export async function startCustomerCheckout(
  deps: StartCheckoutDeps,
  customerId: string,
  o: { currency?: string; returnUrl: string },
): Promise<StartedCheckout & { invoices: number }> {
  if (!deps.checkout) throw notConfigured();
  const customer = await findCustomer(deps.sql, customerId);
  if (!customer) throw new DomainError(ErrorCode.NOT_FOUND, `customer ${customerId} does not exist`);
  const currency = o.currency ?? customer.currency;
  const open = await readOpenItems(deps.sql, customer.id, currency);
  const amountCents = open.reduce((s, i) => s + i.amountDueCents, 0);
  if (amountCents <= 0) throw new DomainError(ErrorCode.INVOICE_NOT_OPEN, `nothing is due in ${currency}`, { field: 'currency' });
  const session = await openCheckoutSession(deps, { customerId: customer.id, currency }, `customer-${customer.id}`, {
    for: { customerId: customer.id },
    description:
      open.length === 1
        ? `Invoice ${open[0]!.number}`
        : `${open.length} open invoices (${open.map((i) => i.number).join(', ')})`.slice(0, 250),
    customerEmail: customer.email,
    amountCents,
    currency,
    successUrl: `${o.returnUrl}?checkout=success`,
    cancelUrl: `${o.returnUrl}?checkout=cancelled`,
  });
  return { ...session, invoices: open.length };
}
