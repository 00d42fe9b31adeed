import { createHash, randomBytes } from 'node:crypto';
import type { Sql } from './client';
import { USER_COLUMNS, type UserRow } from './users';

const hash = (token: string) => createHash('sha256').update(token).digest('hex');
/** Personal API tokens look like `ce_<43 characters>`: recognisable in a leaked config, never the service token's shape. */
export const USER_TOKEN = /^ce_[A-Za-z0-9_-]{43}$/;

export interface UserTokenRow {
  id: string;
  userId: string;
  name: string;
  prefix: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

const COLUMNS = (sql: Sql) =>
  sql`id, user_id AS "userId", name, prefix, created_at AS "createdAt", last_used_at AS "lastUsedAt", revoked_at AS "revokedAt"`;

/** A new token for the user; the token itself is returned once and never stored. */
export async function createUserToken(
  sql: Sql,
  o: { id: string; userId: string; name: string; now: Date },
): Promise<{ token: string; row: UserTokenRow }> {
  const token = `ce_${randomBytes(32).toString('base64url')}`;
  const [row] = await sql<UserTokenRow[]>`
    INSERT INTO user_tokens (id, user_id, name, token_hash, prefix, created_at)
    VALUES (${o.id}, ${o.userId}, ${o.name}, ${hash(token)}, ${token.slice(0, 10)}, ${o.now})
    RETURNING ${COLUMNS(sql)}`;
  return { token, row: row! };
}

export async function listUserTokens(sql: Sql, userId: string): Promise<UserTokenRow[]> {
  return sql<UserTokenRow[]>`SELECT ${COLUMNS(sql)} FROM user_tokens WHERE user_id = ${userId} ORDER BY created_at DESC`;
}

export async function revokeUserToken(sql: Sql, o: { id: string; userId: string; now: Date }): Promise<UserTokenRow | undefined> {
  const [row] = await sql<UserTokenRow[]>`
    UPDATE user_tokens SET revoked_at = coalesce(revoked_at, ${o.now}) WHERE id = ${o.id} AND user_id = ${o.userId}
    RETURNING ${COLUMNS(sql)}`;
  return row;
}

/** The enabled user a live token belongs to (noting its use), or none. */
export async function userOfToken(sql: Sql, token: string, now: Date): Promise<UserRow | undefined> {
  if (!USER_TOKEN.test(token)) return undefined;
  const [row] = await sql<UserRow[]>`
    WITH used AS (
      UPDATE user_tokens SET last_used_at = ${now} WHERE token_hash = ${hash(token)} AND revoked_at IS NULL RETURNING user_id
    )
    SELECT ${USER_COLUMNS(sql)} FROM used JOIN users ON users.id = used.user_id WHERE users.disabled_at IS NULL`;
  return row;
}
