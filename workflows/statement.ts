import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { ScheduledStartTimeKey } from '../src/temporal/search-attributes';
import { emailTaskQueue } from '../src/temporal/task-queues';
import type { StatementSendResult, StatementWorkflowInput } from './messages';

/**
 * Emails one statement of account, at most once per email key: on demand for a period, or monthly
 * from the customer's Schedule for the month before the firing was scheduled (not when it ran, so a
 * catch-up states the month it stands for). Retried on the rate-limited email queue for up to a day.
 */
export async function statementWorkflow(input: StatementWorkflowInput): Promise<StatementSendResult> {
  const { sendStatement } = proxyActivities<Activities>({
    taskQueue: emailTaskQueue(workflowInfo().taskQueue),
    startToCloseTimeout: '1 minute',
    scheduleToCloseTimeout: '1 day',
    retry: { initialInterval: '2 seconds', maximumInterval: '10 minutes' },
  });
  const info = workflowInfo();
  const scheduledAt = info.typedSearchAttributes.get(ScheduledStartTimeKey) ?? info.startTime;
  return sendStatement({
    customerId: input.customerId,
    ...(input.period ? { period: input.period } : { monthBefore: scheduledAt.toISOString() }),
    ...(input.emailKey ? { emailKey: input.emailKey } : {}),
  });
}
