import type { Sql } from './client';

/**
 * The invoice a payment of this id was applied to; null when none, or several, hold one (a split
 * remittance must name its invoice).
 */
export async function findInvoiceOfPayment(sql: Sql, paymentId: string): Promise<string | null> {
  const rows = await sql<{ invoiceId: string }[]>`
    SELECT invoice_id AS "invoiceId" FROM payments WHERE kind = 'payment' AND id = ${paymentId} LIMIT 2`;
  return rows.length === 1 ? rows[0]!.invoiceId : null;
}
