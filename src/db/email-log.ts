import type { Sql } from './client';

export interface EmailLogEntry {
  idempotencyKey: string;
  invoiceId: string | null;
  customerId: string | null;
  template: string;
  recipient: string;
  subject: string;
  html: string;
  text: string;
  attachments: { filename: string; contentType: string; size: number }[];
  transport: 'outbox' | 'resend';
  providerMessageId: string | null;
  createdAt?: Date;
}

export async function findEmail(sql: Sql, idempotencyKey: string): Promise<EmailLogEntry | undefined> {
  const [row] = await sql<EmailLogEntry[]>`SELECT ${columns(sql)} FROM email_log WHERE idempotency_key = ${idempotencyKey}`;
  return row;
}

/** Records a sent email; a second record under the same key is ignored. Returns whether it was new. */
export async function recordEmail(sql: Sql, e: EmailLogEntry): Promise<boolean> {
  const rows = await sql`
    INSERT INTO email_log (idempotency_key, invoice_id, customer_id, template, recipient, subject, html, text, attachments, transport, provider_message_id)
    VALUES (${e.idempotencyKey}, ${e.invoiceId}, ${e.customerId}, ${e.template}, ${e.recipient}, ${e.subject}, ${e.html}, ${e.text},
            ${sql.json(e.attachments)}, ${e.transport}, ${e.providerMessageId})
    ON CONFLICT (idempotency_key) DO NOTHING
    RETURNING 1`;
  return rows.length === 1;
}

export async function listEmails(sql: Sql, filter: { invoiceId?: string; limit: number }): Promise<EmailLogEntry[]> {
  return sql<EmailLogEntry[]>`
    SELECT ${columns(sql)} FROM email_log
    WHERE ${filter.invoiceId ? sql`invoice_id = ${filter.invoiceId}` : sql`true`}
    ORDER BY created_at, idempotency_key
    LIMIT ${filter.limit}`;
}

function columns(sql: Sql) {
  return sql`idempotency_key AS "idempotencyKey", invoice_id AS "invoiceId", customer_id AS "customerId", template, recipient, subject,
    html, text, attachments, transport, provider_message_id AS "providerMessageId", created_at AS "createdAt"`;
}
