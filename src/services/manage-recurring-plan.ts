import { ScheduleNotFoundError, ScheduleOverlapPolicy, type Client } from '@temporalio/client';
import { z } from 'zod';
import type { Sql } from '../db/client';
import { changeRecurringPlanStatus, findRecurringPlan, type RecurringPlanRow } from '../db/recurring-plans';
import { DomainError, ErrorCode } from '../domain/errors';
import { planWindow } from '../domain/recurrence';
import { calendarDate, multiLine } from '../domain/input';

export const planReasonSchema = z.strictObject({ reason: multiLine(500).optional() });

export const backfillSchema = z
  .strictObject({
    from: calendarDate,
    to: calendarDate,
  })
  .refine((b) => b.to >= b.from, { message: 'to is before from', path: ['to'] });

type Deps = { sql: Sql; client: Client; now: () => Date };
type Who = { actor: string; reason?: string | undefined };

/** Pauses the plan's schedule (no firing starts) and marks the plan paused; pausing twice is a no-op. */
export async function pauseRecurringPlan(deps: Deps, id: string, who: Who): Promise<RecurringPlanRow> {
  return change(deps, id, 'paused', who, async (plan) => {
    if (plan.status !== 'paused') await deps.client.schedule.getHandle(plan.scheduleId).pause(note('paused', who));
  });
}

/**
 * Resumes a paused plan. Periods that passed while it was paused are not billed (resuming is not
 * a catch-up); bill them explicitly with a backfill if they are owed.
 */
export async function resumeRecurringPlan(deps: Deps, id: string, who: Who): Promise<RecurringPlanRow> {
  return change(deps, id, 'active', who, async (plan) => {
    if (plan.status !== 'active') await deps.client.schedule.getHandle(plan.scheduleId).unpause(note('resumed', who));
  });
}

/** Deletes the plan's schedule; the plan row stays (its invoices refer to it) as `deleted`. */
export async function deleteRecurringPlan(deps: Deps, id: string, who: Who): Promise<RecurringPlanRow> {
  return change(deps, id, 'deleted', who, async (plan) => {
    try {
      await deps.client.schedule.getHandle(plan.scheduleId).delete();
    } catch (err) {
      if (!(err instanceof ScheduleNotFoundError)) throw err;
    }
  });
}

/**
 * Runs the schedule over past local dates, as if it had fired then: every period in the range
 * whose invoice is missing gets it; periods already billed are left alone. This is how periods
 * beyond the catch-up window, or skipped while paused, are billed.
 */
export async function backfillRecurringPlan(deps: Deps, id: string, range: z.output<typeof backfillSchema>): Promise<RecurringPlanRow> {
  const plan = await mustFind(deps.sql, id);
  if (plan.status === 'deleted') throw new DomainError(ErrorCode.PLAN_DELETED, `plan ${id} is deleted`);
  if (plan.status === 'paused') throw new DomainError(ErrorCode.PLAN_PAUSED, `plan ${id} is paused; resume it before a backfill`);
  const { startAt, endAt } = planWindow(range.from, range.to, plan.timeZone);
  const now = deps.now();
  if (startAt! > now) throw new DomainError(ErrorCode.VALIDATION, 'a backfill covers past dates only', { field: 'from' });
  const end = endAt! > now ? now : endAt!;
  await deps.client.schedule.getHandle(plan.scheduleId).backfill({ start: startAt!, end, overlap: ScheduleOverlapPolicy.ALLOW_ALL });
  return plan;
}

async function change(
  deps: Deps,
  id: string,
  status: RecurringPlanRow['status'],
  who: Who,
  apply: (plan: RecurringPlanRow) => Promise<void>,
): Promise<RecurringPlanRow> {
  const row = await changeRecurringPlanStatus(deps.sql, id, status, { actor: who.actor, reason: who.reason ?? null }, async (plan) => {
    if (plan.status === 'deleted' && status !== 'deleted') throw new DomainError(ErrorCode.PLAN_DELETED, `plan ${id} is deleted`);
    if (plan.status === 'deleted') return;
    try {
      await deps.client.withDeadline(Date.now() + 5_000, () => apply(plan));
    } catch (err) {
      if (err instanceof DomainError) throw err;
      throw new DomainError(ErrorCode.SCHEDULER_UNAVAILABLE, `the plan's schedule could not be changed: ${(err as Error).message}`);
    }
  });
  if (!row) throw new DomainError(ErrorCode.NOT_FOUND, `recurring plan ${id} does not exist`);
  return row;
}

async function mustFind(sql: Sql, id: string): Promise<RecurringPlanRow> {
  const plan = await findRecurringPlan(sql, id);
  if (!plan) throw new DomainError(ErrorCode.NOT_FOUND, `recurring plan ${id} does not exist`);
  return plan;
}

const note = (what: string, who: Who) => `${what} by ${who.actor}${who.reason ? `: ${who.reason}` : ''}`;
