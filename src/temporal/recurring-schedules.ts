import {
  ScheduleNotFoundError,
  ScheduleOverlapPolicy,
  type Client,
  type DayOfWeek,
  type ScheduleDescription,
  type ScheduleOptions,
} from '@temporalio/client';
import type { RecurringPlanRow } from '../db/recurring-plans';
import { calendarsFor, planWindow } from '../domain/recurrence';
import type { recurringInvoiceWorkflow } from '../../workflows';
import { CustomerIdKey } from './search-attributes';

export const recurringScheduleId = (planId: string) => `recurring-plan-${planId}`;

/**
 * Firings missed while the Temporal service was down are taken when it returns if they are at most
 * this old; older ones are skipped (issue them with a backfill). Missed firings while only our
 * workers were down are never lost: their workflows wait on the task queue.
 */
export const CATCHUP_WINDOW = '7 days';

/** How long a request waits on Temporal for a Schedule: an unreachable Temporal answers 503 in seconds. */
export const SCHEDULER_DEADLINE_MS = 5_000;

/**
 * A plan's Temporal Schedule. Each firing starts `recurringInvoiceWorkflow`, which issues the
 * invoice of the firing's billing period. Firings may overlap (a catch-up or backfill of several
 * periods runs them side by side); each period's invoice is issued once whatever fires.
 */
export function scheduleOptionsFor(
  plan: Pick<RecurringPlanRow, 'id' | 'customerId' | 'interval' | 'hour' | 'timeZone' | 'startsOn' | 'endsOn' | 'scheduleId'>,
  taskQueue: string,
  customerName: string,
): ScheduleOptions {
  const window = planWindow(plan.startsOn, plan.endsOn, plan.timeZone);
  return {
    scheduleId: plan.scheduleId,
    spec: {
      calendars: calendarsFor(plan.interval, plan.hour).map(({ month, dayOfWeek, ...c }) => ({
        ...c,
        ...(month ? { month: [...month] } : {}),
        ...(dayOfWeek ? { dayOfWeek: dayOfWeek as DayOfWeek } : {}),
      })),
      timezone: plan.timeZone,
      ...window,
    },
    action: {
      type: 'startWorkflow',
      workflowType: 'recurringInvoiceWorkflow' satisfies (typeof recurringInvoiceWorkflow)['name'],
      workflowId: `recurring-invoice-${plan.id}`,
      taskQueue,
      args: [{ planId: plan.id }],
      typedSearchAttributes: [{ key: CustomerIdKey, value: plan.customerId }],
      staticSummary: `Recurring invoice for ${customerName} (plan ${plan.id})`,
    },
    policies: { overlap: ScheduleOverlapPolicy.ALLOW_ALL, catchupWindow: CATCHUP_WINDOW, pauseOnFailure: false },
    state: { paused: false, note: 'created by the collections engine' },
    typedSearchAttributes: [{ key: CustomerIdKey, value: plan.customerId }],
    memo: { customerId: plan.customerId, planId: plan.id },
  };
}

/** What ops see of a plan's schedule: paused or not, the next firings and the recent ones. */
export interface ScheduleSummary {
  readonly paused: boolean;
  readonly note: string | null;
  readonly nextRuns: string[];
  readonly recentRuns: { scheduledAt: string; takenAt: string; workflowId: string }[];
  readonly missedCatchupWindow: number;
}

export async function describePlanSchedule(client: Client, scheduleId: string): Promise<ScheduleSummary | null> {
  let d: ScheduleDescription;
  try {
    d = await client.schedule.getHandle(scheduleId).describe();
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) return null;
    throw err;
  }
  return {
    paused: d.state.paused,
    note: d.state.note ?? null,
    nextRuns: d.info.nextActionTimes.slice(0, 5).map((t) => t.toISOString()),
    recentRuns: d.info.recentActions.map((a) => ({
      scheduledAt: a.scheduledAt.toISOString(),
      takenAt: a.takenAt.toISOString(),
      workflowId: a.action.workflow.workflowId,
    })),
    missedCatchupWindow: d.info.numActionsMissedCatchupWindow,
  };
}
