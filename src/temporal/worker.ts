import type { PayloadCodec } from '@temporalio/common';
import { type NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../../activities';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { emailTaskQueue } from './task-queues';
import type { TemporalTracing } from './tracing';

export interface InvoiceWorkerOptions {
  readonly connection: NativeConnection;
  readonly namespace: string;
  readonly taskQueue: string;
  readonly deps: ActivityDeps;
  /** Task-queue-wide email rate (all workers together), in emails per second. */
  readonly emailRatePerSecond: number;
  /** Workflows kept in the worker's cache (`WORKFLOW_CACHE_SIZE`); the SDK's heap-based default when absent. */
  readonly maxCachedWorkflows?: number;
  /** Pre-built workflow bundle (tests); otherwise the workflows are bundled at start. */
  readonly workflowBundle?: WorkerOptions['workflowBundle'];
  /** Another workflows entry point (the benchmark adds its baseline workflow). */
  readonly workflowsPath?: string;
  /** Extra activities per queue (the benchmark's no-op baseline activities). */
  readonly extraActivities?: {
    main?: Record<string, (...args: never[]) => Promise<unknown>>;
    email?: Record<string, (...args: never[]) => Promise<unknown>>;
  };
  readonly extra?: Partial<WorkerOptions>;
  /** Encrypts what the workers write to Temporal and decrypts what they read (see `EncryptionCodec`). */
  readonly payloadCodec?: PayloadCodec;
  /** Carries traces through workflows and activities (see `startTracing`); the workflow bundle must then include its interceptors. */
  readonly tracing?: TemporalTracing;
}

/** `workflows/index.ts` from sources, `dist/workflows/index.js` when compiled. */
export const workflowsPath = () => path.join(__dirname, '..', '..', 'workflows', `index${path.extname(__filename)}`);

/** Workflow interceptors every bundle holds: OpenTelemetry's, for traced workflows only (`workflows/tracing-interceptors.ts`). */
export const workflowInterceptorModules = () => [
  path.join(__dirname, '..', '..', 'workflows', `tracing-interceptors${path.extname(__filename)}`),
];

/** `dist/workflow-bundle.js`, written by `npm run build` (scripts/bundle-workflows.ts). */
export const prebuiltBundlePath = () => path.join(__dirname, '..', '..', 'workflow-bundle.js');

/** The compiled worker's own bundle, when the build made one next to it; sources are bundled at start. */
function prebuiltBundle(): { codePath: string } | undefined {
  const codePath = prebuiltBundlePath();
  return path.extname(__filename) === '.js' && existsSync(codePath) ? { codePath } : undefined;
}

/** The workflow span sink of a worker without tracing: spans of workflows started in a trace are dropped. */
const DISCARDED_SPANS: NonNullable<WorkerOptions['sinks']> = { exporter: { export: { fn: () => undefined, callDuringReplay: false } } };

/**
 * Two workers over one connection: workflows and non-email activities on `taskQueue`, and emails on
 * `<taskQueue>-email`, where Temporal enforces `maxTaskQueueActivitiesPerSecond` across every worker
 * polling that queue — a month-end cliff never exceeds the provider's limit.
 */
export async function createInvoiceWorkers(o: InvoiceWorkerOptions): Promise<Worker[]> {
  const activities = createActivities(o.deps);
  const bundle = o.workflowBundle ?? (o.workflowsPath ? undefined : prebuiltBundle());
  const code = bundle ? { workflowBundle: bundle } : { workflowsPath: o.workflowsPath ?? workflowsPath() };
  const dataConverter = o.payloadCodec ? { dataConverter: { payloadCodecs: [o.payloadCodec] } } : {};
  // Workflows started in a trace export their spans here; without tracing, nowhere.
  const traced = {
    interceptors: {
      ...(o.tracing ? { activity: o.tracing.worker.activityInterceptors } : {}),
      ...(bundle ? {} : { workflowModules: workflowInterceptorModules() }),
    },
    sinks: o.tracing ? o.tracing.worker.sinks : DISCARDED_SPANS,
  };
  const main = await Worker.create({
    connection: o.connection,
    namespace: o.namespace,
    taskQueue: o.taskQueue,
    ...code,
    ...dataConverter,
    ...traced,
    activities: {
      renderInvoiceDocument: activities.renderInvoiceDocument,
      recordInvoiceEvents: activities.recordInvoiceEvents,
      loadPolicyVersion: activities.loadPolicyVersion,
      countRunningInvoices: activities.countRunningInvoices,
      migrateInvoices: activities.migrateInvoices,
      issueRecurringInvoice: activities.issueRecurringInvoice,
      refreshReportSnapshots: activities.refreshReportSnapshots,
      enqueueReminder: activities.enqueueReminder,
      loadCustomerAccount: activities.loadCustomerAccount,
      ...o.extraActivities?.main,
    },
    ...(o.maxCachedWorkflows !== undefined ? { maxCachedWorkflows: o.maxCachedWorkflows } : {}),
    ...o.extra,
  });
  const email = await Worker.create({
    connection: o.connection,
    namespace: o.namespace,
    taskQueue: emailTaskQueue(o.taskQueue),
    ...dataConverter,
    ...(o.tracing ? { interceptors: { activity: o.tracing.worker.activityInterceptors } } : {}),
    activities: {
      sendInvoiceEmail: activities.sendInvoiceEmail,
      sendCustomerReminders: activities.sendCustomerReminders,
      sendStatement: activities.sendStatement,
      sendPasswordLink: activities.sendPasswordLink,
      ...o.extraActivities?.email,
    },
    maxTaskQueueActivitiesPerSecond: o.emailRatePerSecond,
    ...o.extra,
  });
  return [main, email];
}
