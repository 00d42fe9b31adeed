import type { Sql } from '../db/client';
import type { Logger } from '../log';

export interface DrainLoop {
  /** Works through everything due now; resolves when nothing is due (or the loop stops). */
  drain(): Promise<number>;
  /** Stops taking work; resolves once the work under way has ended. */
  stop(): Promise<void>;
}

/**
 * Runs `takeOne` until it finds nothing, with `concurrency` takers at once (each claims a different
 * row, e.g. FOR UPDATE SKIP LOCKED). A Postgres NOTIFY on `channel` wakes it when work is stored; a
 * timer retries what falls due (backoff) and covers notifications missed while disconnected.
 */
export async function startDrainLoop(o: {
  sql: Sql;
  channel: string;
  name: string;
  log: Logger;
  /** Does one unit of work; `false` when nothing is due. */
  takeOne: () => Promise<boolean>;
  intervalMs?: number;
  concurrency?: number;
}): Promise<DrainLoop> {
  let running: Promise<number> | null = null;
  let again = false;
  let stopped = false;
  const drainOne = async (): Promise<number> => {
    let done = 0;
    while (!stopped && (await o.takeOne())) done++;
    return done;
  };
  const drain = async (): Promise<number> => {
    const counts = await Promise.all(Array.from({ length: o.concurrency ?? 4 }, drainOne));
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
        o.log.warn({ err: String(err) }, `${o.name} pass failed`);
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
  const listener = await o.sql.listen(
    o.channel,
    () => void run(),
    () => void run(),
  );
  const timer = setInterval(() => void run(), o.intervalMs ?? 1000);
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
