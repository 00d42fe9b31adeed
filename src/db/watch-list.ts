import type { Sql } from './client';

/** An open invoice a collector keeps an eye on (the dashboard's list). */
export interface WatchedInvoiceRow {
  id: string;
  number: string;
  customerName: string;
  currency: string;
  amountDueCents: number;
  dueOn: string;
  dunningStage: string;
  disputed: boolean;
  promisedDate: string | null;
  workflowId: string;
}

/** Open invoices that are disputed, promised, or at their final stages: disputed first, then by due date. */
export async function listWatchedInvoices(sql: Sql, limit: number): Promise<WatchedInvoiceRow[]> {
  return sql<WatchedInvoiceRow[]>`
    SELECT i.id, i.number, c.name AS "customerName", i.currency, i.amount_due_cents AS "amountDueCents", i.due_on AS "dueOn",
           i.dunning_stage AS "dunningStage", i.disputed, i.promised_date AS "promisedDate", i.workflow_id AS "workflowId"
    FROM invoices i JOIN customers c ON c.id = i.customer_id
    WHERE i.status = 'open' AND (i.disputed OR i.promised_date IS NOT NULL OR i.dunning_stage IN ('final_notice', 'handoff_notice'))
    ORDER BY i.disputed DESC, i.due_on LIMIT ${limit}`;
}
