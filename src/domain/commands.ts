import { DomainError, ErrorCode } from './errors';
import { amountDue, excessPaid, type InvoiceEventBody, type InvoiceState, type PaymentFact, type RefundFact } from './invoice';
import type { PolicyVersion } from './policy';
import { addDays, computeSchedule, endOfLocalDay, localDate } from './schedule';

/**
 * Commands that can be refused. Each `check*` throws a coded `DomainError` (used as the workflow
 * update validator, so a refused command never enters history); each `decide*` returns the events.
 */

/** The longest a promise to pay may defer reminders. */
export const MAX_PROMISE_DAYS = 90;

function assertOpen(state: InvoiceState): void {
  if (state.status === 'paid') throw new DomainError(ErrorCode.INVOICE_PAID, 'invoice is already paid');
  if (state.status !== 'open') throw new DomainError(ErrorCode.INVOICE_NOT_OPEN, `invoice is ${state.status}`);
}

export function checkVoid(state: InvoiceState): void {
  assertOpen(state);
  if (state.ledger.paidCents - state.ledger.refundedCents > 0) {
    throw new DomainError(ErrorCode.INVOICE_HAS_PAYMENTS, 'invoice has payments applied; refund them before voiding');
  }
}

export function decideVoid(state: InvoiceState): InvoiceEventBody[] {
  checkVoid(state);
  return [{ type: 'voided' }];
}

export function checkOpenDispute(state: InvoiceState): void {
  assertOpen(state);
  if (state.disputed) throw new DomainError(ErrorCode.ALREADY_DISPUTED, 'invoice is already disputed');
}

export function decideOpenDispute(state: InvoiceState): InvoiceEventBody[] {
  checkOpenDispute(state);
  return [{ type: 'dispute_opened' }];
}

export function checkResolveDispute(state: InvoiceState): void {
  if (!state.disputed) throw new DomainError(ErrorCode.NOT_DISPUTED, 'invoice is not disputed');
}

export function decideResolveDispute(state: InvoiceState): InvoiceEventBody[] {
  checkResolveDispute(state);
  return [{ type: 'dispute_resolved' }];
}

export function checkPromise(state: InvoiceState, date: string, nowMs: number): void {
  assertOpen(state);
  if (state.disputed) throw new DomainError(ErrorCode.INVOICE_NOT_OPEN, 'invoice is disputed; resolve the dispute first');
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date) || Number.isNaN(Date.parse(`${date}T00:00:00Z`))) {
    throw new DomainError(ErrorCode.VALIDATION, 'date must be YYYY-MM-DD', { field: 'date' });
  }
  const today = localDate(nowMs, state.input.timeZone);
  if (date < today) {
    throw new DomainError(ErrorCode.INVALID_PROMISE_DATE, `promised date ${date} is in the past (today is ${today} for the customer)`, { field: 'date' });
  }
  if (date > addDays(today, MAX_PROMISE_DAYS)) {
    throw new DomainError(ErrorCode.INVALID_PROMISE_DATE, `promised date may be at most ${MAX_PROMISE_DAYS} days ahead`, { field: 'date' });
  }
}

export function decidePromise(state: InvoiceState, date: string, nowMs: number): InvoiceEventBody[] {
  checkPromise(state, date, nowMs);
  return [{ type: 'promise_made', date, deadline: endOfLocalDay(date, state.input.timeZone) }];
}

export function checkPayment(state: InvoiceState, payment: PaymentFact): void {
  if (!Number.isSafeInteger(payment.amountCents) || payment.amountCents <= 0) {
    throw new DomainError(ErrorCode.INVALID_AMOUNT, 'amountCents must be a positive integer number of minor units', { field: 'amountCents' });
  }
  if (payment.currency.toUpperCase() !== state.input.currency) {
    throw new DomainError(ErrorCode.CURRENCY_MISMATCH, `payment is in ${payment.currency}, invoice is in ${state.input.currency}`, { field: 'currency' });
  }
  if (state.paymentIds.includes(payment.paymentId)) {
    throw new DomainError(ErrorCode.DUPLICATE_PAYMENT, `payment ${payment.paymentId} was already applied`);
  }
  assertOpen(state);
}

/**
 * Applies a payment reported as a fact (signal). Never throws: duplicates change nothing, a payment
 * that cannot be applied is flagged for a human instead of guessed, and any excess becomes credit.
 */
export function decidePayment(state: InvoiceState, payment: PaymentFact): InvoiceEventBody[] {
  if (state.paymentIds.includes(payment.paymentId)) return [];
  const currency = payment.currency.toUpperCase();
  if (currency !== state.input.currency || !Number.isSafeInteger(payment.amountCents) || payment.amountCents <= 0) {
    const flag = currency !== state.input.currency ? 'currency_mismatch' : 'invalid_amount';
    return [{ type: 'payment_flagged', ...payment, flag }];
  }
  const events: InvoiceEventBody[] = [{ type: 'payment_received', ...payment, currency }];
  const ledger = { ...state.ledger, paidCents: state.ledger.paidCents + payment.amountCents };
  const newExcess = excessPaid(ledger) - excessPaid(state.ledger);
  if (newExcess > 0) events.push({ type: 'credit_recorded', amountCents: newExcess, currency, paymentId: payment.paymentId });
  if (state.status === 'open' && amountDue(ledger) === 0) {
    if (state.promise) events.push({ type: 'promise_kept', date: state.promise.date });
    events.push({ type: 'paid' });
  }
  return events;
}

