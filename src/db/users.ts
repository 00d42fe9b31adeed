import type { Role } from '../domain/roles';
import type { Sql } from './client';

export interface UserRow {
  id: string;
  email: string;
  name: string;
  role: Role;
  locale: string | null;
  hasPassword: boolean;
  createdAt: Date;
  createdBy: string;
  disabledAt: Date | null;
}

/** A `UserRow`'s columns of `users` (for queries of other tables joining it unaliased). */
export const USER_COLUMNS = (sql: Sql) =>
  sql`id, email, name, role, locale, password_hash IS NOT NULL AS "hasPassword", created_at AS "createdAt", created_by AS "createdBy", disabled_at AS "disabledAt"`;

export async function insertUser(
  sql: Sql,
  u: { id: string; email: string; name: string; role: Role; createdBy: string; passwordHash?: string; locale?: string | null },
): Promise<UserRow | undefined> {
  const [row] = await sql<UserRow[]>`
    INSERT INTO users (id, email, name, role, password_hash, locale, created_by)
    VALUES (${u.id}, ${u.email}, ${u.name}, ${u.role}, ${u.passwordHash ?? null}, ${u.locale ?? null}, ${u.createdBy})
    ON CONFLICT (email) DO NOTHING
    RETURNING ${USER_COLUMNS(sql)}`;
  return row;
}

export async function findUser(sql: Sql, id: string): Promise<UserRow | undefined> {
  const [row] = await sql<UserRow[]>`SELECT ${USER_COLUMNS(sql)} FROM users WHERE id = ${id}`;
  return row;
}

/** The user and their password hash, to check a sign-in. */
export async function findUserForSignIn(sql: Sql, email: string): Promise<(UserRow & { passwordHash: string | null }) | undefined> {
  const [row] = await sql<(UserRow & { passwordHash: string | null })[]>`
    SELECT ${USER_COLUMNS(sql)}, password_hash AS "passwordHash" FROM users WHERE email = ${email}`;
  return row;
}

export async function listUsers(sql: Sql): Promise<UserRow[]> {
  return sql<UserRow[]>`SELECT ${USER_COLUMNS(sql)} FROM users ORDER BY disabled_at IS NOT NULL, email`;
}

export async function countUsers(sql: Sql): Promise<number> {
  const [row] = await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM users`;
  return row!.n;
}

/** How many enabled admins there are besides `exceptId` (the last admin cannot be demoted or disabled). */
export async function countOtherAdmins(sql: Sql, exceptId: string): Promise<number> {
  const [row] = await sql<{ n: number }[]>`
    SELECT count(*)::int AS n FROM users WHERE role = 'admin' AND disabled_at IS NULL AND id <> ${exceptId}`;
  return row!.n;
}

export async function updateUser(
  sql: Sql,
  id: string,
  patch: { name?: string; role?: Role; locale?: string | null; disabled?: boolean; passwordHash?: string },
  now: Date,
): Promise<UserRow | undefined> {
  const [row] = await sql<UserRow[]>`
    UPDATE users SET
      name = coalesce(${patch.name ?? null}, name),
      role = coalesce(${patch.role ?? null}, role),
      locale = CASE WHEN ${patch.locale !== undefined} THEN ${patch.locale ?? null} ELSE locale END,
      disabled_at = CASE WHEN ${patch.disabled === undefined} THEN disabled_at WHEN ${patch.disabled ?? false} THEN coalesce(disabled_at, ${now}) END,
      password_hash = coalesce(${patch.passwordHash ?? null}, password_hash)
    WHERE id = ${id}
    RETURNING ${USER_COLUMNS(sql)}`;
  return row;
}
