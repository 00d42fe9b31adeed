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
