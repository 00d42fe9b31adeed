import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { z } from 'zod';
import type { Sql } from '../db/client';
import { findPolicyVersion } from '../db/policies';
import { DomainError, ErrorCode } from '../domain/errors';
import { migrationProgressQuery, type MigrationProgress } from '../../workflows/policy-migration';
import type { policyMigrationWorkflow } from '../../workflows';
import { multiLine } from '../domain/input';

export const startMigrationSchema = z.strictObject({
  toVersion: z.number({ error: 'must be a policy version number' }).int().positive().max(2_147_483_647),
  reason: multiLine(1000).optional(),
});

export interface MigrationDeps {
  readonly sql: Sql;
  readonly client: Client;
  readonly taskQueue: string;
}

/** One migration per policy and target version: starting it again while it runs attaches to it. */
export const migrationWorkflowId = (policyName: string, version: number) => `policy-migration-${policyName}-v${version}`;

export type MigrationStatus = Omit<MigrationProgress, 'state'> & {
  readonly workflowId: string;
  readonly runId: string;
  /** `starting` until the migration's first step ran; `failed`/`terminated`/… if it did not complete. */
  readonly state: MigrationProgress['state'] | 'starting' | 'failed' | 'terminated' | 'canceled' | 'timed_out';
};

/**
 * Starts moving every running invoice on `policyName` to `toVersion` (their future steps). Returns
 * at once; progress is read with `readPolicyMigration`. Re-running after completion is safe.
 */
export async function startPolicyMigration(
  deps: MigrationDeps,
  policyName: string,
  body: z.infer<typeof startMigrationSchema>,
  actor: string,
): Promise<MigrationStatus> {
  const policy = await findPolicyVersion(deps.sql, policyName, body.toVersion);
  if (!policy) throw new DomainError(ErrorCode.NOT_FOUND, `policy ${policyName} version ${body.toVersion} does not exist`);
  const workflowId = migrationWorkflowId(policyName, body.toVersion);
  await deps.client.workflow.start<typeof policyMigrationWorkflow>('policyMigrationWorkflow', {
    workflowId,
    taskQueue: deps.taskQueue,
    args: [{ policyName, toVersion: body.toVersion, actor, ...(body.reason ? { reason: body.reason } : {}) }],
    workflowIdReusePolicy: 'ALLOW_DUPLICATE',
    workflowIdConflictPolicy: 'USE_EXISTING',
    staticSummary: `Move running invoices on ${policyName} to v${body.toVersion}`,
    ...(body.reason ? { staticDetails: body.reason } : {}),
  });
  return readPolicyMigration(deps.client, policyName, body.toVersion);
}

/** The latest migration of `policyName` to `version`: live progress while it runs, its report after. */
export async function readPolicyMigration(client: Client, policyName: string, version: number): Promise<MigrationStatus> {
  const workflowId = migrationWorkflowId(policyName, version);
  const handle = client.workflow.getHandle(workflowId);
  let description;
  try {
    description = await handle.describe();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError)
      throw new DomainError(ErrorCode.NOT_FOUND, `no migration of ${policyName} to version ${version} was started`);
    throw err;
  }
  const base = { workflowId, runId: description.runId };
  const status = description.status.name;
  if (status === 'COMPLETED') return { ...(await handle.result()), ...base };
  const empty: Omit<MigrationStatus, 'state' | 'workflowId' | 'runId'> = {
    policyName,
    toVersion: version,
    total: null,
    examined: 0,
    migrated: 0,
    already: 0,
    skipped: 0,
    failed: 0,
    problems: [],
    startedAt: description.startTime.toISOString(),
    finishedAt: description.closeTime?.toISOString() ?? null,
  };
  if (status === 'RUNNING') {
    try {
      return { ...(await handle.query(migrationProgressQuery)), ...base };
    } catch {
      return { ...empty, state: 'starting', ...base };
    }
  }
  return { ...empty, state: status.toLowerCase() as MigrationStatus['state'], ...base };
}
