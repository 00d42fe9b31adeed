import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createTestDatabase, type TestDatabase } from './database';
import { createDevServerEnv, createTimeSkippingEnv, startWorkers, type RunningWorkers } from './temporal';

export interface Stack {
  db: TestDatabase;
  env: TestWorkflowEnvironment;
  /** Replaceable: a test may stop the workers and start new ones (outage scenarios). */
  workers: RunningWorkers;
}

/**
 * A real stack for one test file: a fresh database, a Temporal server (time-skipping test server or
 * the real dev server) and the real invoice workers, torn down after the file.
 */
export function useStack(server: 'time-skipping' | 'dev-server'): Stack {
  const stack = {} as Stack;
  beforeAll(async () => {
    stack.db = await createTestDatabase();
    stack.env = server === 'time-skipping' ? await createTimeSkippingEnv() : await createDevServerEnv();
    stack.workers = await startWorkers(stack.env, stack.db.sql);
  });
  afterAll(async () => {
    await stack.workers?.stop();
    await stack.env?.teardown();
    await stack.db?.drop();
  });
  return stack;
}
