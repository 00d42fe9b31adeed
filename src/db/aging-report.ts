import type { Sql } from './client';

/** The aging buckets, by days past the due date on the customer's calendar. */
export const AGING_BUCKETS = ['current', '1-30', '31-60', '61-90', '90+'] as const;
export type AgingBucket = (typeof AGING_BUCKETS)[number];

export interface AgingRow {
  customerId: string;
  customerName: string;
  currency: string;
  bucket: AgingBucket;
  amountCents: number;
  invoices: number;
}

/**
 * Open receivables as they stood at the end of `asOf` (each customer's own day), per customer,
 * currency and bucket. The amount due is rebuilt from the ledger up to that instant (total + fees
 * applied − payments received + refunds), so a past date shows what was owed then. Void and
 * uncollectible (written-off) invoices drop out from the moment they closed. The bucket rule is
 * defined here and nowhere else.
 */
export async function agingByCustomer(sql: Sql, asOf: string): Promise<AgingRow[]> {
  return sql<AgingRow[]>`
    WITH inv AS (
      SELECT i.id, i.customer_id, c.name AS customer_name, i.currency, i.total_cents, i.status, i.closed_at,
             (i.due_at AT TIME ZONE c.time_zone)::date AS due_date,
             ((${asOf}::date + 1)::timestamp AT TIME ZONE c.time_zone) AS cutoff
      FROM invoices i JOIN customers c ON c.id = i.customer_id
      WHERE i.issue_date <= ${asOf}::date
    ), due AS (
      SELECT inv.*, greatest(0, inv.total_cents
               + coalesce((SELECT sum(f.amount_cents) FROM late_fees f WHERE f.invoice_id = inv.id AND f.applied_at < inv.cutoff), 0)
               - coalesce((SELECT sum(p.amount_cents) FROM payments p WHERE p.invoice_id = inv.id AND p.kind = 'payment' AND p.status = 'applied' AND p.received_at < inv.cutoff), 0)
               + coalesce((SELECT sum(r.amount_cents) FROM payments r WHERE r.invoice_id = inv.id AND r.kind = 'refund' AND r.status = 'applied' AND r.received_at < inv.cutoff), 0)
             ) AS due_cents,
             ${asOf}::date - inv.due_date AS days_past_due
      FROM inv
      WHERE NOT (inv.status IN ('void', 'uncollectible') AND inv.closed_at IS NOT NULL AND inv.closed_at < inv.cutoff)
    )
    SELECT customer_id AS "customerId", customer_name AS "customerName", currency,
           CASE WHEN days_past_due <= 0 THEN 'current' WHEN days_past_due <= 30 THEN '1-30' WHEN days_past_due <= 60 THEN '31-60'
                WHEN days_past_due <= 90 THEN '61-90' ELSE '90+' END AS bucket,
           sum(due_cents)::bigint AS "amountCents", count(*)::int AS invoices
    FROM due WHERE due_cents > 0
    GROUP BY 1, 2, 3, 4
    ORDER BY customer_name, customer_id, currency`;
}
