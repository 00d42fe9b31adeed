import type { Sql } from './client';

export const DELIVERIES_CHANNEL = 'webhook_deliveries';

export type DeliveryStatus = 'pending' | 'delivered' | 'failed';

/** A claimed delivery: the event's body and where to send it. */
export interface ClaimedDelivery {
  eventId: string;
  endpointId: string;
  url: string;
  secret: string;
  payload: unknown;
  /** Including this one. */
  attempts: number;
}

export interface DeliveryRow {
  eventId: string;
  type: string;
  invoiceId: string | null;
  status: DeliveryStatus;
  attempts: number;
  nextAttemptAt: Date | null;
  lastStatusCode: number | null;
  lastError: string | null;
  deliveredAt: Date | null;
  createdAt: Date;
}

/**
 * Claims the oldest due delivery for `leaseSeconds` (skipping ones another dispatcher holds) and
 * counts the attempt. If the process dies while sending, the lease runs out and it is sent again.
 */
export async function claimDueDelivery(sql: Sql, leaseSeconds: number): Promise<ClaimedDelivery | null> {
  const [row] = await sql<ClaimedDelivery[]>`
    WITH due AS (
      SELECT event_id, endpoint_id FROM webhook_deliveries
      WHERE status = 'pending' AND next_attempt_at <= now()
      ORDER BY next_attempt_at LIMIT 1 FOR UPDATE SKIP LOCKED
    )
    UPDATE webhook_deliveries d SET attempts = d.attempts + 1, next_attempt_at = now() + make_interval(secs => ${leaseSeconds})
    FROM due, webhook_endpoints w, outbound_events e
    WHERE d.event_id = due.event_id AND d.endpoint_id = due.endpoint_id AND w.id = d.endpoint_id AND e.id = d.event_id
    RETURNING d.event_id AS "eventId", d.endpoint_id AS "endpointId", w.url, w.secret, e.payload, d.attempts`;
  return row ?? null;
}

/** Records the outcome of an attempt: delivered, retried after `retryInMs`, or failed for good (`retryInMs` null). */
export async function recordDeliveryAttempt(
  sql: Sql,
  d: { eventId: string; endpointId: string },
  outcome: { delivered: boolean; statusCode: number | null; error: string | null; retryInMs: number | null },
): Promise<void> {
  const status: DeliveryStatus = outcome.delivered ? 'delivered' : outcome.retryInMs === null ? 'failed' : 'pending';
  await sql`
    UPDATE webhook_deliveries SET
      status = ${status},
      last_status_code = ${outcome.statusCode},
      last_error = ${outcome.error?.slice(0, 500) ?? null},
      delivered_at = CASE WHEN ${outcome.delivered} THEN now() END,
      next_attempt_at = now() + make_interval(secs => ${(outcome.retryInMs ?? 0) / 1000})
    WHERE event_id = ${d.eventId} AND endpoint_id = ${d.endpointId}`;
}

export async function listDeliveries(
  sql: Sql,
  endpointId: string,
  filter: { status?: DeliveryStatus; limit: number },
): Promise<DeliveryRow[]> {
  return sql<DeliveryRow[]>`
    SELECT d.event_id AS "eventId", e.type, e.invoice_id AS "invoiceId", d.status, d.attempts,
           CASE WHEN d.status = 'pending' THEN d.next_attempt_at END AS "nextAttemptAt",
           d.last_status_code AS "lastStatusCode", d.last_error AS "lastError", d.delivered_at AS "deliveredAt", d.created_at AS "createdAt"
    FROM webhook_deliveries d JOIN outbound_events e ON e.id = d.event_id
    WHERE d.endpoint_id = ${endpointId} AND ${filter.status ? sql`d.status = ${filter.status}` : sql`true`}
    ORDER BY d.created_at DESC, e.created_at DESC LIMIT ${filter.limit}`;
}

/** Puts a delivery back in the queue now (ops redelivering after fixing their endpoint). */
export async function redeliver(sql: Sql, endpointId: string, eventId: string): Promise<boolean> {
  const rows = await sql`
    UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = now(), attempts = 0
    WHERE endpoint_id = ${endpointId} AND event_id = ${eventId} RETURNING event_id`;
  return rows.length > 0;
}
