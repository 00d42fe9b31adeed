import { z } from 'zod';
import { writeAudit } from '../db/audit-log';
import type { Sql } from '../db/client';
import { createUserSession } from '../db/user-sessions';
import { findUserForSignIn, type UserRow } from '../db/users';
import { DomainError, ErrorCode } from '../domain/errors';
import { userActor } from '../domain/roles';
import { checkPassword } from './passwords';

/** A session lasts 12 hours at most, and ends after 2 hours without a request. */
export const SESSION_TTL_MS = 12 * 3_600_000;
export const SESSION_IDLE_MS = 2 * 3_600_000;

export const signInSchema = z.strictObject({
  email: z.string().trim().toLowerCase().max(254),
  password: z.string().max(256),
});

/**
 * Checks an email and password and opens a session. Every refusal reads the same (an unknown
 * address, a wrong password, a disabled account or one without a password yet) and takes as long.
 */
export async function signIn(
  sql: Sql,
  body: z.output<typeof signInSchema>,
  now: Date,
): Promise<{ user: UserRow; token: string; csrfToken: string; expiresAt: Date }> {
  const found = await findUserForSignIn(sql, body.email);
  const ok = await checkPassword(found && !found.disabledAt ? found.passwordHash : null, body.password);
  if (!found || !ok || found.disabledAt) throw new DomainError(ErrorCode.UNAUTHORIZED, 'That email and password do not match an account.');
  const { passwordHash: _hash, ...user } = found;
  const session = await createUserSession(sql, { userId: user.id, now, ttlMs: SESSION_TTL_MS });
  await writeAudit(sql, { entityType: 'user', entityId: user.id, action: 'user.signed_in', actor: userActor(user.email) });
  return { user, ...session };
}
