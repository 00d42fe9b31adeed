import type { Sql } from './client';

/**
 * Adds a fact that reached an invoice after its workflow completed (for example a chargeback opened
 * on a paid invoice) to the invoice's audit trail, once per `key` however often it is delivered.
 */
export async function recordInvoiceNote(
  sql: Sql,
  n: { invoiceId: string; action: string; key: string; actor: string; reason: string; data: Record<string, unknown> },
): Promise<void> {
  await sql`
    INSERT INTO audit_log (entity_type, entity_id, action, actor, reason, data)
    SELECT 'invoice', ${n.invoiceId}, ${n.action}, ${n.actor}, ${n.reason}, ${sql.json({ ...n.data, key: n.key } as never)}
    WHERE NOT EXISTS (SELECT 1 FROM audit_log WHERE entity_type = 'invoice' AND entity_id = ${n.invoiceId} AND action = ${n.action} AND data->>'key' = ${n.key})`;
}
