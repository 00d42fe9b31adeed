import type { Sql } from './client';

/**
 * Claims an idempotency key for a request: `fresh` the first time; a repeat of the same request
 * (same invoice, same body) is no conflict; anything else names what differs. Keys recorded before
 * request bodies were kept (`unknown`) match any body on their invoice.
 */
export async function claimIdempotencyKey(
  sql: Sql,
  k: { scope: string; key: string; requestHash: string; invoiceId: string | null },
): Promise<{ fresh: boolean; conflict: null | 'invoice' | 'body' }> {
  const inserted = await sql`
    INSERT INTO idempotency_keys (scope, key, request_hash, invoice_id) VALUES (${k.scope}, ${k.key}, ${k.requestHash}, ${k.invoiceId})
    ON CONFLICT (scope, key) DO NOTHING RETURNING 1`;
  if (inserted.length === 1) return { fresh: true, conflict: null };
  const [row] = await sql<{ requestHash: string; invoiceId: string | null }[]>`
    SELECT request_hash AS "requestHash", invoice_id AS "invoiceId" FROM idempotency_keys WHERE scope = ${k.scope} AND key = ${k.key}`;
  if (!row) return claimIdempotencyKey(sql, k); // released meanwhile
  if (row.invoiceId !== k.invoiceId) return { fresh: false, conflict: 'invoice' };
  if (row.requestHash !== k.requestHash && row.requestHash !== 'unknown') return { fresh: false, conflict: 'body' };
  return { fresh: false, conflict: null };
}

/** Frees a key whose request was refused before it changed anything. */
export async function releaseIdempotencyKey(sql: Sql, k: { scope: string; key: string }): Promise<void> {
  await sql`DELETE FROM idempotency_keys WHERE scope = ${k.scope} AND key = ${k.key}`;
}
