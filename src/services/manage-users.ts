import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { z } from 'zod';
import { writeAudit } from '../db/audit-log';
import type { Sql } from '../db/client';
import { endUserSessions } from '../db/user-sessions';
import { countOtherAdmins, findUser, insertUser, updateUser, type UserRow } from '../db/users';
import { DomainError, ErrorCode } from '../domain/errors';
import { singleLine } from '../domain/input';
import { ROLES } from '../domain/roles';
import { emailAddress, locale as localeTag } from './create-customer';
import { emailPasswordLink } from './password-links';

type Deps = { sql: Sql; client: Client; taskQueue: string; now: () => Date };

export const inviteUserSchema = z.strictObject({
  email: emailAddress.transform((e) => e.toLowerCase()),
  name: singleLine(200),
  role: z.enum(ROLES),
  locale: localeTag.optional(),
});

export const updateUserSchema = z
  .strictObject({
    name: singleLine(200).optional(),
    role: z.enum(ROLES).optional(),
    locale: localeTag.nullable().optional(),
    disabled: z.boolean().optional(),
  })
  .refine((p) => Object.keys(p).length > 0, 'name at least one of name, role, locale, disabled');

/** Opens an account for a person and emails them a set-up link; 409 `EMAIL_IN_USE` for a known address. */
export async function inviteUser(deps: Deps, body: z.output<typeof inviteUserSchema>, actor: string): Promise<UserRow> {
  const user = await deps.sql.begin(async (tx) => {
    const t = tx as unknown as Sql;
    const created = await insertUser(t, { id: randomUUID(), ...body, createdBy: actor });
    if (!created) throw new DomainError(ErrorCode.EMAIL_IN_USE, `${body.email} already has an account`, { field: 'email' });
    await writeAudit(t, { entityType: 'user', entityId: created.id, action: 'user.invited', actor, data: { role: body.role } });
    return created;
  });
  await emailPasswordLink(deps, { userId: user.id, purpose: 'setup' });
  return user;
}

/**
 * Renames, changes the role of, or disables or re-enables a person. Disabling signs them out and
 * stops their tokens; the last enabled admin can be neither demoted nor disabled (409 `LAST_ADMIN`).
 */
export async function changeUser(deps: Deps, id: string, patch: z.output<typeof updateUserSchema>, actor: string): Promise<UserRow> {
  return deps.sql.begin(async (tx) => {
    const t = tx as unknown as Sql;
    // One change of the admins at a time, so two demotions cannot each leave the other as the last.
    await t`SELECT pg_advisory_xact_lock(hashtext('users.admins'))`;
    const user = await findUser(t, id);
    if (!user) throw new DomainError(ErrorCode.NOT_FOUND, `no user ${id}`);
    const losesAdmin = user.role === 'admin' && !user.disabledAt && ((patch.role && patch.role !== 'admin') || patch.disabled === true);
    if (losesAdmin && (await countOtherAdmins(t, id)) === 0)
      throw new DomainError(ErrorCode.LAST_ADMIN, `${user.email} is the last admin; make someone else an admin first`, {
        field: patch.disabled ? 'disabled' : 'role',
      });
    const updated = (await updateUser(t, id, patch, deps.now()))!;
    if (patch.disabled) await endUserSessions(t, id);
    await writeAudit(t, { entityType: 'user', entityId: id, action: 'user.changed', actor, data: patch });
    return updated;
  });
}

/** Emails a person a new link: set-up if they never chose a password, reset otherwise. */
export async function sendUserLink(deps: Deps, id: string): Promise<{ purpose: 'setup' | 'reset' }> {
  const user = await findUser(deps.sql, id);
  if (!user) throw new DomainError(ErrorCode.NOT_FOUND, `no user ${id}`);
  if (user.disabledAt)
    throw new DomainError(ErrorCode.VALIDATION, `${user.email} is disabled; enable the account first`, { field: 'disabled' });
  const purpose = user.hasPassword ? 'reset' : 'setup';
  await emailPasswordLink(deps, { userId: id, purpose });
  return { purpose };
}
