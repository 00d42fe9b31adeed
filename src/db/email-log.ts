import type { Recipients } from '../domain/customer';
import type { Sql } from './client';

export interface EmailLogEntry {
  idempotencyKey: string;
  invoiceId: string | null;
  customerId: string | null;
  template: string;
  /** The To line. */
  recipient: string;
  /** Every recipient (null for emails logged before contacts existed: `recipient` alone). */
  recipients: Recipients | null;
  subject: string;
  html: string;
  text: string;
  attachments: { filename: string; contentType: string; size: number }[];
  transport: 'outbox' | 'resend';
  providerMessageId: string | null;
  createdAt?: Date;
  /** The reminders it carried (a grouped email several; empty for an issue email or one logged before grouping). */
  items?: EmailItem[];
}

export async function findEmail(sql: Sql, idempotencyKey: string): Promise<EmailLogEntry | undefined> {
  const [row] = await sql<EmailLogEntry[]>`SELECT ${columns(sql)} FROM email_log WHERE idempotency_key = ${idempotencyKey}`;
  return row;
}

/**
 * Records a sent email (and forgets its in-flight copy) in one transaction; a second record under
 * the same key is ignored. Returns whether it was new.
 */
export async function recordEmail(sql: Sql, e: EmailLogEntry, items: readonly EmailItem[] = []): Promise<boolean> {
  return sql.begin(async (tx) => {
    const rows = await tx`
      INSERT INTO email_log (idempotency_key, invoice_id, customer_id, template, recipient, recipients, subject, html, text, attachments, transport,
                             provider_message_id)
      VALUES (${e.idempotencyKey}, ${e.invoiceId}, ${e.customerId}, ${e.template}, ${e.recipient},
              ${e.recipients ? tx.json(e.recipients as never) : null}, ${e.subject}, ${e.html}, ${e.text},
              ${tx.json(e.attachments)}, ${e.transport}, ${e.providerMessageId})
      ON CONFLICT (idempotency_key) DO NOTHING
      RETURNING 1`;
    if (rows.length === 1 && items.length > 0) {
      await tx`INSERT INTO email_log_items ${tx(
        items.map((i) => ({ idempotency_key: e.idempotencyKey, invoice_id: i.invoiceId, item_key: i.key, template: i.template })),
      )}`;
    }
    await tx`DELETE FROM email_sending WHERE idempotency_key = ${e.idempotencyKey}`;
    return rows.length === 1;
  });
}

/** A reminder an email carries. */
export interface EmailItem {
  readonly key: string;
  readonly invoiceId: string;
  readonly template: string;
}

/** An email rendered for sending: exactly what goes to the provider, on every attempt. */
export interface SendingEmail {
  idempotencyKey: string;
  recipients: Recipients;
  /** For a grouped reminder: what it carries and what it left out (fixed by the first attempt). */
  items?: { included: readonly EmailItem[]; dropped: readonly { key: string; why: string }[] } | null;
  subject: string;
  html: string;
  text: string;
}

/**
 * Keeps the rendered email before it is sent, once per key: the first attempt's rendering wins, and
 * every later attempt (a retry after a crash) gets those same bytes back.
 */
export async function keepSendingEmail(sql: Sql, e: SendingEmail): Promise<SendingEmail> {
  // An email's attempts end within a day (the activity's schedule-to-close); older copies are orphans.
  await sql`DELETE FROM email_sending WHERE created_at < now() - interval '2 days'`;
  await sql`INSERT INTO email_sending (idempotency_key, recipient, recipients, subject, html, text, items)
            VALUES (${e.idempotencyKey}, ${e.recipients.to.join(', ')}, ${sql.json(e.recipients as never)}, ${e.subject}, ${e.html}, ${e.text},
                    ${e.items ? sql.json(e.items as never) : null})
            ON CONFLICT (idempotency_key) DO NOTHING`;
  return (await findSendingEmail(sql, e.idempotencyKey))!;
}

export async function findSendingEmail(sql: Sql, idempotencyKey: string): Promise<SendingEmail | undefined> {
  const [row] = await sql<(Omit<SendingEmail, 'recipients'> & { recipient: string; recipients: Recipients | null })[]>`
    SELECT idempotency_key AS "idempotencyKey", recipient, recipients, subject, html, text, items
    FROM email_sending WHERE idempotency_key = ${idempotencyKey}`;
  if (!row) return undefined;
  // A copy kept before contacts existed names its one recipient.
  const { recipient, recipients, ...rest } = row;
  return { ...rest, recipients: recipients ?? { to: [recipient], cc: [] } };
}

/** Forgets an in-flight copy whose email will never be sent (refused for good). */
export async function dropSendingEmail(sql: Sql, idempotencyKey: string): Promise<void> {
  await sql`DELETE FROM email_sending WHERE idempotency_key = ${idempotencyKey}`;
}

export async function listEmails(sql: Sql, filter: { invoiceId?: string; limit: number }): Promise<EmailLogEntry[]> {
  return sql<EmailLogEntry[]>`
    SELECT ${columns(sql)} FROM email_log
    WHERE ${
      filter.invoiceId
        ? sql`(invoice_id = ${filter.invoiceId}
               OR idempotency_key IN (SELECT idempotency_key FROM email_log_items WHERE invoice_id = ${filter.invoiceId}))`
        : sql`true`
    }
    ORDER BY created_at, idempotency_key
    LIMIT ${filter.limit}`;
}

function columns(sql: Sql) {
  return sql`idempotency_key AS "idempotencyKey", invoice_id AS "invoiceId", customer_id AS "customerId", template, recipient, recipients, subject,
    html, text, attachments, transport, provider_message_id AS "providerMessageId", created_at AS "createdAt",
    coalesce((SELECT jsonb_agg(jsonb_build_object('key', i.item_key, 'invoiceId', i.invoice_id, 'template', i.template) ORDER BY i.item_key)
              FROM email_log_items i WHERE i.idempotency_key = email_log.idempotency_key), '[]') AS items`;
}

/** The reminders a logged email carried. */
export async function findEmailItems(sql: Sql, idempotencyKey: string): Promise<EmailItem[]> {
  return sql<EmailItem[]>`
    SELECT item_key AS key, invoice_id AS "invoiceId", template FROM email_log_items WHERE idempotency_key = ${idempotencyKey} ORDER BY item_key`;
}
