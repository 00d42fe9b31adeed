import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import type { PolicyVersion } from '../domain/policy';
import { migratePolicyUpdate, type MigratePageResult, type MigrationResult } from '../../workflows/messages';

/** The visibility query for the running invoices on a policy (any version). */
export function runningInvoicesQuery(policyName: string): string {
  if (!/^[a-z0-9][a-z0-9_-]{0,62}$/.test(policyName)) throw new Error(`not a policy name: ${policyName}`);
  return `WorkflowType = 'invoiceWorkflow' AND ExecutionStatus = 'Running' AND PolicyName = '${policyName}'`;
}

export interface MigratePageInput {
  readonly policy: PolicyVersion;
  readonly migrationId: string;
  readonly actor: string;
  readonly reason?: string;
  /** Base64 visibility page token; absent for the first page. */
  readonly pageToken?: string;
  readonly pageSize: number;
  /** How long one invoice may take to accept the move before it is reported as failed. */
  readonly perInvoiceTimeoutMs: number;
  readonly concurrency: number;
}

/**
 * Moves one visibility page of running invoices to `policy`, each through the invoice workflow's
 * `migratePolicy` update (validated there, so a closed invoice refuses). Safe to repeat: an invoice
 * already on the version answers `already`, or `migrated` when it was this migration that moved it.
 */
export async function migrateInvoicePage(
  client: Client,
  namespace: string,
  input: MigratePageInput,
  onProgress: (done: number) => void = () => undefined,
): Promise<MigratePageResult> {
  const page = await client.workflowService.listWorkflowExecutions({
    namespace,
    query: runningInvoicesQuery(input.policy.name),
    pageSize: input.pageSize,
    ...(input.pageToken ? { nextPageToken: Buffer.from(input.pageToken, 'base64') } : {}),
  });
  const workflowIds = (page.executions ?? []).map((e) => e.execution?.workflowId).filter((id): id is string => !!id);
  let migrated = 0;
  let already = 0;
  const skipped: { workflowId: string; reason: string }[] = [];
  const failed: { workflowId: string; error: string }[] = [];

  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < workflowIds.length) {
      const workflowId = workflowIds[next++]!;
      try {
        const result: MigrationResult = await client.withDeadline(Date.now() + input.perInvoiceTimeoutMs, () =>
          client.workflow.getHandle(workflowId).executeUpdate(migratePolicyUpdate, {
            args: [
              {
                policy: input.policy,
                migrationId: input.migrationId,
                actor: input.actor,
                ...(input.reason ? { reason: input.reason } : {}),
              },
            ],
          }),
        );
        if (result.outcome === 'migrated') migrated++;
        else already++;
      } catch (err) {
        if (err instanceof WorkflowUpdateFailedError) {
          skipped.push({ workflowId, reason: (err.cause as { type?: string } | undefined)?.type ?? 'REFUSED' });
        } else if (err instanceof WorkflowNotFoundError) {
          skipped.push({ workflowId, reason: 'COMPLETED' });
        } else {
          failed.push({ workflowId, error: (err as Error).message });
        }
      }
      onProgress(++done);
    }
  };
  await Promise.all(Array.from({ length: Math.min(input.concurrency, workflowIds.length) }, worker));
  const token = page.nextPageToken && page.nextPageToken.length > 0 ? Buffer.from(page.nextPageToken).toString('base64') : null;
  return { examined: workflowIds.length, migrated, already, skipped, failed, nextPageToken: token };
}
