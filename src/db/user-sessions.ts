import { createHash, randomBytes } from 'node:crypto';
import type { Sql } from './client';
import { USER_COLUMNS, type UserRow } from './users';

const hash = (token: string) => createHash('sha256').update(token).digest('hex');
const TOKEN = /^[A-Za-z0-9_-]{43}$/;

/** A new session for a user: 256 random bits (only their hash stored) and its CSRF token. */
export async function createUserSession(
  sql: Sql,
  o: { userId: string; now: Date; ttlMs: number },
): Promise<{ token: string; csrfToken: string; expiresAt: Date }> {
  const token = randomBytes(32).toString('base64url');
  const csrfToken = randomBytes(32).toString('base64url');
  const expiresAt = new Date(o.now.getTime() + o.ttlMs);
  await sql`INSERT INTO user_sessions (token_hash, user_id, csrf_token, created_at, expires_at, last_seen_at)
            VALUES (${hash(token)}, ${o.userId}, ${csrfToken}, ${o.now}, ${expiresAt}, ${o.now})`;
  // Sign-ins leave expired sessions behind; each one clears them.
  await sql`DELETE FROM user_sessions WHERE expires_at < ${o.now}`;
  return { token, csrfToken, expiresAt };
}

/**
 * The live session's user and CSRF token, noting that it was seen: none if the token is unknown,
 * past its end, idle longer than `idleMs`, or its user is disabled.
 */
export async function touchUserSession(
  sql: Sql,
  token: string,
  o: { now: Date; idleMs: number },
): Promise<{ user: UserRow; csrfToken: string } | undefined> {
  if (!TOKEN.test(token)) return undefined;
  const [row] = await sql<(UserRow & { csrfToken: string })[]>`
    WITH seen AS (
      UPDATE user_sessions SET last_seen_at = ${o.now}
      WHERE token_hash = ${hash(token)} AND expires_at > ${o.now} AND last_seen_at > ${new Date(o.now.getTime() - o.idleMs)}
      RETURNING user_id, csrf_token
    )
    SELECT ${USER_COLUMNS(sql)}, seen.csrf_token AS "csrfToken"
    FROM seen JOIN users ON users.id = seen.user_id WHERE users.disabled_at IS NULL`;
  if (!row) return undefined;
  const { csrfToken, ...user } = row;
  return { user, csrfToken };
}

export async function endUserSession(sql: Sql, token: string): Promise<void> {
  if (TOKEN.test(token)) await sql`DELETE FROM user_sessions WHERE token_hash = ${hash(token)}`;
}

/** Signs a user out everywhere (a password set, the account disabled). */
export async function endUserSessions(sql: Sql, userId: string): Promise<void> {
  await sql`DELETE FROM user_sessions WHERE user_id = ${userId}`;
}
