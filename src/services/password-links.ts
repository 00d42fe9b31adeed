import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { z } from 'zod';
import type { Sql } from '../db/client';
import { writeAudit } from '../db/audit-log';
import { createPasswordLink, findPasswordLink, usePasswordLink, type PasswordLinkPurpose } from '../db/password-links';
import { endUserSessions } from '../db/user-sessions';
import { countUsers, findUser, findUserForSignIn, insertUser, updateUser, type UserRow } from '../db/users';
import { DomainError, ErrorCode } from '../domain/errors';
import { emailAddress } from './create-customer';
import { singleLine } from '../domain/input';
import { userActor } from '../domain/roles';
import { hashPassword, passwordSchema } from './passwords';
import type { passwordLinkWorkflow } from '../../workflows';

/** How long a link works: a set-up link a week (people are invited ahead), a reset link an hour. */
export const PASSWORD_LINK_TTL_MS: Readonly<Record<PasswordLinkPurpose, number>> = { setup: 7 * 86_400_000, reset: 3_600_000 };
/** The first admin's set-up link, printed at start-up, works for a day. */
const FIRST_ADMIN_TTL_MS = 86_400_000;

export const passwordLinkUrl = (publicUrl: string, token: string) => `${publicUrl}/app/password/${token}`;

/**
 * With nobody able to sign in yet, a one-time link that creates the first admin (`npm start` prints
 * it); once anyone exists, none.
 */
export async function firstAdminLink(sql: Sql, o: { publicUrl: string; now: Date }): Promise<string | null> {
  if ((await countUsers(sql)) > 0) return null;
  const { token } = await createPasswordLink(sql, { userId: null, purpose: 'setup', now: o.now, ttlMs: FIRST_ADMIN_TTL_MS });
  return passwordLinkUrl(o.publicUrl, token);
}

/** What a live link is for, to show its form: whose password, or the first admin's. */
export async function describePasswordLink(
  sql: Sql,
  token: string,
  now: Date,
): Promise<{ purpose: PasswordLinkPurpose; user: UserRow | null } | undefined> {
  const link = await findPasswordLink(sql, token, now);
  if (!link) return undefined;
  const user = link.userId ? ((await findUser(sql, link.userId)) ?? null) : null;
  if (link.userId && (!user || user.disabledAt)) return undefined;
  return { purpose: link.purpose, user };
}

export const firstAdminSchema = z.strictObject({
  email: emailAddress.transform((e) => e.toLowerCase()),
  name: singleLine(200),
  password: passwordSchema,
});
export const newPasswordSchema = z.strictObject({ password: passwordSchema });

/**
 * Uses a link once: sets the person's password (signing them out everywhere), or, for the first
 * admin's link, creates the admin. Thrown NOT_FOUND when the link is unknown, used or expired.
 */
export async function setPasswordWithLink(
  sql: Sql,
  token: string,
  body: { password: string; email?: string; name?: string },
  now: Date,
): Promise<UserRow> {
  const link = await findPasswordLink(sql, token, now);
  if (!link) throw new DomainError(ErrorCode.NOT_FOUND, 'this link has expired or was already used; ask for a new one');
  const passwordHash = await hashPassword(body.password);
  return sql.begin(async (tx) => {
    const t = tx as unknown as Sql;
    if (!(await usePasswordLink(t, token, now)))
      throw new DomainError(ErrorCode.NOT_FOUND, 'this link has expired or was already used; ask for a new one');
    if (link.userId === null) {
      if ((await countUsers(t)) > 0) throw new DomainError(ErrorCode.NOT_FOUND, 'the first admin exists already; sign in');
      const admin = await insertUser(t, {
        id: randomUUID(),
        email: body.email!,
        name: body.name!,
        role: 'admin',
        passwordHash,
        createdBy: 'setup',
      });
      await writeAudit(t, { entityType: 'user', entityId: admin!.id, action: 'user.created', actor: 'setup', data: { role: 'admin' } });
      return admin!;
    }
    const user = await updateUser(t, link.userId, { passwordHash }, now);
    if (!user || user.disabledAt)
      throw new DomainError(ErrorCode.NOT_FOUND, 'this link has expired or was already used; ask for a new one');
    await endUserSessions(t, user.id);
    await writeAudit(t, {
      entityType: 'user',
      entityId: user.id,
      action: `user.password_${link.purpose === 'setup' ? 'chosen' : 'reset'}`,
      actor: userActor(user.email),
    });
    return user;
  });
}

/** Emails a one-time link through the email queue (`passwordLinkWorkflow`); the answer never says whether the address is known. */
export async function emailPasswordLink(
  deps: { sql: Sql; client: Client; taskQueue: string },
  o: { userId: string; purpose: PasswordLinkPurpose },
): Promise<void> {
  const requestId = randomUUID();
  await deps.client.workflow.start<typeof passwordLinkWorkflow>('passwordLinkWorkflow', {
    workflowId: `user-${o.userId}-${o.purpose}-${requestId}`,
    taskQueue: deps.taskQueue,
    args: [{ userId: o.userId, purpose: o.purpose, requestId }],
  });
}

export const resetRequestSchema = z.strictObject({ email: z.string().trim().toLowerCase().max(254) });

/** "Forgot my password": a reset link to the address if it is a live account's; the same answer either way. */
export async function requestPasswordReset(deps: { sql: Sql; client: Client; taskQueue: string }, email: string): Promise<void> {
  const user = await findUserForSignIn(deps.sql, email);
  if (!user || user.disabledAt) return;
  await emailPasswordLink(deps, { userId: user.id, purpose: 'reset' });
}
