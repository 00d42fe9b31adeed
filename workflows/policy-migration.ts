import { defineQuery, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { MigratePageResult } from './messages';

export interface PolicyMigrationInput {
  readonly policyName: string;
  readonly toVersion: number;
  readonly actor: string;
  readonly reason?: string;
  /** Invoices per activity (one visibility page); progress advances page by page. */
  readonly pageSize?: number;
}

export interface MigrationProgress {
  readonly policyName: string;
  readonly toVersion: number;
  readonly state: 'running' | 'completed';
  /** Running invoices on the policy when the migration started (visibility count; may lag). */
  total: number | null;
  examined: number;
  migrated: number;
  already: number;
  skipped: number;
  failed: number;
  /** The first failures and refusals, for a human to look at (re-running retries them). */
  problems: { workflowId: string; problem: string }[];
  readonly startedAt: string;
  finishedAt: string | null;
}

export const migrationProgressQuery = defineQuery<MigrationProgress>('progress');

const MAX_PROBLEMS = 100;

const { loadPolicyVersion, countRunningInvoices } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds' },
});
const { migrateInvoices } = proxyActivities<Activities>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '2 seconds', maximumInterval: '1 minute' },
});

/**
 * Moves every running invoice on a policy to one of its versions, for their future steps, a
 * visibility page at a time. Each invoice decides in its own workflow (refusing when closed), so the
 * migration is safe to re-run: a second run finds them `already` there and moves none.
 */
export async function policyMigrationWorkflow(input: PolicyMigrationInput): Promise<MigrationProgress> {
  const { workflowId, runId, startTime } = workflowInfo();
  const migrationId = `${workflowId}/${runId}`;
  const progress: MigrationProgress = {
    policyName: input.policyName,
    toVersion: input.toVersion,
    state: 'running',
    total: null,
    examined: 0,
    migrated: 0,
    already: 0,
    skipped: 0,
    failed: 0,
    problems: [],
    startedAt: startTime.toISOString(),
    finishedAt: null,
  };
  setHandler(migrationProgressQuery, () => progress);

  const policy = await loadPolicyVersion({ name: input.policyName, version: input.toVersion });
  progress.total = await countRunningInvoices({ policyName: input.policyName });
  let pageToken: string | null = null;
  do {
    const page: MigratePageResult = await migrateInvoices({
      policy,
      migrationId,
      actor: input.actor,
      ...(input.reason ? { reason: input.reason } : {}),
      ...(pageToken ? { pageToken } : {}),
      pageSize: input.pageSize ?? 50,
      perInvoiceTimeoutMs: 30_000,
      concurrency: 8,
    });
    progress.examined += page.examined;
    progress.migrated += page.migrated;
    progress.already += page.already;
    progress.skipped += page.skipped.length;
    progress.failed += page.failed.length;
    const problems = [
      ...page.failed.map((f) => ({ workflowId: f.workflowId, problem: f.error })),
      ...page.skipped.map((s) => ({ workflowId: s.workflowId, problem: s.reason })),
    ];
    progress.problems.push(...problems.slice(0, MAX_PROBLEMS - progress.problems.length));
    pageToken = page.nextPageToken;
  } while (pageToken);

  return Object.assign(progress, { state: 'completed' as const, finishedAt: new Date().toISOString() });
}
