import type { Client } from '@temporalio/client';

/**
 * Running workflows whose tasks keep failing (a non-determinism error after a bad deploy, a crash in
 * workflow code): the server marks them with `TemporalReportedProblems` after a few consecutive
 * failures. Such a workflow cannot say so itself (its own code is what fails), so the dashboard and
 * `/metrics` ask Temporal's visibility.
 */
export const FAILING_WORKFLOWS_QUERY = `ExecutionStatus = 'Running' AND TemporalReportedProblems IS NOT NULL`;

/** How long a page or a scrape waits for visibility before it answers without it. */
const VISIBILITY_TIMEOUT_MS = 3_000;

export interface FailingWorkflow {
  readonly workflowId: string;
  readonly type: string;
  /** e.g. `category=WorkflowTaskFailed`, `cause=WorkflowTaskFailedCauseNonDeterministicError`. */
  readonly problems: readonly string[];
  readonly startedAt: Date;
}

/** Up to `limit` failing workflows, or null when Temporal did not answer in time. */
export async function listFailingWorkflows(client: Client, limit = 20): Promise<FailingWorkflow[] | null> {
  return withTimeout(
    (async () => {
      const found: FailingWorkflow[] = [];
      for await (const w of client.workflow.list({ query: FAILING_WORKFLOWS_QUERY, pageSize: limit })) {
        found.push({
          workflowId: w.workflowId,
          type: w.type,
          problems: (w.searchAttributes.TemporalReportedProblems as string[] | undefined) ?? [],
          startedAt: w.startTime,
        });
        if (found.length >= limit) break;
      }
      return found;
    })(),
  );
}

/** How many workflows are failing, or null when Temporal did not answer in time. */
export async function countFailingWorkflows(client: Client): Promise<number | null> {
  return withTimeout(client.workflow.count(FAILING_WORKFLOWS_QUERY).then((r) => r.count));
}

async function withTimeout<T>(work: Promise<T>): Promise<T | null> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), VISIBILITY_TIMEOUT_MS)));
  try {
    return await Promise.race([work.catch(() => null), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
