import { createHash, randomBytes } from 'node:crypto';
import type { Sql } from './client';

/** How long a portal link works unless told otherwise. */
export const PORTAL_TOKEN_TTL_DAYS = 30;

const hash = (token: string) => createHash('sha256').update(token).digest('hex');

/**
 * A new portal link token for one customer: 256 random bits, base64url; only its hash is stored, so
 * a database leak opens no account. `createdFor` says why (an email's idempotency key, `api`).
 */
export async function createPortalToken(
  sql: Sql,
  o: { customerId: string; createdFor: string; now: Date; ttlDays?: number },
): Promise<{ token: string; expiresAt: Date }> {
  const token = randomBytes(32).toString('base64url');
  const expiresAt = new Date(o.now.getTime() + (o.ttlDays ?? PORTAL_TOKEN_TTL_DAYS) * 86_400_000);
  await sql`INSERT INTO portal_tokens (token_hash, customer_id, expires_at, created_for) VALUES (${hash(token)}, ${o.customerId}, ${expiresAt}, ${o.createdFor})`;
  return { token, expiresAt };
}

/** The customer a token opens, or why it opens nothing. */
export async function resolvePortalToken(
  sql: Sql,
  token: string,
  now: Date,
): Promise<{ customerId: string } | { refused: 'unknown' | 'expired' }> {
  if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return { refused: 'unknown' };
  const [row] = await sql<{ customerId: string; expiresAt: Date }[]>`
    SELECT customer_id AS "customerId", expires_at AS "expiresAt" FROM portal_tokens WHERE token_hash = ${hash(token)}`;
  if (!row) return { refused: 'unknown' };
  if (row.expiresAt.getTime() <= now.getTime()) return { refused: 'expired' };
  return { customerId: row.customerId };
}
