import { ApplicationFailure } from '@temporalio/common';
import { findCustomer, type CustomerRow } from '../src/db/customers';
import { findEmail, findSendingEmail, keepSendingEmail, type SendingEmail } from '../src/db/email-log';
import { createPortalToken } from '../src/db/portal-tokens';
import type { Recipients } from '../src/domain/customer';
import { localDate } from '../src/domain/schedule';
import { previousMonth } from '../src/domain/statement';
import { renderStatementPdf } from '../src/documents/statement-pdf';
import { renderStatementEmail } from '../src/email/templates';
import { readStatement } from '../src/services/customer-statement';
import type { StatementSendResult } from '../workflows/messages';
import type { ActivityDeps } from './index';

/** What the statement activity borrows from the email activities: delivery with its log, and who gets a customer's email. */
export interface StatementMail {
  deliverAndLog(
    email: SendingEmail,
    document: { filename: string; content: Buffer },
    log: { invoiceId: null; customerId: string; template: string },
  ): Promise<{ status: 'sent' | 'already_sent' }>;
  recipientsOf(customer: CustomerRow, template: 'invoice_issued'): Promise<Recipients>;
}

/** The email template name a statement is logged under. */
export const STATEMENT_TEMPLATE = 'statement';

export function createStatementActivities(
  { sql, publicUrl, seller }: Pick<ActivityDeps, 'sql' | 'publicUrl' | 'seller'>,
  mail: StatementMail,
) {
  /**
   * Emails a customer's statement of account with its PDF, at most once per key: for the period
   * given, or for the calendar month before `monthBefore` on the customer's calendar (keyed by
   * customer and month, so a schedule firing twice sends once). A monthly statement with no balance
   * and no movement is not sent. A retry after a crash sends the first attempt's email.
   */
  async function sendStatement(input: {
    customerId: string;
    period?: { from: string; to: string };
    monthBefore?: string;
    emailKey?: string;
  }): Promise<StatementSendResult> {
    const customer = await findCustomer(sql, input.customerId);
    if (!customer) throw ApplicationFailure.nonRetryable(`customer ${input.customerId} does not exist`, 'NOT_FOUND');
    const period = input.period ?? previousMonth(localDate(Date.parse(input.monthBefore ?? new Date().toISOString()), customer.timeZone));
    const key = input.emailKey ?? `customer-${customer.id}/statement-${period.from.slice(0, 7)}`;
    const result = (outcome: StatementSendResult['outcome'], recipients: Recipients | null): StatementSendResult => ({
      outcome,
      emailKey: key,
      ...period,
      recipients,
    });

    const logged = await findEmail(sql, key);
    if (logged) return result('already_sent', logged.recipients ?? { to: [logged.recipient], cc: [] });
    const statement = await readStatement(sql, customer, period);
    let email = await findSendingEmail(sql, key);
    if (!email) {
      if (!input.emailKey && statement.currencies.length === 0) return result('nothing_to_state', null);
      const portal = await createPortalToken(sql, { customerId: customer.id, createdFor: key, now: new Date() });
      const rendered = renderStatementEmail({
        customerName: customer.name,
        seller,
        ...period,
        portalUrl: `${publicUrl}/portal/${portal.token}`,
        lines: statement.currencies.map((c) => ({
          currency: c.currency,
          balanceCents: c.closing.balanceCents,
          overdueCents: c.openItems.filter((i) => i.daysPastDue > 0).reduce((s, i) => s + i.owedCents, 0),
        })),
      });
      email = await keepSendingEmail(sql, {
        idempotencyKey: key,
        recipients: await mail.recipientsOf(customer, 'invoice_issued'),
        ...rendered,
      });
    }
    // The email carries the personal pay-all link; the PDF, which gets forwarded, does not.
    const content = await renderStatementPdf(statement, { seller });
    const { status } = await mail.deliverAndLog(
      email,
      { filename: `statement-${period.from}-${period.to}.pdf`, content },
      { invoiceId: null, customerId: customer.id, template: STATEMENT_TEMPLATE },
    );
    return result(status, email.recipients);
  }

  return { sendStatement };
}
