import type { Client } from '@temporalio/client';
import type { Sql } from '../db/client';
import { deliverNextInboxEvent, INBOX_CHANNEL } from '../db/webhook-inbox';
import type { Logger } from '../log';
import { deliverGatewayEvent } from './deliver-gateway-event';

export interface InboxRelay {
  /** Delivers everything due now; resolves when the inbox has nothing due (or the relay stops). */
  drain(): Promise<number>;
  /** Stops taking events; resolves once the deliveries under way have ended. */
  stop(): Promise<void>;
}

/**
 * Delivers stored gateway events to workflows. It runs with the workers, apart from the process that
 * acknowledges webhooks: the inbox's insert trigger wakes it through Postgres NOTIFY, and a timer
 * retries what is due (backoff) and covers notifications missed while its connection was down. An
 * event stays in the inbox until its workflow has it; several relays share the work (SKIP LOCKED).
 */
export async function startInboxRelay(deps: {
  sql: Sql; client: Client; taskQueue: string; log: Logger; intervalMs?: number; concurrency?: number;
  /** How long one delivery may wait for Temporal before it is retried later (it holds the event's row lock). @default 10 000 */
  deliveryTimeoutMs?: number;
}): Promise<InboxRelay> {
  let running: Promise<number> | null = null;
  let again = false;
  let stopped = false;
  // Several drainers at once: each locks a different event (FOR UPDATE SKIP LOCKED).
  const drainOne = async (): Promise<number> => {
    let delivered = 0;
    while (!stopped) {
      const row = await deliverNextInboxEvent(deps.sql, (r) => deps.client.withDeadline(Date.now() + (deps.deliveryTimeoutMs ?? 10_000), () => deliverGatewayEvent(deps, r)));
      if (!row) return delivered;
      delivered++;
    }
    return delivered;
  };
  const drain = async (): Promise<number> => {
    const counts = await Promise.all(Array.from({ length: deps.concurrency ?? 4 }, drainOne));
    return counts.reduce((a, b) => a + b, 0);
  };
  const run = (): Promise<number> => {
    if (stopped) return Promise.resolve(0);
    if (running) {
      again = true;
      return running;
    }
    running = drain()
      .catch((err) => {
        deps.log.warn({ err: String(err) }, 'inbox relay pass failed');
        return 0;
      })
      .finally(() => {
        running = null;
        if (again && !stopped) {
          again = false;
          void run();
        }
      });
    return running;
  };
  const listener = await deps.sql.listen(INBOX_CHANNEL, () => void run(), () => void run());
  const timer = setInterval(() => void run(), deps.intervalMs ?? 1000);
  return {
    drain: () => run(),
    async stop() {
      stopped = true;
      clearInterval(timer);
      // At process exit the database may already be gone (embedded Postgres stops on the same signal).
      await listener.unlisten().catch(() => undefined);
      await running;
    },
  };
}
