import type { PayloadCodec } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { TemporalTracing } from '../../src/temporal/tracing';
import { createTestDatabase, type TestDatabase } from './database';
import { expectLedgerConsistent } from './ledger-check';
import { createDevServerEnv, createTimeSkippingEnv, startWorkers, type RunningWorkers } from './temporal';

export interface Stack {
  db: TestDatabase;
  env: TestWorkflowEnvironment;
  /** Replaceable: a test may stop the workers and start new ones (outage scenarios). */
  workers: RunningWorkers;
  /** More workers (their own task queue, settings), running until the file ends so its invoices stay answerable. */
  moreWorkers(o?: Parameters<typeof startWorkers>[2]): Promise<RunningWorkers>;
}

/**
 * A real stack for one test file: a fresh database, a Temporal server (time-skipping test server or
 * the real dev server) and the real invoice workers, torn down after the file once the ledger
 * check has found every workflow and Postgres in agreement.
 */
export function useStack(
  server: 'time-skipping' | 'dev-server',
  o: { payloadCodec?: PayloadCodec; tracing?: TemporalTracing } = {},
): Stack {
  const more: RunningWorkers[] = [];
  const codec = { ...(o.payloadCodec ? { payloadCodec: o.payloadCodec } : {}), ...(o.tracing ? { tracing: o.tracing } : {}) };
  const stack = {
    async moreWorkers(o) {
      const workers = await startWorkers(stack.env, stack.db.sql, { ...codec, ...o });
      more.push(workers);
      return workers;
    },
  } as Stack;
  beforeAll(async () => {
    stack.db = await createTestDatabase();
    if (o.tracing && server === 'time-skipping') throw new Error('tracing tests run on the dev server');
    stack.env = server === 'time-skipping' ? await createTimeSkippingEnv(codec) : await createDevServerEnv(codec);
    stack.workers = await startWorkers(stack.env, stack.db.sql, codec);
  });
  afterAll(async () => {
    try {
      if (stack.db && stack.env && stack.workers) await expectLedgerConsistent(stack.db.sql, stack.env.client);
    } finally {
      for (const w of [stack.workers, ...more]) await w?.stop();
      await stack.env?.teardown();
      await stack.db?.drop();
    }
  });
  return stack;
}
