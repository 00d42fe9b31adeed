import type { Exposure } from '../domain/customer';
import type { Sql } from './client';
import { exposureOf } from './credit-standing';

/** Money per currency, in minor units. */
export interface CurrencyAmount {
  readonly currency: string;
  readonly amountCents: number;
}

/** A customer's balances as Postgres holds them (the projections of its invoices and its cash). */
export interface CustomerBalances {
  /** Open and overdue amounts due on open invoices, per currency. */
  readonly receivables: readonly Exposure[];
  readonly openInvoices: number;
  readonly overdueInvoices: number;
  /** Overpayments kept as credit (net of credit refunded, applied to other invoices or paid back), per currency. */
  readonly credit: readonly CurrencyAmount[];
  /** Money received for this customer's invoices that waits for a human to apply it, per currency. */
  readonly unappliedCash: readonly CurrencyAmount[];
}

export async function readCustomerBalances(sql: Sql, customerId: string, now: Date): Promise<CustomerBalances> {
  const [receivables, [counts], credit, unapplied] = await Promise.all([
    exposureOf(sql, customerId, now),
    sql<{ open: number; overdue: number }[]>`
      SELECT count(*)::int AS open, (count(*) FILTER (WHERE due_at < ${now}))::int AS overdue
      FROM invoices WHERE customer_id = ${customerId} AND status = 'open' AND amount_due_cents > 0`,
    sql<{ currency: string; amountCents: string }[]>`
      SELECT currency, sum(amount_cents) AS "amountCents" FROM (
        SELECT currency, amount_cents FROM customer_credits WHERE customer_id = ${customerId}
        UNION ALL
        SELECT m.currency, -u.amount_cents FROM balance_credit_uses u JOIN balance_movements m ON m.id = u.movement_id
        WHERE m.customer_id = ${customerId}
      ) c GROUP BY currency HAVING sum(amount_cents) <> 0 ORDER BY currency`,
    sql<{ currency: string; amountCents: string }[]>`
      SELECT u.currency, sum(u.amount_cents) AS "amountCents"
      FROM unapplied_payments u
      WHERE u.customer_id = ${customerId} AND u.status = 'unapplied' GROUP BY u.currency ORDER BY u.currency`,
  ]);
  const amounts = (rows: { currency: string; amountCents: string }[]) =>
    rows.map((r) => ({ currency: r.currency, amountCents: Number(r.amountCents) }));
  return {
    receivables,
    openInvoices: counts!.open,
    overdueInvoices: counts!.overdue,
    credit: amounts(credit),
    unappliedCash: amounts(unapplied),
  };
}
