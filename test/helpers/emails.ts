import type { Sql } from '../../src/db/client';
import { listEmails } from '../../src/db/email-log';

/**
 * What an invoice was sent, step by step, in order: its issue email and each step's reminder (reminders
 * falling due together may share one grouped email, which counts once per step it carried).
 */
export async function templatesSent(sql: Sql, invoiceId: string): Promise<string[]> {
  return (await listEmails(sql, { invoiceId, limit: 100 })).flatMap((e) =>
    e.items?.length ? e.items.filter((i) => i.invoiceId === invoiceId).map((i) => i.template) : [e.template],
  );
}
