import { createHash, randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { z } from 'zod';
import type { Sql } from '../db/client';
import { findCustomer } from '../db/customers';
import { findPolicyVersion } from '../db/policies';
import { findRecurringPlanByIdempotencyKey, insertRecurringPlan, type RecurringPlanRow } from '../db/recurring-plans';
import { DomainError, ErrorCode } from '../domain/errors';
import { invoiceTotalCents } from '../domain/money';
import { intervalSchema } from '../domain/recurrence';
import { isValidTimeZone } from '../domain/schedule';
import { recurringScheduleId, SCHEDULER_DEADLINE_MS, scheduleOptionsFor } from '../temporal/recurring-schedules';
import { lineSchema } from './create-invoice';
import { calendarDate, currencyCode, policyName } from '../domain/input';

export const createRecurringPlanSchema = z
  .strictObject({
    customerId: z.uuid(),
    lines: z.array(lineSchema).min(1, 'a plan needs at least one line').max(500),
    currency: currencyCode.optional(),
    policy: policyName.optional(),
    interval: intervalSchema,
    /** Local hour of the plan's time zone at which invoices are issued. */
    hour: z.number().int('must be a whole hour').min(0, 'must be 0–23').max(23, 'must be 0–23').default(9),
    timeZone: z.string().max(64).refine(isValidTimeZone, 'must be an IANA time zone such as Europe/Berlin').optional(),
    startsOn: calendarDate.optional(),
    endsOn: calendarDate.optional(),
    /** Keep issuing while the customer is on credit hold (each invoice audited as an override); by default a firing is skipped. */
    billDuringHold: z.boolean().default(false),
  })
  .refine((p) => !(p.startsOn && p.endsOn && p.endsOn < p.startsOn), { message: 'endsOn is before startsOn', path: ['endsOn'] });
export type CreateRecurringPlanInput = z.output<typeof createRecurringPlanSchema>;

/**
 * Creates a recurring plan and its Temporal Schedule together: the schedule is created inside the
 * plan's transaction, so a plan whose schedule could not be made is never committed. With an
 * idempotency key, a repeated request returns the same plan.
 */
export async function createRecurringPlan(
  deps: { sql: Sql; client: Client; taskQueue: string },
  input: CreateRecurringPlanInput,
  opts: { idempotencyKey?: string; actor: string },
): Promise<{ plan: RecurringPlanRow; created: boolean }> {
  const requestHash = createHash('sha256').update(JSON.stringify(input)).digest('hex');
  if (opts.idempotencyKey) {
    const existing = await findRecurringPlanByIdempotencyKey(deps.sql, opts.idempotencyKey);
    if (existing) return { plan: sameRequest(existing, requestHash), created: false };
  }
  const customer = await findCustomer(deps.sql, input.customerId);
  if (!customer) throw new DomainError(ErrorCode.NOT_FOUND, `customer ${input.customerId} does not exist`, { field: 'customerId' });
  if (input.policy && !(await findPolicyVersion(deps.sql, input.policy))) {
    throw new DomainError(ErrorCode.VALIDATION, `policy "${input.policy}" does not exist`, { field: 'policy' });
  }
  // Every firing issues an invoice of these lines: one for nothing, or too large, is refused now.
  invoiceTotalCents(input.lines);

  const id = randomUUID();
  const plan = {
    id,
    customerId: customer.id,
    currency: input.currency ?? customer.currency,
    lines: input.lines,
    policyName: input.policy ?? null,
    interval: input.interval,
    hour: input.hour,
    timeZone: input.timeZone ?? customer.timeZone,
    startsOn: input.startsOn ?? null,
    endsOn: input.endsOn ?? null,
    billDuringHold: input.billDuringHold,
    scheduleId: recurringScheduleId(id),
    idempotencyKey: opts.idempotencyKey ?? null,
    requestHash,
  };
  const inserted = await insertRecurringPlan(deps.sql, plan, opts.actor, async () => {
    try {
      // Bounded: an unreachable Temporal answers 503 in seconds rather than holding the request.
      await deps.client.withDeadline(Date.now() + SCHEDULER_DEADLINE_MS, () =>
        deps.client.schedule.create(scheduleOptionsFor(plan, deps.taskQueue, customer.name)),
      );
    } catch (err) {
      throw new DomainError(ErrorCode.SCHEDULER_UNAVAILABLE, `the plan's schedule could not be created: ${(err as Error).message}`);
    }
  });
  if (!inserted) {
    const winner = await findRecurringPlanByIdempotencyKey(deps.sql, opts.idempotencyKey!);
    return { plan: sameRequest(winner!, requestHash), created: false };
  }
  return { plan: inserted, created: true };
}

function sameRequest(existing: RecurringPlanRow, requestHash: string): RecurringPlanRow {
  if (existing.requestHash !== requestHash) {
    throw new DomainError(ErrorCode.IDEMPOTENCY_CONFLICT, 'this Idempotency-Key was used with a different request body');
  }
  return existing;
}
