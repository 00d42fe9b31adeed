import type { Sql } from './client';

/** One entry of an invoice's audit trail: its events as projected, and the API's own records. */
export interface AuditEntryRow {
  seq: number | null;
  action: string;
  actor: string;
  reason: string | null;
  data: unknown;
  at: Date;
}

/** An invoice's audit trail, oldest first. */
export async function listInvoiceTimeline(sql: Sql, invoiceId: string): Promise<AuditEntryRow[]> {
  return sql<AuditEntryRow[]>`
    SELECT seq, action, actor, reason, data, at FROM audit_log
    WHERE entity_type = 'invoice' AND entity_id = ${invoiceId} ORDER BY id`;
}

/** Records who did what to an entity (a user, a token), in the caller's transaction. */
export async function writeAudit(
  sql: Sql,
  e: { entityType: string; entityId: string; action: string; actor: string; reason?: string; data?: Record<string, unknown> },
): Promise<void> {
  await sql`INSERT INTO audit_log (entity_type, entity_id, action, actor, reason, data)
            VALUES (${e.entityType}, ${e.entityId}, ${e.action}, ${e.actor}, ${e.reason ?? null}, ${sql.json((e.data ?? {}) as never)})`;
}
