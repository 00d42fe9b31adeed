import { context } from '@opentelemetry/api';
import { inSpan, storedTraceContext } from '../temporal/trace-context';
import type { Client } from '@temporalio/client';
import type { Sql } from '../db/client';
import { deliverNextInboxEvent, INBOX_CHANNEL } from '../db/webhook-inbox';
import type { Logger } from '../log';
import { deliverGatewayEvent } from './deliver-gateway-event';
import { startDrainLoop, type DrainLoop } from './drain-loop';

export type InboxRelay = DrainLoop;

/**
 * Delivers stored gateway events to workflows. It runs with the workers, apart from the process that
 * acknowledges webhooks: the inbox's insert trigger wakes it through Postgres NOTIFY, and a timer
 * retries what is due (backoff) and covers notifications missed while its connection was down. An
 * event stays in the inbox until its workflow has it; several relays share the work (SKIP LOCKED).
 */
export async function startInboxRelay(deps: {
  sql: Sql;
  client: Client;
  taskQueue: string;
  log: Logger;
  intervalMs?: number;
  concurrency?: number;
  /** How long one delivery may wait for Temporal before it is retried later (it holds the event's row lock). @default 10 000 */
  deliveryTimeoutMs?: number;
}): Promise<InboxRelay> {
  return startDrainLoop({
    sql: deps.sql,
    channel: INBOX_CHANNEL,
    name: 'inbox relay',
    log: deps.log,
    intervalMs: deps.intervalMs,
    concurrency: deps.concurrency,
    takeOne: async () =>
      (await deliverNextInboxEvent(deps.sql, (r) =>
        // In the trace the event arrived in: the signal it becomes carries that trace to the workflow.
        context.with(storedTraceContext(r.traceContext), () =>
          inSpan(
            'inbox relay: deliver gateway event',
            { 'gateway.name': r.gateway, 'gateway.event_type': r.eventType, 'inbox.attempt': r.attempts + 1 },
            () => deps.client.withDeadline(Date.now() + (deps.deliveryTimeoutMs ?? 10_000), () => deliverGatewayEvent(deps, r)),
            (outcome) => ({ 'inbox.outcome': outcome.status }),
          ),
        ),
      )) !== null,
  });
}
