import type { GatewayEvent, GatewayFact } from '../gateways/types';
import type { Sql } from './client';

/** Postgres channel notified (by trigger) whenever events are stored. */
export const INBOX_CHANNEL = 'webhook_inbox';

export type InboxStatus = 'pending' | 'delivered' | 'ignored' | 'unapplied' | 'flagged';

export interface InboxRow {
  gateway: string;
  eventId: string;
  eventType: string;
  invoiceId: string | null;
  fact: GatewayFact;
  status: InboxStatus;
  attempts: number;
  receivedAt: Date;
  /** The trace the event arrived in (`traceparent`, `tracestate`); null when tracing is off. */
  traceContext: Record<string, string> | null;
}

/** Stores a verified event once per (gateway, event id). Returns false for a duplicate delivery. */
export async function insertInboxEvent(
  sql: Sql,
  gateway: string,
  event: GatewayEvent,
  traceContext: Record<string, string> | null = null,
): Promise<boolean> {
  const invoiceId = 'invoiceId' in event.fact ? event.fact.invoiceId : null;
  const rows = await sql`
    INSERT INTO webhook_inbox (gateway, event_id, event_type, invoice_id, fact, occurred_at, status, trace_context)
    VALUES (${gateway}, ${event.id}, ${event.type}, ${invoiceId}, ${sql.json(event.fact as never)}, ${event.occurredAt},
            ${event.fact.kind === 'none' ? 'ignored' : 'pending'}, ${traceContext ? sql.json(traceContext) : null})
    ON CONFLICT (gateway, event_id) DO NOTHING
    RETURNING 1`;
  return rows.length === 1;
}

/** Stores many events of one gateway at once (a bank statement's payments); ones stored before are left as they are. */
export async function insertInboxEvents(sql: Sql, gateway: string, events: readonly GatewayEvent[]): Promise<void> {
  for (let i = 0; i < events.length; i += 5_000) {
    const rows = events.slice(i, i + 5_000).map((event) => ({
      gateway,
      event_id: event.id,
      event_type: event.type,
      invoice_id: 'invoiceId' in event.fact ? event.fact.invoiceId : null,
      fact: sql.json(event.fact as never),
      occurred_at: event.occurredAt,
      status: event.fact.kind === 'none' ? 'ignored' : 'pending',
    }));
    await sql`INSERT INTO webhook_inbox ${sql(rows)} ON CONFLICT (gateway, event_id) DO NOTHING`;
  }
}

/**
 * Locks the oldest due pending event (skipping ones another relay holds) and hands it to `deliver`
 * inside the same transaction; records the outcome, or schedules a retry with exponential backoff.
 */
export async function deliverNextInboxEvent(
  sql: Sql,
  deliver: (row: InboxRow) => Promise<{ status: Exclude<InboxStatus, 'pending'>; note?: string }>,
): Promise<InboxRow | null> {
  return sql.begin(async (tx) => {
    const [row] = await tx<InboxRow[]>`
      SELECT gateway, event_id AS "eventId", event_type AS "eventType", invoice_id AS "invoiceId", fact, status, attempts,
             received_at AS "receivedAt", trace_context AS "traceContext"
      FROM webhook_inbox WHERE status = 'pending' AND next_attempt_at <= now()
      ORDER BY next_attempt_at, received_at LIMIT 1 FOR UPDATE SKIP LOCKED`;
    if (!row) return null;
    try {
      const outcome = await deliver(row);
      await tx`UPDATE webhook_inbox SET status = ${outcome.status}, delivered_at = now(), attempts = attempts + 1, last_error = ${outcome.note ?? null}
               WHERE gateway = ${row.gateway} AND event_id = ${row.eventId}`;
    } catch (err) {
      const backoffSeconds = Math.min(300, 2 ** Math.min(row.attempts, 8));
      await tx`UPDATE webhook_inbox SET attempts = attempts + 1, last_error = ${String((err as Error).message ?? err).slice(0, 500)},
                 next_attempt_at = now() + make_interval(secs => ${backoffSeconds})
               WHERE gateway = ${row.gateway} AND event_id = ${row.eventId}`;
    }
    return row;
  });
}
