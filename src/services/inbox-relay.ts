import type { Client } from '@temporalio/client';
import type { Sql } from '../db/client';
import { deliverNextInboxEvent } from '../db/webhook-inbox';
import type { Logger } from '../log';
import { deliverGatewayEvent } from './deliver-gateway-event';

export interface InboxRelay {
  /** Delivers what is due now (called right after a webhook is stored). */
  kick(): void;
  /** Delivers everything due now; resolves when the inbox has nothing due. */
  drain(): Promise<number>;
  stop(): Promise<void>;
}

/**
 * Delivers stored gateway events to workflows: at once after each webhook, and every second for
 * retries, so an event stays in the inbox until its workflow has it.
 */
export function startInboxRelay(deps: { sql: Sql; client: Client; taskQueue: string; log: Logger; intervalMs?: number; concurrency?: number }): InboxRelay {
  let running: Promise<number> | null = null;
  let again = false;
  let stopped = false;
  // Several drainers at once: each locks a different event (FOR UPDATE SKIP LOCKED).
  const drainOne = async (): Promise<number> => {
    let delivered = 0;
    for (;;) {
      const row = await deliverNextInboxEvent(deps.sql, (r) => deliverGatewayEvent(deps, r));
      if (!row) return delivered;
      delivered++;
    }
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
  const timer = setInterval(() => void run(), deps.intervalMs ?? 1000);
  return {
    kick: () => void run(),
    drain: () => run(),
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
