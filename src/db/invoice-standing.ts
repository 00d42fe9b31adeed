import type { Sql } from './client';

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
             SELECT 'projection_failed' WHERE EXISTS (SELECT 1 FROM projection_failures f WHERE f.invoice_id = i.id AND f.resolved_at IS NULL)
             UNION ALL
             SELECT kind FROM (SELECT kind, min(flagged_at) AS since FROM ledger_flags l
                               WHERE l.invoice_id = i.id AND l.resolved_at IS NULL GROUP BY kind ORDER BY since) k
             UNION ALL
             SELECT 'parked' WHERE i.parked_at IS NOT NULL AND i.status = 'open'
           ) AS "needsAttention"
    FROM invoices i JOIN customers c ON c.id = i.customer_id
    WHERE i.id = ANY(${ids as string[]}::uuid[])`;
  return new Map(rows.map(({ id, ...standing }) => [id, standing]));
}
