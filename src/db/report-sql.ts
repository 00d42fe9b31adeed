import type postgres from 'postgres';
import { AGING_LIMITS, OLDEST_BUCKET } from '../domain/aging';
import type { Sql } from './client';

/**
 * The SQL that derives report figures from the ledger, shared by the live reports and the snapshots
 * taken of past days (report-snapshots.ts). Every date is on the **customer's** calendar: each
 * ledger fact carries its booking date there (`due_on`, `paid_on`, `closed_on`, `booked_on`, set by
 * triggers when written, migration 0006), so "the end of 2026-06-30" is midnight in each customer's
 * zone, never a UTC midnight.
 */

/** A query usable as a fragment inside another (postgres.js nests them). */
export type Fragment = postgres.PendingQuery<postgres.Row[]>;

export type { PeriodFlows } from '../domain/kpis';

/**
 * Runs a report's reads in one transaction tuned for them: enough memory to group a book's open
 * invoices in RAM instead of spilling to disk, and no JIT (its compile time exceeds the query's).
 * `repeatable read` makes several reads agree on one snapshot of the data.
 */
export async function reportTransaction<T>(sql: Sql, read: (tx: Sql) => Promise<T>, o: { repeatableRead?: boolean } = {}): Promise<T> {
  const body = async (tx: postgres.TransactionSql<Record<string, never>>) => {
    await tx`SET LOCAL work_mem = '64MB'`;
    await tx`SET LOCAL jit = off`;
    return read(tx as unknown as Sql);
  };
  return (o.repeatableRead ? sql.begin('isolation level repeatable read read only', body) : sql.begin(body)) as Promise<T>;
}

/**
 * Per customer, currency and bucket, what was owed at the end of `asOf`: columns `customer_id`,
 * `currency`, `bucket`, `cents`, `n` (invoices).
 *
 * What an invoice owed then is its row's ledger (kept by the projection: total, fees applied,
 * payments, refunds) minus whatever was booked after the date, floored at zero — so only ledger rows
 * booked after the date are read, and only invoices that could still have been owing (open now, or
 * paid / closed after the date) are looked at, through the indexes of migration 0006. Void and
 * uncollectible invoices drop out from the day they closed; invoices issued later do not count.
 */
export function agingLinesAt(sql: Sql, asOf: string): Fragment {
  return sql`
    SELECT customer_id, currency, ${agingBucket(sql, 'days_past_due')} AS bucket, sum(due_cents)::bigint AS cents, count(*)::int AS n
    FROM (
      SELECT i.customer_id, i.currency,
             ${owedCents(sql, 'i', sql`- coalesce(f.fees, 0) + coalesce(w.written_off, 0) + coalesce(m.paid, 0) - coalesce(m.refunded, 0)`)} AS due_cents,
             ${asOf}::date - i.due_on AS days_past_due
      FROM (
        -- Open now (an index-only scan of invoices_open_ledger_idx) …
        SELECT id, customer_id, currency, due_on, total_cents, fees_cents, paid_cents, refunded_cents, written_off_cents
        FROM invoices WHERE status = 'open' AND issue_date <= ${asOf}::date
        UNION ALL
        -- … or paid or closed since the date.
        SELECT id, customer_id, currency, due_on, total_cents, fees_cents, paid_cents, refunded_cents, written_off_cents
        FROM invoices
        WHERE ((status = 'paid' AND paid_on > ${asOf}::date) OR (status IN ('void', 'uncollectible') AND closed_on > ${asOf}::date))
          AND issue_date <= ${asOf}::date
      ) i
      LEFT JOIN (
        SELECT invoice_id, sum(amount_cents) AS fees FROM late_fees WHERE booked_on > ${asOf}::date GROUP BY invoice_id
      ) f ON f.invoice_id = i.id
      LEFT JOIN (
        -- In force now but not then (written off later), or then but not now (reversed later).
        SELECT invoice_id,
               sum(CASE WHEN booked_on > ${asOf}::date THEN amount_cents ELSE 0 END)
                 - sum(CASE WHEN reversed_on > ${asOf}::date THEN amount_cents ELSE 0 END) AS written_off
        FROM write_offs WHERE booked_on > ${asOf}::date OR reversed_on > ${asOf}::date GROUP BY invoice_id
      ) w ON w.invoice_id = i.id
      LEFT JOIN (
        SELECT invoice_id, sum(amount_cents) FILTER (WHERE kind = 'payment') AS paid, sum(amount_cents) FILTER (WHERE kind = 'refund') AS refunded
        FROM payments WHERE status = 'applied' AND booked_on > ${asOf}::date GROUP BY invoice_id
      ) m ON m.invoice_id = i.id
    ) owed
    WHERE due_cents > 0
    GROUP BY 1, 2, 3`;
}

/**
 * Per customer, currency and bucket, what is owed now, each customer's "today" being the date on
 * their calendar at `now`: the open invoices' ledgers as they stand (nothing can be booked after a
 * customer's today). Same columns as `agingLinesAt`.
 */
export function agingLinesNow(sql: Sql, now: Date): Fragment {
  return sql`
    SELECT customer_id, currency, ${agingBucket(sql, 'days_past_due')} AS bucket, sum(due_cents)::bigint AS cents, count(*)::int AS n
    FROM (
      SELECT i.customer_id, i.currency, ${owedCents(sql, 'i')} AS due_cents,
             (${now.toISOString()}::timestamptz AT TIME ZONE c.time_zone)::date - i.due_on AS days_past_due
      FROM invoices i JOIN customers c ON c.id = i.customer_id
      WHERE i.status = 'open'
    ) owed
    WHERE due_cents > 0
    GROUP BY 1, 2, 3`;
}

