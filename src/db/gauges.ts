import type { Sql } from './client';

/**
 * The figures `/metrics` reads on each scrape (besides `countAttention`): small aggregate counts an
 * alert can watch.
 */

/** Outbound webhook deliveries waiting to be sent or retried (`pending`) and given up on (`failed`). */
export async function countWebhookDeliveries(sql: Sql): Promise<{ status: 'pending' | 'failed'; n: number }[]> {
  return sql<{ status: 'pending' | 'failed'; n: number }[]>`
    SELECT status, count(*)::int AS n FROM webhook_deliveries WHERE status IN ('pending', 'failed') GROUP BY status`;
}

/** Acknowledged gateway events not yet delivered to their invoice workflow. */
export async function countPendingInbox(sql: Sql): Promise<number> {
  const [row] = await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM webhook_inbox WHERE status = 'pending'`;
  return row?.n ?? 0;
}

/** Amount due on open invoices per currency, in minor units. */
export async function sumOpenReceivables(sql: Sql): Promise<{ currency: string; due: number }[]> {
  return sql<{ currency: string; due: number }[]>`
    SELECT currency, sum(amount_due_cents)::float8 AS due FROM invoices WHERE status = 'open' GROUP BY currency`;
}

/** Postgres answers (the health check). */
/** Bank credits waiting in the review queue, by status (suggested, unmatched). */
export async function countBankReview(sql: Sql): Promise<{ status: 'suggested' | 'unmatched'; n: number }[]> {
  return sql<{ status: 'suggested' | 'unmatched'; n: number }[]>`
    SELECT status, count(*)::int AS n FROM bank_lines WHERE status IN ('suggested', 'unmatched') GROUP BY status`;
}

export async function ping(sql: Sql): Promise<void> {
  await sql`SELECT 1`;
}
