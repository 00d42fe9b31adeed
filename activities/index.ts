import { inSpan } from '../src/temporal/trace-context';
import { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { Sql } from '../src/db/client';
import { findCustomer, findCustomerDetails, type CustomerRow } from '../src/db/customers';
import { recipientsFor, type Recipients } from '../src/domain/customer';
import { mostSevere, reminderNotWanted, reminderSettings, type ReminderItem } from '../src/domain/reminders';
import { exposureOf } from '../src/db/credit-standing';
import { findReminderInvoices, type ReminderInvoiceRow } from '../src/db/reminder-invoices';
import { signalCustomerAccount } from '../src/temporal/customer-account';
import { renderReminderBatch } from '../src/email/templates';
import type { StepTemplate } from '../src/domain/policy';
import { reminderDueSignal, type CustomerAccountFacts } from '../workflows/messages';
import { findInvoiceDocument, saveInvoiceDocument } from '../src/db/documents';
import {
  dropSendingEmail,
  findEmail,
  findEmailItems,
  findSendingEmail,
  keepSendingEmail,
  recordEmail,
  type EmailItem,
  type SendingEmail,
} from '../src/db/email-log';
import { projectInvoiceEvents, type InvoiceSnapshot } from '../src/db/invoice-projection';
import { recordProjectionFailure, refusalOf } from '../src/db/projection-failures';
import { findInvoice, findInvoiceLines, type InvoiceRow } from '../src/db/invoices';
import { findPolicyVersion } from '../src/db/policies';
import { refreshReportSnapshots as refreshSnapshots } from '../src/db/report-snapshots';
import { createPortalToken } from '../src/db/portal-tokens';
import type { PolicyVersion } from '../src/domain/policy';
import { issueRecurringInvoice as issueRecurring } from '../src/services/issue-recurring-invoice';
import { DomainError } from '../src/domain/errors';
import { migrateInvoicePage, runningInvoicesQuery, type MigratePageInput } from '../src/services/migrate-invoices';
import { renderInvoicePdf, sha256 } from '../src/documents/invoice-pdf';
import type { InvoiceEvent } from '../src/domain/invoice';
import type { EmailTemplate } from '../src/domain/policy';
import { localDate } from '../src/domain/schedule';
import { MailerError, type Mailer } from '../src/email/mailer';
import { renderEmail } from '../src/email/templates';
import type { IssueRecurringResult, MigratePageResult, SnapshotRefresh } from '../workflows/messages';
import { createStatementActivities } from './statement';
import { createPeopleActivities } from './people';
import type { InvoiceStartOptions } from '../src/temporal/start-invoice';

export interface ActivityDeps {
  readonly sql: Sql;
  readonly mailer: Mailer;
  /** Base URL for pay links. */
  readonly publicUrl: string;
  readonly from: string;
  readonly seller: string;
  /** Temporal, for activities that act on other workflows (policy migrations). */
  readonly temporal?: { readonly client: Client; readonly namespace: string };
  /** How the invoices these activities issue (recurring plans) start their workflows. */
  readonly invoiceStart?: InvoiceStartOptions;
}

export interface SendEmailInput {
  readonly invoiceId: string;
  readonly template: EmailTemplate;
  readonly stepIndex: number | null;
  /** Derived from workflow id and step: the same email is never sent twice. */
  readonly idempotencyKey: string;
  readonly attachPdf: boolean;
  readonly amountDueCents: number;
  readonly feesCents: number;
}

export interface SendEmailResult {
  readonly status: 'sent' | 'already_sent';
  readonly transport: 'outbox' | 'resend';
  readonly providerMessageId: string | null;
}

/**
 * Side effects of the invoice workflow. Every activity is safe to retry: writes are keyed by
 * invoice, event sequence or idempotency key, and emails are looked up in the log before sending.
 */
export function createActivities({ sql, mailer, publicUrl, from, seller, temporal, invoiceStart }: ActivityDeps) {
  const payUrl = (invoiceId: string) => `${publicUrl}/pay/${invoiceId}`;

  async function loadInvoice(invoiceId: string) {
    const invoice = await findInvoice(sql, invoiceId);
    if (!invoice) throw ApplicationFailure.nonRetryable(`invoice ${invoiceId} does not exist`, 'NOT_FOUND');
    const customer = await findCustomer(sql, invoice.customerId);
    if (!customer) throw ApplicationFailure.nonRetryable(`customer ${invoice.customerId} does not exist`, 'NOT_FOUND');
    return { invoice, customer };
  }

  /** Renders and stores the invoice PDF (deterministic, so a retry stores the same bytes). */
  async function renderInvoiceDocument({ invoiceId }: { invoiceId: string }): Promise<{ filename: string; sha256: string }> {
    const existing = await findInvoiceDocument(sql, invoiceId);
    if (existing) return { filename: existing.filename, sha256: existing.sha256 };
    const { invoice, customer } = await loadInvoice(invoiceId);
    const content = await renderInvoicePdf({
      number: invoice.number,
      issueDate: invoice.issueDate,
      dueDate: localDate(invoice.dueAt.getTime(), customer.timeZone),
      seller,
      customer: { name: customer.name, email: customer.email },
      currency: invoice.currency,
      lines: await findInvoiceLines(sql, invoiceId),
      totalCents: invoice.totalCents,
      payUrl: payUrl(invoiceId),
    });
    const doc = { filename: `${invoice.number}.pdf`, content, sha256: sha256(content) };
    await saveInvoiceDocument(sql, invoiceId, doc);
    return { filename: doc.filename, sha256: doc.sha256 };
  }

  /** Sends one invoice email at most once per idempotency key (runs on the rate-limited email queue). */
  async function sendInvoiceEmail(input: SendEmailInput): Promise<SendEmailResult> {
    const logged = await findEmail(sql, input.idempotencyKey);
    if (logged) return { status: 'already_sent', transport: logged.transport, providerMessageId: logged.providerMessageId };

    const { invoice, customer } = await loadInvoice(input.invoiceId);
    // A retry (after a crash once the provider had it) sends the first attempt's exact bytes to the
    // same recipients, which the provider recognises under the idempotency key; only a first attempt renders.
    const email =
      (await findSendingEmail(sql, input.idempotencyKey)) ??
      (await keepSendingEmail(sql, {
        idempotencyKey: input.idempotencyKey,
        recipients: await recipientsOf(customer, input.template),
        ...(await render(input, invoice, customer)),
      }));
    const document = input.attachPdf ? await findInvoiceDocument(sql, invoice.id) : undefined;
    if (input.attachPdf && !document) throw ApplicationFailure.retryable(`invoice ${invoice.id} has no PDF yet`, 'DOCUMENT_MISSING');
    const { status, providerMessageId } = await deliverAndLog(email, document, {
      invoiceId: invoice.id,
      customerId: customer.id,
      template: input.template,
    });
    return { status, transport: mailer.transport, providerMessageId };
  }

  /**
   * Delivers a kept email (with the invoice PDF when given) and logs it: the stored copy shows the email
   * as sent, without the live portal token (only its hash is kept), and names the reminders it carried.
   */
  async function deliverAndLog(
    email: SendingEmail,
    document: { filename: string; content: Buffer } | undefined,
    log: { invoiceId: string | null; customerId: string | null; template: string; items?: readonly EmailItem[] },
  ): Promise<{ status: SendEmailResult['status']; providerMessageId: string | null }> {
    const attachments = document ? [{ filename: document.filename, contentType: 'application/pdf', content: document.content }] : [];
    // Recipients stay out of the span (personal data); the key and template say which email it was.
    const delivered = await inSpan(
      'email: deliver',
      { 'email.template': log.template, 'email.idempotency_key': email.idempotencyKey, 'email.transport': mailer.transport },
      () => deliverKept(email, attachments),
      (result) => ({ 'email.status': result.status }),
    );
    await recordEmail(
      sql,
      {
        idempotencyKey: email.idempotencyKey,
        invoiceId: log.invoiceId,
        customerId: log.customerId,
        template: log.template,
        recipient: email.recipients.to.join(', '),
        recipients: email.recipients,
        subject: email.subject,
        html: withoutPortalTokens(email.html),
        text: withoutPortalTokens(email.text),
        attachments: attachments.map((a) => ({ filename: a.filename, contentType: a.contentType, size: a.content.length })),
        transport: mailer.transport,
        providerMessageId: delivered.providerMessageId,
      },
      log.items,
    );
    return delivered;
  }

  /**
   * Delivers a kept email under its idempotency key. A provider that already accepted the key (Resend's
   * 409 for a key used with other content) means it went out; a permanent refusal forgets the kept copy
   * and fails for good (`EMAIL_REJECTED`); anything else is retried, honouring `retry-after`.
   */
  async function deliverKept(
    email: SendingEmail,
    attachments: { filename: string; contentType: string; content: Buffer }[],
  ): Promise<{ status: SendEmailResult['status']; providerMessageId: string | null }> {
    try {
      const { providerMessageId } = await mailer.deliver({
        idempotencyKey: email.idempotencyKey,
        from,
        to: email.recipients.to,
        cc: email.recipients.cc,
        subject: email.subject,
        html: email.html,
        text: email.text,
        attachments,
      });
      return { status: 'sent', providerMessageId };
    } catch (err) {
      if (!(err instanceof MailerError)) throw err;
      if (err.alreadyAccepted) return { status: 'already_sent', providerMessageId: null };
      if (!err.retryable) {
        await dropSendingEmail(sql, email.idempotencyKey);
        throw ApplicationFailure.nonRetryable(err.message, 'EMAIL_REJECTED', { statusCode: err.statusCode });
      }
      throw ApplicationFailure.create({
        message: err.message,
        type: 'EMAIL_PROVIDER_UNAVAILABLE',
        ...(err.retryAfterMs !== undefined ? { nextRetryDelay: err.retryAfterMs } : {}),
      });
    }
  }

  /** Billing contacts in To; CC and escalation contacts (from their template on) in CC. */
  async function recipientsOf(customer: CustomerRow, template: EmailTemplate): Promise<Recipients> {
    const { contacts } = await findCustomerDetails(sql, customer.id);
    const recipients = recipientsFor(contacts, template);
    // A customer always has a billing contact; one written before contacts existed has its address.
    return recipients.to.length > 0 ? recipients : { to: [customer.email], cc: recipients.cc };
  }

  /** The email of one step, with a portal link of its own (only the link's hash is kept). */
  async function render(input: SendEmailInput, invoice: InvoiceRow, customer: CustomerRow) {
    const portal = await createPortalToken(sql, { customerId: customer.id, createdFor: input.idempotencyKey, now: new Date() });
    return renderEmail(input.template, {
      customerName: customer.name,
      invoiceNumber: invoice.number,
      currency: invoice.currency,
      totalCents: invoice.totalCents,
      amountDueCents: input.amountDueCents,
      feesCents: input.feesCents,
      dueDate: localDate(invoice.dueAt.getTime(), customer.timeZone),
      payUrl: payUrl(invoice.id),
      portalUrl: `${publicUrl}/portal/${portal.token}`,
      seller,
    });
  }

  /**
   * Projects workflow events into Postgres (audit log, payments, fees, credits, flags, invoice row).
   * When Postgres refuses them for good (a poison event), the refusal is recorded for ops and the
   * activity fails without retrying (`PROJECTION_REJECTED`): the workflow then flags the invoice and
   * waits for a fix instead of retrying, and growing its history, forever.
   */
  async function recordInvoiceEvents(input: {
    invoiceId: string;
    customerId: string;
    events: readonly InvoiceEvent[];
    snapshot: InvoiceSnapshot;
    afterFailure?: boolean;
    /** Set by workflows that handle a refusal (since 'money-integrity'); older ones get retries, as before. */
    surfaceRefusal?: boolean;
  }): Promise<{ applied: number }> {
    try {
      return await projectInvoiceEvents(sql, input);
    } catch (err) {
      const refusal = refusalOf(err);
      if (!refusal) throw err;
      const seq = input.events[0]?.seq ?? 0;
      await recordProjectionFailure(sql, { invoiceId: input.invoiceId, seq, error: refusal.message, sqlState: refusal.sqlState });
      Context.current().log.error('Postgres refused the projection of an invoice; it waits for a fix', {
        invoiceId: input.invoiceId,
        seq,
        sqlState: refusal.sqlState,
        error: refusal.message,
      });
      // A workflow started before it cannot wait for a fix: it keeps retrying (and is listed meanwhile).
      if (!input.surfaceRefusal) throw ApplicationFailure.retryable(refusal.message, 'PROJECTION_REFUSED');
      throw ApplicationFailure.create({
        type: 'PROJECTION_REJECTED',
        message: refusal.message,
        nonRetryable: true,
        details: [{ seq, sqlState: refusal.sqlState }],
      });
    }
  }

  function requireTemporal() {
    if (!temporal) throw ApplicationFailure.nonRetryable('this worker has no Temporal client for migrations', 'NOT_CONFIGURED');
    return temporal;
  }

  /** A stored policy version (a migration's target). */
  async function loadPolicyVersion({ name, version }: { name: string; version: number }): Promise<PolicyVersion> {
    const policy = await findPolicyVersion(sql, name, version);
    if (!policy) throw ApplicationFailure.nonRetryable(`policy ${name} version ${version} does not exist`, 'NOT_FOUND');
    return policy;
  }

  /** How many invoices run on a policy, as visibility counts them now. */
  async function countRunningInvoices({ policyName }: { policyName: string }): Promise<number> {
    const { client } = requireTemporal();
    return (await client.workflow.count(runningInvoicesQuery(policyName))).count;
  }

  /** Moves one page of running invoices to a policy version, heartbeating as they answer. */
  async function migrateInvoices(input: MigratePageInput): Promise<MigratePageResult> {
    const { client, namespace } = requireTemporal();
    const context = Context.current();
    const beat = setInterval(() => context.heartbeat(), 5_000);
    try {
      return await migrateInvoicePage(client, namespace, input, (done) => context.heartbeat({ done }));
    } finally {
      clearInterval(beat);
    }
  }

  /** Issues a recurring plan's invoice for one schedule firing (once per billing period) and starts its workflow. */
  async function issueRecurringInvoice(input: { planId: string; scheduledAt: string }): Promise<IssueRecurringResult> {
    const { client } = requireTemporal();
    try {
      return await issueRecurring(
        {
          sql,
          client,
          taskQueue: Context.current().info.taskQueue,
          now: () => new Date(),
          ...(invoiceStart ? { start: invoiceStart } : {}),
        },
        input,
      );
    } catch (err) {
      if (err instanceof DomainError) throw ApplicationFailure.nonRetryable(err.message, err.code, err.details);
      throw err;
    }
  }

  /** Brings the report snapshots up to date (the daily Schedule), heartbeating after each month of flows and each aging day. */
  async function refreshReportSnapshots(): Promise<SnapshotRefresh> {
    const context = Context.current();
    return refreshSnapshots(sql, { onProgress: (done, total) => context.heartbeat({ done, total }) });
  }

  /** Hands an invoice step's reminder to its customer's account workflow, starting the account if needed. */
  async function enqueueReminder({ customerId, item }: { customerId: string; item: ReminderItem }): Promise<{ account: string }> {
    const { client } = requireTemporal();
    const account = await signalCustomerAccount(
      client,
      { taskQueue: Context.current().info.taskQueue, customerId },
      reminderDueSignal,
      item,
    );
    return { account };
  }

  /** The customer's reminder settings, hold and overdue amount, as Postgres holds them. */
  async function loadCustomerAccount({ customerId }: { customerId: string }): Promise<CustomerAccountFacts> {
    const customer = await findCustomer(sql, customerId);
    if (!customer) throw ApplicationFailure.nonRetryable(`customer ${customerId} does not exist`, 'NOT_FOUND');
    const exposure = await exposureOf(sql, customerId, new Date());
    return {
      settings: reminderSettings({ groupingWindow: customer.reminderGroupingWindow, minGap: customer.reminderMinGap }),
      creditHold: customer.creditHold,
      currency: customer.currency,
      timeZone: customer.timeZone,
      overdueCents: exposure.find((r) => r.currency === customer.currency)?.overdueCents ?? 0,
    };
  }

  /**
   * Sends one of a customer's reminder emails at most once per key: a grouped one (`customer-<id>/batch-<n>`)
   * listing each invoice still wanting its reminder, or one invoice's (its step's own key, with its PDF
   * when it is a final notice). Which reminders it carries is settled by the first attempt and
   * kept with the rendered email, so a retry after a crash sends the same email with the same items.
   */
  async function sendCustomerReminders(input: {
    customerId: string;
    key: string;
    items: readonly ReminderItem[];
  }): Promise<{ outcome: 'sent' | 'already_sent' | 'nothing_left'; included: string[]; dropped: { key: string; why: string }[] }> {
    const leftOut = (included: readonly string[]) =>
      input.items.filter((i) => !included.includes(i.key)).map((i) => ({ key: i.key, why: 'left out when the email was first sent' }));
    const logged = await findEmail(sql, input.key);
    if (logged) {
      const included = (await findEmailItems(sql, input.key)).map((i) => i.key);
      return { outcome: 'already_sent', included, dropped: leftOut(included) };
    }
    const customer = await findCustomer(sql, input.customerId);
    if (!customer) throw ApplicationFailure.nonRetryable(`customer ${input.customerId} does not exist`, 'NOT_FOUND');

    let email = await findSendingEmail(sql, input.key);
    if (!email) {
      const now = Date.now();
      const invoices = await findReminderInvoices(
        sql,
        input.items.map((i) => i.invoiceId),
      );
      const dropped = input.items.flatMap((i) => {
        const why = reminderNotWanted(invoices.get(i.invoiceId), i, now);
        return why ? [{ key: i.key, why }] : [];
      });
      const wanted = input.items.filter((i) => !dropped.some((d) => d.key === i.key));
      if (wanted.length === 0) return { outcome: 'nothing_left', included: [], dropped };
      const tone = mostSevere(wanted);
      const portal = await createPortalToken(sql, { customerId: customer.id, createdFor: input.key, now: new Date() });
      const portalUrl = `${publicUrl}/portal/${portal.token}`;
      const rendered =
        wanted.length === 1
          ? renderOne(wanted[0]!, invoices.get(wanted[0]!.invoiceId)!, customer, portalUrl)
          : renderReminderBatch(tone, {
              customerName: customer.name,
              seller,
              portalUrl,
              lines: wanted.map((i) => {
                const inv = invoices.get(i.invoiceId)!;
                const dueDate = localDate(inv.dueAt.getTime(), customer.timeZone);
                const today = localDate(now, customer.timeZone);
                return {
                  invoiceNumber: inv.number,
                  currency: inv.currency,
                  amountDueCents: inv.amountDueCents,
                  dueDate,
                  daysOverdue: Math.round((Date.parse(today) - Date.parse(dueDate)) / 86_400_000),
                  template: i.template,
                  payUrl: payUrl(inv.id),
                };
              }),
            });
      email = await keepSendingEmail(sql, {
        idempotencyKey: input.key,
        recipients: await recipientsOf(customer, tone),
        ...rendered,
        items: { included: wanted.map((i) => ({ key: i.key, invoiceId: i.invoiceId, template: i.template })), dropped },
      });
    }
    const included = email.items?.included ?? [];
    const first = input.items.find((i) => i.key === included[0]?.key);
    const document = input.items.length === 1 && first?.attachPdf ? await findInvoiceDocument(sql, first.invoiceId) : undefined;
    const { status } = await deliverAndLog(email, document, {
      invoiceId: input.items.length === 1 && first ? first.invoiceId : null,
      customerId: customer.id,
      template: mostSevere(included as readonly { template: StepTemplate }[]),
      items: included,
    });
    return { outcome: status, included: included.map((i) => i.key), dropped: [...(email.items?.dropped ?? [])] };
  }

  /** A reminder for one invoice: its step's own wording. */
  function renderOne(item: ReminderItem, inv: ReminderInvoiceRow, customer: CustomerRow, portalUrl: string) {
    return renderEmail(item.template, {
      customerName: customer.name,
      invoiceNumber: inv.number,
      currency: inv.currency,
      totalCents: inv.totalCents,
      amountDueCents: inv.amountDueCents,
      feesCents: inv.feesCents,
      dueDate: localDate(inv.dueAt.getTime(), customer.timeZone),
      payUrl: payUrl(inv.id),
      portalUrl,
      seller,
    });
  }

  return {
    renderInvoiceDocument,
    sendInvoiceEmail,
    enqueueReminder,
    loadCustomerAccount,
    sendCustomerReminders,
    recordInvoiceEvents,
    loadPolicyVersion,
    countRunningInvoices,
    migrateInvoices,
    issueRecurringInvoice,
    refreshReportSnapshots,
    ...createStatementActivities({ sql, publicUrl, seller }, { deliverAndLog, recipientsOf }),
    ...createPeopleActivities({ sql, publicUrl, seller }, { deliverAndLog }),
  };
}

export type Activities = ReturnType<typeof createActivities>;

/** Where a stored email had its portal link: the link is personal and lives only in the customer's inbox. */
export const PORTAL_LINK_PLACEHOLDER = '[personal-link]';
/** Personal links (a customer's portal, a person's password link) are not kept in the email log. */
const withoutPortalTokens = (body: string) =>
  body
    .replace(/\/portal\/[A-Za-z0-9_-]{43}/g, `/portal/${PORTAL_LINK_PLACEHOLDER}`)
    .replace(/\/app\/password\/[A-Za-z0-9_-]{43}/g, `/app/password/${PORTAL_LINK_PLACEHOLDER}`);
