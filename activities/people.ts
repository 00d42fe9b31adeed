import { findEmail, findSendingEmail, keepSendingEmail, type SendingEmail } from '../src/db/email-log';
import { createPasswordLink } from '../src/db/password-links';
import { findUser } from '../src/db/users';
import { renderPasswordLinkEmail } from '../src/email/templates';
import { PASSWORD_LINK_TTL_MS, passwordLinkUrl } from '../src/services/password-links';
import type { PasswordLinkEmail } from '../workflows/messages';
import type { ActivityDeps } from './index';

export interface PeopleMail {
  deliverAndLog(
    email: SendingEmail,
    document: undefined,
    log: { invoiceId: null; customerId: null; template: string },
  ): Promise<{ status: 'sent' | 'already_sent' }>;
}

export function createPeopleActivities({ sql, publicUrl, seller }: Pick<ActivityDeps, 'sql' | 'publicUrl' | 'seller'>, mail: PeopleMail) {
  /**
   * Emails a person a one-time link to choose their password, once per request. The link is made
   * here, so its token never enters a workflow's history; the email log keeps the email without it.
   * A retry after a crash sends the first attempt's email (and link).
   */
  async function sendPasswordLink(input: PasswordLinkEmail): Promise<{ status: 'sent' | 'already_sent' | 'no_such_user' }> {
    const key = `user-${input.userId}/${input.purpose}-${input.requestId}`;
    if (await findEmail(sql, key)) return { status: 'already_sent' };
    let email = await findSendingEmail(sql, key);
    if (!email) {
      const user = await findUser(sql, input.userId);
      if (!user || user.disabledAt) return { status: 'no_such_user' };
      const ttlMs = PASSWORD_LINK_TTL_MS[input.purpose];
      const link = await createPasswordLink(sql, { userId: user.id, purpose: input.purpose, now: new Date(), ttlMs });
      const rendered = renderPasswordLinkEmail({
        name: user.name,
        seller,
        purpose: input.purpose,
        url: passwordLinkUrl(publicUrl, link.token),
        expiresInWords: ttlMs >= 86_400_000 ? `${Math.round(ttlMs / 86_400_000)} days` : `${Math.round(ttlMs / 60_000)} minutes`,
      });
      email = await keepSendingEmail(sql, { idempotencyKey: key, recipients: { to: [user.email], cc: [] }, ...rendered });
    }
    const { status } = await mail.deliverAndLog(email, undefined, { invoiceId: null, customerId: null, template: `user_${input.purpose}` });
    return { status };
  }
  return { sendPasswordLink };
}
