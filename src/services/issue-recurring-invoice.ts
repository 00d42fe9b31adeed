import type { InvoiceStartOptions } from '../temporal/start-invoice';
import type { Client } from '@temporalio/client';
import type { Sql } from '../db/client';
import { findRecurringPlan } from '../db/recurring-plans';
import { DomainError, ErrorCode } from '../domain/errors';
import { billingPeriodOf } from '../domain/recurrence';
import { createInvoice } from './create-invoice';
import type { IssueRecurringResult } from '../../workflows/messages';

/**
 * Issues a plan's invoice for the billing period of one schedule firing, exactly once: the period
 * is the invoice's idempotency key (and a unique index), so a retried activity, a manual trigger,
 * a backfill or a catch-up of a period already billed returns that invoice. A paused or deleted
 * plan issues nothing, even for a firing that started before it was paused.
 */
export async function issueRecurringInvoice(
  deps: { sql: Sql; client: Client; taskQueue: string; now: () => Date; start?: InvoiceStartOptions },
  input: { planId: string; scheduledAt: string },
): Promise<IssueRecurringResult> {
  const plan = await findRecurringPlan(deps.sql, input.planId);
  if (!plan) throw new DomainError(ErrorCode.NOT_FOUND, `recurring plan ${input.planId} does not exist`);
  const billingPeriod = billingPeriodOf(plan.interval, input.scheduledAt, plan.timeZone);
  if (plan.status !== 'active') {
    return { status: 'skipped', billingPeriod, invoiceId: null, number: null, reason: `plan is ${plan.status}` };
  }
  let startError: unknown;
  let issued: Awaited<ReturnType<typeof createInvoice>>;
  try {
    issued = await createInvoice(
      { ...deps, onStartFailure: (err) => (startError = err) },
      {
        customerId: plan.customerId,
        currency: plan.currency,
        lines: plan.lines,
        ...(plan.policyName ? { policy: plan.policyName } : {}),
        ...(plan.billDuringHold ? { override: { reason: 'the recurring plan bills during a credit hold' } } : {}),
      },
      {
        idempotencyKey: `recurring:${plan.id}:${billingPeriod}`,
        actor: `recurring-plan:${plan.id}`,
        recurring: { planId: plan.id, billingPeriod },
      },
    );
  } catch (err) {
    // A held customer gets no new invoice for this period (the firing says why); the plan goes on.
    if (err instanceof DomainError && (err.code === ErrorCode.CREDIT_HOLD || err.code === ErrorCode.CREDIT_LIMIT_EXCEEDED)) {
      return { status: 'skipped', billingPeriod, invoiceId: null, number: null, reason: err.message };
    }
    throw err;
  }
  const { invoice, created } = issued;
  // The invoice is committed; its workflow must run before this firing counts as done (a retry starts it).
  if (startError) throw startError;
  return { status: created ? 'issued' : 'already_issued', billingPeriod, invoiceId: invoice.id, number: invoice.number };
}
