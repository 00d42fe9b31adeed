import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { IssueRecurringResult } from './messages';
import { ScheduledStartTimeKey } from '../src/temporal/search-attributes';

const { issueRecurringInvoice } = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', maximumInterval: '5 minutes' },
});

/**
 * One firing of a recurring plan's schedule: issues the invoice of the billing period the firing
 * was scheduled for (not when it ran — a catch-up or backfill bills the period it stands for).
 * The invoice then runs as its own `invoiceWorkflow`.
 */
export async function recurringInvoiceWorkflow({ planId }: { planId: string }): Promise<IssueRecurringResult> {
  const info = workflowInfo();
  const scheduledAt = info.typedSearchAttributes.get(ScheduledStartTimeKey) ?? info.startTime;
  return issueRecurringInvoice({ planId, scheduledAt: scheduledAt.toISOString() });
}
