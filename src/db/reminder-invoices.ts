import type { Sql } from './client';

/** What a reminder needs to know of an invoice at the moment it goes out. */
export interface ReminderInvoiceRow {
  id: string;
  number: string;
  customerId: string;
  status: string;
  disputed: boolean;
  promisedDate: string | null;
  promiseDeadline: Date | null;
  currency: string;
  totalCents: number;
  feesCents: number;
  amountDueCents: number;
  dueAt: Date;
}

export async function findReminderInvoices(sql: Sql, ids: readonly string[]): Promise<Map<string, ReminderInvoiceRow>> {
  if (ids.length === 0) return new Map();
  const rows = await sql<(Omit<ReminderInvoiceRow, 'totalCents' | 'feesCents' | 'amountDueCents'> & Record<string, unknown>)[]>`
    SELECT id, number, customer_id AS "customerId", status, disputed, promised_date::text AS "promisedDate",
           promise_deadline AS "promiseDeadline", currency, total_cents AS "totalCents", fees_cents AS "feesCents",
           amount_due_cents AS "amountDueCents", due_at AS "dueAt"
    FROM invoices WHERE id = ANY (${sql.array(ids as string[])}::uuid[])`;
  return new Map(
    rows.map((r) => [
      r.id,
      {
        ...r,
        totalCents: Number(r.totalCents),
        feesCents: Number(r.feesCents),
        amountDueCents: Number(r.amountDueCents),
      } as ReminderInvoiceRow,
    ]),
  );
}
