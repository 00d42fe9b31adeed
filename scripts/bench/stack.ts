import { randomUUID } from 'node:crypto';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { createSql, type Sql } from '../../src/db/client';
import { startEmbeddedPostgres } from '../../src/db/embedded';
import { migrate } from '../../src/db/migrate';
import { seedPolicy } from '../../src/db/policies';
import { STANDARD_POLICY } from '../../src/domain/policy';
import { createOutboxMailer } from '../../src/email/mailer';
import { createLogger, type Logger } from '../../src/log';
import { devServerExecutable } from '../../src/temporal/binaries';
import { installRuntimeLogger } from '../../src/temporal/runtime-logger';
import { INVOICE_SEARCH_ATTRIBUTES } from '../../src/temporal/search-attributes';
import { createInvoiceWorkers, type InvoiceWorkerOptions } from '../../src/temporal/worker';

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
export async function startBenchStack(o: Pick<InvoiceWorkerOptions, 'emailRatePerSecond' | 'workflowsPath' | 'extraActivities'> & { taskQueue: string }): Promise<BenchStack> {
  const log = createLogger('warn');
  installRuntimeLogger(log);
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'bench-'));
  await chmod(tmp, 0o755);
  let stopPg = async () => {};
  let url = process.env.DATABASE_URL;
  if (!url) {
    const pg = await startEmbeddedPostgres({ dir: path.join(tmp, 'pg'), port: 5400 + Math.floor(Math.random() * 90), persistent: false });
    stopPg = () => pg.stop();
    url = pg.url;
  }
  const admin = createSql(url, { max: 1 });
  const dbName = `bench_${randomUUID().slice(0, 8)}`;
  await admin.unsafe(`CREATE DATABASE ${dbName}`);
  const dbUrl = new URL(url);
  dbUrl.pathname = `/${dbName}`;
  const sql = createSql(dbUrl.toString(), { max: 20 });
  await migrate(sql);
  await seedPolicy(sql, STANDARD_POLICY);

  const env = await TestWorkflowEnvironment.createLocal({ server: { executable: devServerExecutable(), searchAttributes: [...INVOICE_SEARCH_ATTRIBUTES], extraArgs: ['--log-level', 'error'] } });
  const workers = await createInvoiceWorkers({
    connection: env.nativeConnection, namespace: 'default', taskQueue: o.taskQueue,
    deps: { sql, mailer: createOutboxMailer(() => undefined), publicUrl: 'http://localhost:3000', from: 'bench@example.com', seller: 'Bench Ltd' },
    emailRatePerSecond: o.emailRatePerSecond,
    ...(o.workflowsPath ? { workflowsPath: o.workflowsPath } : {}),
    ...(o.extraActivities ? { extraActivities: o.extraActivities } : {}),
  });
  const running = Promise.all(workers.map((w) => w.run()));
  return {
    sql, env, log, taskQueue: o.taskQueue, databaseUrl: dbUrl.toString(),
    async stop() {
      for (const w of workers) w.shutdown();
      await running;
      await env.teardown();
      await sql.end();
      await admin.unsafe(`DROP DATABASE ${dbName} WITH (FORCE)`);
      await admin.end();
      await stopPg();
      await rm(tmp, { recursive: true, force: true });
    },
  };
}
