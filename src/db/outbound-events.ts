import type { OutboundEvent } from '../domain/outbound-events';
import type { Sql } from './client';

/**
 * Stores outbound events and a pending delivery for every endpoint subscribed to each type. Run
 * inside the projection's transaction; an event id already stored is left alone.
 */
export async function enqueueOutboundEvents(tx: Sql, invoiceId: string | null, events: readonly OutboundEvent[]): Promise<void> {
  if (events.length === 0) return;
  const rows = events.map((e) => ({ id: e.id, type: e.type, payload: e, created_at: e.createdAt }));
  const stored = await tx<{ id: string; type: string }[]>`
    INSERT INTO outbound_events (id, type, invoice_id, payload, created_at)
    SELECT id, type, ${invoiceId}::uuid, payload, created_at
    FROM jsonb_to_recordset(${tx.json(rows as never)}::jsonb) AS r(id text, type text, payload jsonb, created_at timestamptz)
    ON CONFLICT (id) DO NOTHING
    RETURNING id, type`;
  if (stored.length === 0) return;
  await tx`
    INSERT INTO webhook_deliveries (event_id, endpoint_id)
    SELECT e.id, w.id
    FROM jsonb_to_recordset(${tx.json(stored as never)}::jsonb) AS e(id text, type text)
    JOIN webhook_endpoints w ON e.type = ANY (w.events)
    ON CONFLICT DO NOTHING`;
}
