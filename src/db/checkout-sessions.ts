import type { Sql } from './client';

export interface CheckoutSessionRow {
  id: string;
  provider: string;
  /** The invoice the session pays; null for a customer's "pay everything" session. */
  invoiceId: string | null;
  customerId: string | null;
  seq: number;
  amountCents: number;
  currency: string;
  url: string;
  expiresAt: Date;
}

/** What a session is for: one invoice, or a customer's open invoices in one currency. */
export type CheckoutFor = { readonly invoiceId: string } | { readonly customerId: string; readonly currency: string };

/** The newest session for it, if it is still open at `openUntil`; and how many it has had. */
export async function findOpenCheckoutSession(
  sql: Sql,
  what: CheckoutFor,
  openUntil: Date,
): Promise<{ open: CheckoutSessionRow | undefined; count: number }> {
  const where =
    'invoiceId' in what ? sql`invoice_id = ${what.invoiceId}` : sql`customer_id = ${what.customerId} AND currency = ${what.currency}`;
  const rows = await sql<(CheckoutSessionRow & { closedAt: Date | null })[]>`
    SELECT id, provider, invoice_id AS "invoiceId", customer_id AS "customerId", seq, amount_cents AS "amountCents", currency, url,
           expires_at AS "expiresAt", closed_at AS "closedAt"
    FROM checkout_sessions WHERE ${where} ORDER BY seq DESC LIMIT 1`;
  const newest = rows[0];
  const open = newest && !newest.closedAt && newest.expiresAt > openUntil ? newest : undefined;
  return { open, count: newest?.seq ?? 0 };
}

/** Records a session; a concurrent request that got the same session from the provider records nothing. */
export async function insertCheckoutSession(sql: Sql, s: CheckoutSessionRow): Promise<void> {
  await sql`
    INSERT INTO checkout_sessions (id, provider, invoice_id, customer_id, seq, amount_cents, currency, url, expires_at)
    VALUES (${s.id}, ${s.provider}, ${s.invoiceId}, ${s.customerId}, ${s.seq}, ${s.amountCents}, ${s.currency}, ${s.url}, ${s.expiresAt})
    ON CONFLICT DO NOTHING`;
}

export async function closeCheckoutSession(sql: Sql, id: string): Promise<void> {
  await sql`UPDATE checkout_sessions SET closed_at = now() WHERE id = ${id} AND closed_at IS NULL`;
}
