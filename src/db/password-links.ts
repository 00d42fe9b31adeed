import { createHash, randomBytes } from 'node:crypto';
import type { Sql } from './client';

const hash = (token: string) => createHash('sha256').update(token).digest('hex');
const TOKEN = /^[A-Za-z0-9_-]{43}$/;

export type PasswordLinkPurpose = 'setup' | 'reset';

/** A one-time link's token (returned once; its hash stored). `userId` null: the first admin's set-up. */
export async function createPasswordLink(
  sql: Sql,
  o: { userId: string | null; purpose: PasswordLinkPurpose; now: Date; ttlMs: number },
): Promise<{ token: string; expiresAt: Date }> {
  const token = randomBytes(32).toString('base64url');
  const expiresAt = new Date(o.now.getTime() + o.ttlMs);
  await sql`INSERT INTO password_links (token_hash, user_id, purpose, created_at, expires_at)
            VALUES (${hash(token)}, ${o.userId}, ${o.purpose}, ${o.now}, ${expiresAt})`;
  await sql`DELETE FROM password_links WHERE expires_at < ${new Date(o.now.getTime() - 7 * 86_400_000)}`;
  return { token, expiresAt };
}

export interface PasswordLink {
  userId: string | null;
  purpose: PasswordLinkPurpose;
  expiresAt: Date;
}

/** The link, if its token is live (unused and not expired). */
export async function findPasswordLink(sql: Sql, token: string, now: Date): Promise<PasswordLink | undefined> {
  if (!TOKEN.test(token)) return undefined;
  const [row] = await sql<PasswordLink[]>`
    SELECT user_id AS "userId", purpose, expires_at AS "expiresAt" FROM password_links
    WHERE token_hash = ${hash(token)} AND used_at IS NULL AND expires_at > ${now}`;
  return row;
}

/** Uses the link once (in the caller's transaction): false if it was used or expired meanwhile. */
export async function usePasswordLink(sql: Sql, token: string, now: Date): Promise<boolean> {
  if (!TOKEN.test(token)) return false;
  const rows = await sql`UPDATE password_links SET used_at = ${now}
                         WHERE token_hash = ${hash(token)} AND used_at IS NULL AND expires_at > ${now} RETURNING 1`;
  return rows.length === 1;
}
