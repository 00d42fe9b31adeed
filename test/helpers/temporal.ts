import type { PayloadCodec } from '@temporalio/common';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import type { TemporalTracing } from '../../src/temporal/tracing';
import { Runtime, DefaultLogger, type Worker } from '@temporalio/worker';
import type { Sql } from '../../src/db/client';
import { createOutboxMailer, type Mailer } from '../../src/email/mailer';
import { devServerExecutable, testServerExecutable } from '../../src/temporal/binaries';
import { SEARCH_ATTRIBUTES } from '../../src/temporal/search-attributes';
import { createInvoiceWorkers } from '../../src/temporal/worker';
import { registerSearchAttributes } from '../../src/temporal/register-search-attributes';

let runtimeInstalled = false;
/**
 * Keeps worker logs to warnings so test output stays readable. With `metricsAddress`, the SDK also
 * serves Prometheus metrics there (call before the stack is created: the runtime is per process).
 */
export function quietRuntime(o: { metricsAddress?: string } = {}): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  Runtime.install({
    logger: new DefaultLogger('WARN'),
    ...(o.metricsAddress
      ? { telemetryOptions: { metrics: { prometheus: { bindAddress: o.metricsAddress, useSecondsForDurations: true } } } }
      : {}),
  });
}

/** With `payloadCodec`, the environment's client encrypts and decrypts payloads (as the engine's does). */
export async function createTimeSkippingEnv(o: { payloadCodec?: PayloadCodec } = {}): Promise<TestWorkflowEnvironment> {
  quietRuntime();
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: testServerExecutable() },
    ...(o.payloadCodec ? { client: { dataConverter: { payloadCodecs: [o.payloadCodec] } } } : {}),
  });
  const { missing } = await registerSearchAttributes(env.connection, env.namespace ?? 'default');
  if (missing.length) throw new Error(`could not register search attributes ${missing.join(', ')}`);
  return env;
}

/** A real Temporal dev server (the `temporal` CLI) with our search attributes registered. */
export async function createDevServerEnv(
  o: { payloadCodec?: PayloadCodec; tracing?: TemporalTracing } = {},
): Promise<TestWorkflowEnvironment> {
  quietRuntime();
  return TestWorkflowEnvironment.createLocal({
    server: {
      executable: devServerExecutable(),
      searchAttributes: [...SEARCH_ATTRIBUTES],
      // A workflow whose tasks keep failing is marked (TemporalReportedProblems) after 2 failures, not 5: tests wait less.
      extraArgs: ['--log-level', 'error', '--dynamic-config-value', 'system.numConsecutiveWorkflowTaskProblemsToTriggerSearchAttribute=2'],
    },
    client: {
      ...(o.payloadCodec ? { dataConverter: { payloadCodecs: [o.payloadCodec] } } : {}),
      ...(o.tracing ? { interceptors: { workflow: o.tracing.clientInterceptors } } : {}),
    },
  });
}

export interface RunningWorkers {
  readonly taskQueue: string;
  stop(): Promise<void>;
}

/** Starts the real invoice workers (workflow bundle from globalSetup) against `env`. */
export async function startWorkers(
  env: TestWorkflowEnvironment,
  sql: Sql,
  o: {
    taskQueue?: string;
    mailer?: Mailer;
    emailRatePerSecond?: number;
    maxCachedWorkflows?: number;
    payloadCodec?: PayloadCodec;
    tracing?: TemporalTracing;
  } = {},
): Promise<RunningWorkers> {
  const taskQueue = o.taskQueue ?? `test-${Math.random().toString(36).slice(2, 10)}`;
  const workers: Worker[] = await createInvoiceWorkers({
    connection: env.nativeConnection,
    namespace: env.namespace ?? 'default',
    taskQueue,
    deps: {
      sql,
      mailer: o.mailer ?? createOutboxMailer(() => undefined),
      publicUrl: 'http://localhost:3000',
      from: 'billing@example.com',
      seller: 'Acme Test Ltd',
      temporal: { client: env.client, namespace: env.namespace ?? 'default' },
    },
    emailRatePerSecond: o.emailRatePerSecond ?? 1000,
    ...(o.maxCachedWorkflows !== undefined ? { maxCachedWorkflows: o.maxCachedWorkflows } : {}),
    workflowBundle: { codePath: process.env.TEST_WORKFLOW_BUNDLE! },
    ...(o.payloadCodec ? { payloadCodec: o.payloadCodec } : {}),
    ...(o.tracing ? { tracing: o.tracing } : {}),
  });
  const running = Promise.all(workers.map((w) => w.run()));
  return {
    taskQueue,
    async stop() {
      for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
      await running;
    },
  };
}
