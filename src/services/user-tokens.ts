import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { writeAudit } from '../db/audit-log';
import type { Sql } from '../db/client';
import { createUserToken, revokeUserToken, type UserTokenRow } from '../db/user-tokens';
import type { UserRow } from '../db/users';
import { DomainError, ErrorCode } from '../domain/errors';
import { singleLine } from '../domain/input';

export const tokenNameSchema = singleLine(100);

/** A new personal API token for `user`, audited; the token is returned this once (it is stored as a hash). */
export async function issueUserToken(
  sql: Sql,
  o: { user: UserRow; name: string; actor: string; now: Date },
): Promise<{ token: string; row: UserTokenRow }> {
  const issued = await createUserToken(sql, { id: randomUUID(), userId: o.user.id, name: o.name, now: o.now });
  await writeAudit(sql, {
    entityType: 'user',
    entityId: o.user.id,
    action: 'user.token_created',
    actor: o.actor,
    data: { tokenId: issued.row.id, name: o.name },
  });
  return issued;
}

/** Revokes one of `user`'s own tokens, audited; thrown NOT_FOUND for any other id. */
export async function revokeOwnToken(sql: Sql, o: { user: UserRow; tokenId: string; actor: string; now: Date }): Promise<UserTokenRow> {
  const id = z.uuid().safeParse(o.tokenId);
  const revoked = id.success ? await revokeUserToken(sql, { id: id.data, userId: o.user.id, now: o.now }) : undefined;
  if (!revoked) throw new DomainError(ErrorCode.NOT_FOUND, `no token ${o.tokenId} of yours`);
  await writeAudit(sql, {
    entityType: 'user',
    entityId: o.user.id,
    action: 'user.token_revoked',
    actor: o.actor,
    data: { tokenId: revoked.id },
  });
  return revoked;
}