/**
 * A refund reopens a paid invoice when it leaves money owed. Duplicate refund ids change nothing; a
 * cumulative total applies only its increase, so totals arriving out of order never double-count.
 */
export function decideRefund(state: InvoiceState, refund: RefundFact): InvoiceEventBody[] {
  if (state.refundIds.includes(refund.refundId)) return [];
  const { cumulative, ...fact } = refund;
  const amountCents = cumulative ? refund.amountCents - (state.refundedByPayment[refund.paymentId] ?? 0) : refund.amountCents;
  if (!Number.isSafeInteger(amountCents) || amountCents <= 0) return [];
  const ledger = { ...state.ledger, refundedCents: state.ledger.refundedCents + amountCents };
  const events: InvoiceEventBody[] = [{ type: 'payment_refunded', ...fact, amountCents, currency: refund.currency.toUpperCase() }];
  if (state.status === 'paid' && amountDue(ledger) > 0) events.push({ type: 'reopened' });
  return events;
}

export interface ChargebackFact {
  readonly disputeId: string;
  readonly paymentId: string;
  readonly stage: 'opened' | 'won' | 'lost';
  readonly amountCents: number;
  readonly currency: string;
}

/**
 * A card chargeback: opening one disputes the invoice (reminders pause); losing it takes the money
 * back (a refund, reopening a paid invoice); either outcome ends the dispute. Repeats change nothing.
 */
export function decideChargeback(state: InvoiceState, cb: ChargebackFact): InvoiceEventBody[] {
  if (cb.stage === 'opened') return state.status === 'open' && !state.disputed ? [{ type: 'dispute_opened' }] : [];
  const resolved: InvoiceEventBody[] = state.disputed ? [{ type: 'dispute_resolved' }] : [];
  if (cb.stage === 'won') return resolved;
  return [...resolved, ...decideRefund(state, { paymentId: cb.paymentId, refundId: `${cb.disputeId}:lost`, amountCents: cb.amountCents, currency: cb.currency })];
}

/** What moving one invoice to another policy version did. */
export type MigrationOutcome = 'migrated' | 'already';

export function checkMigration(state: InvoiceState, policy: PolicyVersion): void {
  assertOpen(state);
  if (policy.name !== state.input.policy.name) {
    throw new DomainError(ErrorCode.VALIDATION, `invoice follows policy ${state.input.policy.name}, not ${policy.name}`, { field: 'policy' });
  }
}

/**
 * Moves an open invoice to another version of its policy for its *future* steps only. The new
 * version's schedule is laid over the invoice's due date (shifted by time spent disputed, like the
 * old one); its steps that would have acted by `nowMs` are superseded, never performed, so nothing
 * already done is sent or charged again and nothing from the past is caught up. Already on that
 * version: no event.
 */
export function decideMigration(state: InvoiceState, policy: PolicyVersion, migrationId: string, nowMs: number): InvoiceEventBody[] {
  checkMigration(state, policy);
  const current = state.input.policy;
  if (current.version === policy.version) return [];
  const schedule = computeSchedule({ policy, dueAt: state.input.dueAt, timeZone: state.input.timeZone, shiftMs: state.pausedMs });
  const firstFuture = schedule.findIndex((step) => Date.parse(step.sendAt) > nowMs);
  return [{
    type: 'policy_migrated',
    from: `${current.name}@${current.version}`,
    to: `${policy.name}@${policy.version}`,
    policy,
    resumeAtStep: firstFuture === -1 ? schedule.length : firstFuture,
    generation: (state.policyGeneration ?? 0) + 1,
    migrationId,
  }];
}

/** `migrated` when this migration moved the invoice (also on a retried delivery), else `already`. */
export function migrationOutcome(state: InvoiceState, migrationId: string): MigrationOutcome {
  const last = [...state.events].reverse().find((e) => e.type === 'policy_migrated');
  return last?.type === 'policy_migrated' && last.migrationId === migrationId ? 'migrated' : 'already';
}

/**
 * Takes over an open invoice from an ERP at `nowMs`: the ladder starts at the first step whose
 * send time is still ahead (earlier steps had their time in the ERP's hands and are neither
 * performed nor caught up), and the amount paid before the import counts as paid.
 */
export function decideImport(state: InvoiceState, nowMs: number): InvoiceEventBody[] {
  const { input } = state;
  if (!input.imported) throw new DomainError(ErrorCode.VALIDATION, 'not an imported invoice');
  const schedule = computeSchedule({ policy: input.policy, dueAt: input.dueAt, timeZone: input.timeZone });
  const firstFuture = schedule.findIndex((step) => Date.parse(step.sendAt) > nowMs);
  return [{
    type: 'imported',
    dueAt: input.dueAt,
    policy: `${input.policy.name}@${input.policy.version}`,
    externalId: input.imported.externalId,
    paidBeforeCents: input.imported.paidBeforeCents,
    currency: input.currency,
    resumeAtStep: firstFuture === -1 ? schedule.length : firstFuture,
  }];
}
