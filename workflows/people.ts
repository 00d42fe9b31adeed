import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { emailTaskQueue } from '../src/temporal/task-queues';
import type { PasswordLinkEmail } from './messages';

/** Emails one set-up or reset link, on the rate-limited email queue, retried for up to a day. */
export async function passwordLinkWorkflow(input: PasswordLinkEmail): Promise<{ status: string }> {
  const { sendPasswordLink } = proxyActivities<Activities>({
    taskQueue: emailTaskQueue(workflowInfo().taskQueue),
    startToCloseTimeout: '1 minute',
    scheduleToCloseTimeout: '1 day',
    retry: { initialInterval: '2 seconds', maximumInterval: '10 minutes' },
  });
  return sendPasswordLink(input);
}