/** The aging bucket of `column` (days past due), from the one definition in `src/domain/aging.ts`. */
export function agingBucket(sql: Sql, column: string): Fragment {
  const cases = AGING_LIMITS.map((l) => sql`WHEN ${sql(column)} <= ${l.throughDays}::int THEN ${l.bucket}::text `);
  return sql`CASE ${cases} ELSE ${OLDEST_BUCKET}::text END`;
}

/**
 * What an invoice row's ledger leaves owed (`amountDue` of `src/domain/invoice.ts`): total + fees −
 * write-offs − payments + refunds, never below zero; `adjust` corrects it to an earlier date.
 */
export function owedCents(sql: Sql, alias: string, adjust: Fragment = sql``): Fragment {
  const col = (name: string) => sql(`${alias}.${name}`);
  return sql`greatest(0, ${col('total_cents')} + ${col('fees_cents')} - ${col('written_off_cents')} - ${col('paid_cents')} + ${col('refunded_cents')} ${adjust})`;
}

/**
 * Per day and currency in `from`…`to` (inclusive), the money that moved: columns `day`, `currency`
 * and the `PeriodFlows` figures in snake case. Each ledger fact counts on its booking day; a void
 * counts what the invoice still owed, a hand-off what it owed then, a write-off entry its amount; days to pay are
 * counted for invoices paid that day and still paid. Days with no movement have no row.
 */
export function flowsByDay(sql: Sql, from: string | Fragment, to: string | Fragment): Fragment {
  const range = (column: string) => sql`${sql(column)} BETWEEN ${from}::date AND ${to}::date`;
  return sql`
    SELECT day, currency,
           sum(invoiced)::bigint AS invoiced_cents, sum(issued)::int AS invoices_issued, sum(fees)::bigint AS late_fees_cents,
           sum(voided)::bigint AS voided_cents, sum(payments)::bigint AS payments_cents, sum(refunds)::bigint AS refunds_cents,
           sum(written_off)::bigint AS written_off_cents, sum(paid)::int AS invoices_paid, sum(days_to_pay)::bigint AS days_to_pay_sum
    FROM (
      SELECT issue_date AS day, currency, sum(total_cents) AS invoiced, count(*) AS issued, 0 AS fees, 0 AS voided, 0 AS payments,
             0 AS refunds, 0 AS written_off, 0 AS paid, 0 AS days_to_pay
      FROM invoices WHERE ${range('issue_date')} GROUP BY 1, 2
      UNION ALL
      SELECT booked_on, currency, 0, 0, sum(amount_cents), 0, 0, 0, 0, 0, 0
      FROM late_fees WHERE ${range('booked_on')} GROUP BY 1, 2
      UNION ALL
      SELECT booked_on, currency, 0, 0, 0, 0, 0, 0, sum(amount_cents), 0, 0
      FROM write_offs WHERE ${range('booked_on')} GROUP BY 1, 2
      UNION ALL
      SELECT reversed_on, currency, 0, 0, 0, 0, 0, 0, -sum(amount_cents), 0, 0
      FROM write_offs WHERE ${range('reversed_on')} GROUP BY 1, 2
      UNION ALL
      -- Credit moved from one invoice to another is not money collected (the overpayment was, when it came).
      SELECT booked_on, currency, 0, 0, 0, 0,
             coalesce(sum(amount_cents) FILTER (WHERE kind = 'payment' AND method IS DISTINCT FROM 'customer_credit'), 0),
             coalesce(sum(amount_cents) FILTER (WHERE kind = 'refund'), 0), 0, 0, 0
      FROM payments WHERE status = 'applied' AND ${range('booked_on')} GROUP BY 1, 2
      UNION ALL
      SELECT closed_on, currency, 0, 0, 0,
             coalesce(sum(${owedCents(sql, 'invoices')}) FILTER (WHERE status = 'void'), 0), 0, 0,
             coalesce(sum(amount_due_cents) FILTER (WHERE status = 'uncollectible'), 0), 0, 0
      FROM invoices WHERE ${range('closed_on')} GROUP BY 1, 2
      UNION ALL
      SELECT paid_on, currency, 0, 0, 0, 0, 0, 0, 0, count(*), sum(paid_on - issue_date)
      FROM invoices WHERE status = 'paid' AND ${range('paid_on')} GROUP BY 1, 2
    ) moved
    GROUP BY day, currency`;
}

/** The `PeriodFlows` sums of a set of `flowsByDay`-shaped rows, per currency. */
export function sumFlows(sql: Sql, days: Fragment): Fragment {
  return sql`
    SELECT currency, sum(invoiced_cents)::bigint AS "invoicedCents", sum(invoices_issued)::int AS "invoicesIssued",
           sum(late_fees_cents)::bigint AS "lateFeesCents", sum(voided_cents)::bigint AS "voidedCents",
           sum(payments_cents)::bigint AS "paymentsCents", sum(refunds_cents)::bigint AS "refundsCents",
           sum(written_off_cents)::bigint AS "writtenOffCents", sum(invoices_paid)::int AS "invoicesPaid",
           sum(days_to_pay_sum)::bigint AS "daysToPaySum"
    FROM (${days}) d GROUP BY currency`;
}
