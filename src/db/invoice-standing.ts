import { attentionItems, type AttentionKind } from './attention';
import type { Sql } from './client';

/** What the workflow itself lists in its NeedsAttention: the kinds that belong to one invoice's ledger. */
const INVOICE_ATTENTION: readonly AttentionKind[] = ['projection_failed', 'payment_flagged', 'refund_flagged', 'parked'];

/** What the API shows beside an invoice row: its customer's time zone and what waits for a human. */
export interface InvoiceStanding {
  readonly timeZone: string;
  /** As the workflow lists them: a refused projection, open ledger flags by kind, parked. */
  readonly needsAttention: string[];
}

/** The standing of each invoice in `ids` (all of them in one round trip, for a list). */
export async function findInvoiceStandings(sql: Sql, ids: readonly string[]): Promise<Map<string, InvoiceStanding>> {
  if (ids.length === 0) return new Map();
  const rows = await sql<{ id: string; timeZone: string; needsAttention: string[] }[]>`
    SELECT i.id, c.time_zone AS "timeZone",
           ARRAY(
             SELECT a.kind FROM (${attentionItems(sql)}) a
             WHERE a.invoice_id = i.id AND a.kind IN ${sql(INVOICE_ATTENTION)}
             GROUP BY a.kind ORDER BY a.kind <> 'projection_failed', a.kind = 'parked', min(a.since)
           ) AS "needsAttention"
    FROM invoices i JOIN customers c ON c.id = i.customer_id
    WHERE i.id = ANY(${ids as string[]}::uuid[])`;
  return new Map(rows.map(({ id, ...standing }) => [id, standing]));
}
