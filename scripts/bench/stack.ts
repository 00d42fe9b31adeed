import { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Sql } from '../../src/db/client';
import { createOutboxMailer } from '../../src/email/mailer';
import { createLogger, type Logger } from '../../src/log';
import { devServerExecutable } from '../../src/temporal/binaries';
import { installRuntimeLogger } from '../../src/temporal/runtime-logger';
import { SEARCH_ATTRIBUTES } from '../../src/temporal/search-attributes';
import { createInvoiceWorkers, type InvoiceWorkerOptions } from '../../src/temporal/worker';
import { createBenchDatabase } from './database';

export interface BenchStack {
  readonly sql: Sql;
  /** The benchmark's own database, for processes the benchmark starts. */
  readonly databaseUrl: string;
  readonly env: TestWorkflowEnvironment;
  readonly log: Logger;
  readonly taskQueue: string;
  stop(): Promise<void>;
}

/**
 * What every benchmark runs on: a fresh database (DATABASE_URL's server, or embedded PostgreSQL in a
 * temp dir), an in-memory Temporal dev server and the real invoice workers; torn down by `stop()`.
 */
export async function startBenchStack(
  o: Pick<InvoiceWorkerOptions, 'emailRatePerSecond' | 'workflowsPath' | 'extraActivities'> & { taskQueue: string },
): Promise<BenchStack> {
  const log = createLogger('warn');
  installRuntimeLogger(log);
  const db = await createBenchDatabase();
  const sql = db.sql;

  const env = await TestWorkflowEnvironment.createLocal({
    server: { executable: devServerExecutable(), searchAttributes: [...SEARCH_ATTRIBUTES], extraArgs: ['--log-level', 'error'] },
  });
  const workers = await createInvoiceWorkers({
    connection: env.nativeConnection,
    namespace: 'default',
    taskQueue: o.taskQueue,
    deps: {
      sql,
      mailer: createOutboxMailer(() => undefined),
      publicUrl: 'http://localhost:3000',
      from: 'bench@example.com',
      seller: 'Bench Ltd',
      temporal: { client: env.client, namespace: 'default' },
    },
    emailRatePerSecond: o.emailRatePerSecond,
    ...(o.workflowsPath ? { workflowsPath: o.workflowsPath } : {}),
    ...(o.extraActivities ? { extraActivities: o.extraActivities } : {}),
  });
  const running = Promise.all(workers.map((w) => w.run()));
  return {
    sql,
    env,
    log,
    taskQueue: o.taskQueue,
    databaseUrl: db.url,
    async stop() {
      for (const w of workers) w.shutdown();
      await running;
      await env.teardown();
      await db.drop();
    },
  };
}
