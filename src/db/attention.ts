import type { Sql } from './client';

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
 * Everything waiting for a human, oldest first: projections Postgres refused, flagged payments and
 * refunds, gateway events the relay could not place, unapplied cash, and open invoices past their last
 * step that nothing will chase (parked).
 */
export async function listAttention(sql: Sql, limit: number): Promise<AttentionItem[]> {
  return sql<AttentionItem[]>`
    SELECT * FROM (
      SELECT 'projection_failed' AS kind, f.invoice_id::text AS "invoiceId", i.number, f.seq::text AS ref, f.error AS reason,
             NULL::bigint AS "amountCents", NULL AS currency, f.failed_at AS since
      FROM projection_failures f JOIN invoices i ON i.id = f.invoice_id WHERE f.resolved_at IS NULL
      UNION ALL
      SELECT l.kind, l.invoice_id::text, i.number, l.flag_id, l.reason, l.amount_cents, l.currency, l.flagged_at
      FROM ledger_flags l JOIN invoices i ON i.id = l.invoice_id WHERE l.resolved_at IS NULL
      UNION ALL
      SELECT 'inbox_flagged', CASE WHEN w.invoice_id ~ '^[0-9a-f-]{36}$' THEN w.invoice_id END, i.number, w.gateway || ':' || w.event_id,
             coalesce(w.last_error, w.event_type), NULL, NULL, w.received_at
      FROM webhook_inbox w LEFT JOIN invoices i ON i.id::text = w.invoice_id WHERE w.status = 'flagged'
      UNION ALL
      SELECT 'unapplied_cash', u.hint_invoice_id::text, i.number, u.source || ':' || u.id, u.reason, u.amount_cents, u.currency, u.received_at
      FROM unapplied_payments u LEFT JOIN invoices i ON i.id = u.hint_invoice_id WHERE u.status <> 'applied'
      UNION ALL
      SELECT 'parked', p.id::text, p.number, 'invoice:' || p.id, 'ladder_finished', p.amount_due_cents, p.currency, p.parked_at
      FROM invoices p WHERE p.parked_at IS NOT NULL AND p.status = 'open'
    ) items
    ORDER BY since, kind, ref
    LIMIT ${limit}`;
}

/** How many items wait for a human, per kind (for the metrics an alert watches). */
export async function countAttention(sql: Sql): Promise<{ kind: AttentionKind; n: number }[]> {
  return sql<{ kind: AttentionKind; n: number }[]>`
    SELECT 'projection_failed' AS kind, count(*)::int AS n FROM projection_failures WHERE resolved_at IS NULL
    UNION ALL SELECT kind, count(*)::int FROM ledger_flags WHERE resolved_at IS NULL GROUP BY kind
    UNION ALL SELECT 'inbox_flagged', count(*)::int FROM webhook_inbox WHERE status = 'flagged'
    UNION ALL SELECT 'unapplied_cash', count(*)::int FROM unapplied_payments WHERE status <> 'applied'
    UNION ALL SELECT 'parked', count(*)::int FROM invoices WHERE parked_at IS NOT NULL AND status = 'open'`;
}
