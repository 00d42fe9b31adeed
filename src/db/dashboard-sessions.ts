import { createHash, randomBytes } from 'node:crypto';
import type { Sql } from './client';

const hash = (token: string) => createHash('sha256').update(token).digest('hex');

/** A new dashboard session: 256 random bits, only their hash stored. */
export async function createDashboardSession(sql: Sql, o: { now: Date; ttlMs: number }): Promise<{ token: string; expiresAt: Date }> {
  const token = randomBytes(32).toString('base64url');
  const expiresAt = new Date(o.now.getTime() + o.ttlMs);
  await sql`INSERT INTO dashboard_sessions (token_hash, created_at, expires_at, last_seen_at) VALUES (${hash(token)}, ${o.now}, ${expiresAt}, ${o.now})`;
  // Sign-ins leave expired sessions behind; each one clears them.
  await sql`DELETE FROM dashboard_sessions WHERE expires_at < ${o.now}`;
  return { token, expiresAt };
}

/** Whether the token opens a live session (and notes that it was seen). */
export async function touchDashboardSession(sql: Sql, token: string, now: Date): Promise<boolean> {
  if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return false;
  const rows =
    await sql`UPDATE dashboard_sessions SET last_seen_at = ${now} WHERE token_hash = ${hash(token)} AND expires_at > ${now} RETURNING 1`;
  return rows.length === 1;
}

export async function endDashboardSession(sql: Sql, token: string): Promise<void> {
  await sql`DELETE FROM dashboard_sessions WHERE token_hash = ${hash(token)}`;
}
