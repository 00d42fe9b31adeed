import type { Sql } from './client';

export interface CheckoutSessionRow {
  id: string;
  provider: string;
  invoiceId: string;
  seq: number;
  amountCents: number;
  currency: string;
  url: string;
  expiresAt: Date;
}

/** The invoice's newest session, if it is still open at `openUntil`; and how many it has had. */
export async function findOpenCheckoutSession(
  sql: Sql,
  invoiceId: string,
  openUntil: Date,
): Promise<{ open: CheckoutSessionRow | undefined; count: number }> {
  const rows = await sql<(CheckoutSessionRow & { closedAt: Date | null })[]>`
    SELECT id, provider, invoice_id AS "invoiceId", seq, amount_cents AS "amountCents", currency, url, expires_at AS "expiresAt", closed_at AS "closedAt"
    FROM checkout_sessions WHERE invoice_id = ${invoiceId} ORDER BY seq DESC LIMIT 1`;
  const newest = rows[0];
  const open = newest && !newest.closedAt && newest.expiresAt > openUntil ? newest : undefined;
  return { open, count: newest?.seq ?? 0 };
}

/** Records a session; a concurrent request that got the same session from the provider records nothing. */
export async function insertCheckoutSession(sql: Sql, s: CheckoutSessionRow): Promise<void> {
  await sql`
    INSERT INTO checkout_sessions (id, provider, invoice_id, seq, amount_cents, currency, url, expires_at)
    VALUES (${s.id}, ${s.provider}, ${s.invoiceId}, ${s.seq}, ${s.amountCents}, ${s.currency}, ${s.url}, ${s.expiresAt})
    ON CONFLICT DO NOTHING`;
}

export async function closeCheckoutSession(sql: Sql, id: string): Promise<void> {
  await sql`UPDATE checkout_sessions SET closed_at = now() WHERE id = ${id} AND closed_at IS NULL`;
}
