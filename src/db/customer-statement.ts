import type { PendingCash, StatementEntry, StatementInvoice } from '../domain/statement';
import type { Sql } from './client';
import { owedCents } from './report-sql';

/**
 * The ledger facts a statement of account up to `to` is built from (see `buildStatement`): the
 * customer's invoices issued by then and every fee, write-off, payment and refund of theirs booked by then, all
 * on the customer's calendar. What a void cancelled and a write-off removed are read as the KPI
 * report reads them (`flowsByDay`), so the two agree.
 */
export async function readStatementFacts(
  sql: Sql,
  customerId: string,
  to: string,
): Promise<{ invoices: StatementInvoice[]; entries: StatementEntry[]; pendingCash: PendingCash[] }> {
  return sql.begin('isolation level repeatable read read only', async (tx) => {
    const t = tx as unknown as Sql;
    const invoices = await t<StatementInvoice[]>`
      SELECT id, number, currency, total_cents AS "totalCents", issue_date AS "issueDate", due_on AS "dueDate",
             CASE WHEN status IN ('void', 'uncollectible') THEN closed_on END AS "closedOn",
             CASE WHEN status IN ('void', 'uncollectible') THEN status END AS "closedAs",
             CASE WHEN status = 'void' THEN ${owedCents(t, 'invoices')} WHEN status = 'uncollectible' THEN amount_due_cents ELSE 0 END AS "closedCents"
      FROM invoices WHERE customer_id = ${customerId} AND issue_date <= ${to}::date
      ORDER BY issue_date, number`;
    const entries = await t<StatementEntry[]>`
      SELECT f.invoice_id AS "invoiceId", 'fee' AS kind, f.policy_generation || '/' || f.step_index AS id, f.amount_cents AS "amountCents",
             f.booked_on AS "bookedOn", NULL AS method, NULL AS reference
      FROM late_fees f JOIN invoices i ON i.id = f.invoice_id
      WHERE i.customer_id = ${customerId} AND f.booked_on <= ${to}::date
      UNION ALL
      SELECT w.invoice_id, 'write_off', w.id, w.amount_cents, w.booked_on, w.category, left(w.reason, 100)
      FROM write_offs w JOIN invoices i ON i.id = w.invoice_id
      WHERE i.customer_id = ${customerId} AND w.booked_on <= ${to}::date
      UNION ALL
      -- A write-off undone: owed again from the day it was reversed (a negative write-off).
      SELECT w.invoice_id, 'write_off', w.id || ':reversed', -w.amount_cents, w.reversed_on, w.category, 'reversed'
      FROM write_offs w JOIN invoices i ON i.id = w.invoice_id
      WHERE i.customer_id = ${customerId} AND w.reversed_on <= ${to}::date
      UNION ALL
      SELECT p.invoice_id, p.kind, p.id, p.amount_cents, p.booked_on, p.method, p.reference
      FROM payments p JOIN invoices i ON i.id = p.invoice_id
      WHERE i.customer_id = ${customerId} AND p.status = 'applied' AND p.booked_on <= ${to}::date
      UNION ALL
      -- Credit an invoice held, used by the balance (on other invoices, or paid back): it leaves that invoice like a refund.
      SELECT u.invoice_id, 'refund', 'credit:' || u.movement_id, u.amount_cents, (m.created_at AT TIME ZONE c.time_zone)::date,
             'customer_credit',
             CASE WHEN m.kind = 'refunded' THEN 'paid back'
                  ELSE 'applied to ' || (SELECT string_agg(a->>'number', ', ') FROM jsonb_array_elements(m.allocations) a) END
      FROM balance_credit_uses u JOIN balance_movements m ON m.id = u.movement_id JOIN customers c ON c.id = m.customer_id
      WHERE m.customer_id = ${customerId} AND (m.created_at AT TIME ZONE c.time_zone)::date <= ${to}::date`;
    // Once applied, a payment is booked on the day it was received: only what is unapplied now is pending.
    const pendingCash = await t<PendingCash[]>`
      SELECT u.currency, sum(u.amount_cents)::bigint AS "amountCents", count(*)::int AS payments
      FROM unapplied_payments u JOIN customers c ON c.id = u.customer_id
      WHERE u.customer_id = ${customerId} AND (u.received_at AT TIME ZONE c.time_zone)::date <= ${to}::date
        AND u.status IN ('unapplied', 'applying')
      GROUP BY u.currency ORDER BY u.currency`;
    return { invoices: [...invoices], entries: [...entries], pendingCash: [...pendingCash] };
  }) as Promise<{ invoices: StatementInvoice[]; entries: StatementEntry[]; pendingCash: PendingCash[] }>;
}
