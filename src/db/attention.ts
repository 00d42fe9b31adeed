import type { Sql } from './client';
import type { Fragment } from './report-sql';

export type AttentionKind = 'projection_failed' | 'payment_flagged' | 'refund_flagged' | 'inbox_flagged' | 'unapplied_cash' | 'parked';

/** Something only a human can settle, with where to find it. */
export interface AttentionItem {
  kind: AttentionKind;
  invoiceId: string | null;
  number: string | null;
  /** What to act on: a flag id (`payment:<id>`, `refund:<id>`), an event sequence number, an inbox event, an unapplied payment. */
  ref: string;
  reason: string;
  amountCents: number | null;
  currency: string | null;
  since: Date;
}

/**
 * Everything waiting for a human, the one definition: projections Postgres refused, flagged payments
 * and refunds, gateway events the relay could not place, unapplied cash, and open invoices past their
 * last step that nothing will chase (parked). Columns: `kind`, `invoice_id` (uuid, or null), `ref`,
 * `reason`, `amount_cents`, `currency`, `since`.
 */
export function attentionItems(sql: Sql): Fragment {
  return sql`
    SELECT 'projection_failed' AS kind, f.invoice_id, f.seq::text AS ref, f.error AS reason, NULL::bigint AS amount_cents,
           NULL AS currency, f.failed_at AS since
    FROM projection_failures f WHERE f.resolved_at IS NULL
    UNION ALL
    SELECT l.kind, l.invoice_id, l.flag_id, l.reason, l.amount_cents, l.currency, l.flagged_at
    FROM ledger_flags l WHERE l.resolved_at IS NULL
    UNION ALL
    SELECT 'inbox_flagged', CASE WHEN w.invoice_id ~ '^[0-9a-f-]{36}$' THEN w.invoice_id::uuid END, w.gateway || ':' || w.event_id,
           coalesce(w.last_error, w.event_type), NULL, NULL, w.received_at
    FROM webhook_inbox w WHERE w.status = 'flagged'
    UNION ALL
    SELECT 'unapplied_cash', u.hint_invoice_id, u.source || ':' || u.id, u.reason, u.amount_cents, u.currency, u.received_at
    FROM unapplied_payments u WHERE u.status IN ('unapplied', 'applying')
    UNION ALL
    SELECT 'parked', p.id, 'invoice:' || p.id, 'ladder_finished', p.amount_due_cents, p.currency, p.parked_at
    FROM invoices p WHERE p.parked_at IS NOT NULL AND p.status = 'open'`;
}

/** Everything waiting for a human (`attentionItems`), oldest first, with the invoice's number. */
export async function listAttention(sql: Sql, limit: number): Promise<AttentionItem[]> {
  return sql<AttentionItem[]>`
    SELECT a.kind, a.invoice_id::text AS "invoiceId", i.number, a.ref, a.reason, a.amount_cents AS "amountCents", a.currency, a.since
    FROM (${attentionItems(sql)}) a LEFT JOIN invoices i ON i.id = a.invoice_id
    ORDER BY a.since, a.kind, a.ref
    LIMIT ${limit}`;
}

/** How many items wait for a human, per kind (for the metrics an alert watches). */
export async function countAttention(sql: Sql): Promise<{ kind: AttentionKind; n: number }[]> {
  return sql<{ kind: AttentionKind; n: number }[]>`SELECT kind, count(*)::int AS n FROM (${attentionItems(sql)}) a GROUP BY kind`;
}
