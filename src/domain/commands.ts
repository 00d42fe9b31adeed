import { DomainError, ErrorCode } from './errors';
import {
  amountDue,
  assertOpen,
  excessPaid,
  record,
  type InvoiceEventBody,
  type InvoiceState,
  type PaymentFact,
  type RefundFact,
  type RefundFlag,
} from './invoice';
import type { OpenFlag } from './books';
import { keyedGet } from './keyed';
import { MAX_AMOUNT_MINOR } from './money';
import { cleanText, isStorableText } from './text';
import type { PolicyVersion } from './policy';
import { addDays, computeSchedule, endOfLocalDay, localDate } from './schedule';
import { normalizeWriteOffAllowance, settledBy, shortPaymentWriteOff, shortPaymentWriteOffId } from './write-off';

/**
 * Commands that can be refused. Each `check*` throws a coded `DomainError` (used as the workflow
 * update validator, so a refused command never enters history); each `decide*` returns the events.
 */

/** The longest a promise to pay may defer reminders. */
export const MAX_PROMISE_DAYS = 90;

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
    throw new DomainError(ErrorCode.INVALID_PROMISE_DATE, `promised date ${date} is in the past (today is ${today} for the customer)`, {
      field: 'date',
    });
  }
  if (date > addDays(today, MAX_PROMISE_DAYS)) {
    throw new DomainError(ErrorCode.INVALID_PROMISE_DATE, `promised date may be at most ${MAX_PROMISE_DAYS} days ahead`, { field: 'date' });
  }
}

export function decidePromise(state: InvoiceState, date: string, nowMs: number): InvoiceEventBody[] {
  checkPromise(state, date, nowMs);
  return [{ type: 'promise_made', date, deadline: endOfLocalDay(date, state.input.timeZone) }];
}

/** Text a command carries (a reason, a reference) must be storable; a refused command never enters history. */
export function checkText(fields: Readonly<Record<string, string | undefined>>): void {
  for (const [field, value] of Object.entries(fields)) {
    if (
      value !== undefined &&
      (typeof value !== 'string' || !isStorableText(value, { multiline: field === 'reason' }) || value.length > 1000)
    ) {
      throw new DomainError(ErrorCode.VALIDATION, `${field} must be text of at most 1000 characters without control characters`, { field });
    }
  }
}

/**
 * A payment fact as a signal carried it, from any client: its text cleaned of what Postgres cannot
 * store (facts are never refused, so they are made storable instead). Amounts are left for
 * `decidePayment` to judge.
 */
export function normalizePayment<P extends PaymentFact>(p: P): P {
  return {
    ...p,
    paymentId: cleanText(String(p.paymentId), { max: 255 }) || 'unnamed',
    currency: cleanText(String(p.currency), { max: 8 }),
    ...(p.method !== undefined ? { method: cleanText(String(p.method), { max: 50 }) || undefined } : {}),
    ...(p.reference !== undefined ? { reference: cleanText(String(p.reference), { max: 200 }) || undefined } : {}),
    ...(p.writeOff !== undefined ? { writeOff: normalizeWriteOffAllowance(p.writeOff) } : {}),
  };
}

export function normalizeRefund<R extends RefundFact>(r: R): R {
  return {
    ...r,
    paymentId: cleanText(String(r.paymentId), { max: 255 }) || 'unnamed',
    refundId: cleanText(String(r.refundId), { max: 300 }) || 'unnamed',
    currency: cleanText(String(r.currency), { max: 8 }),
  };
}

/** Who and why, as a signal or update carried them, made storable. */
export function normalizeMeta(actor: unknown, reason: unknown): { actor: string; reason?: string } {
  const cleanReason = typeof reason === 'string' ? cleanText(reason, { multiline: true, max: 1000 }) : '';
  return {
    actor: (typeof actor === 'string' ? cleanText(actor, { max: 200 }) : '') || 'unknown',
    ...(cleanReason ? { reason: cleanReason } : {}),
  };
}

export function checkPayment(state: InvoiceState, payment: PaymentFact): void {
  checkText({ paymentId: payment.paymentId, reference: payment.reference, method: payment.method });
  if (!Number.isSafeInteger(payment.amountCents) || payment.amountCents <= 0 || payment.amountCents > MAX_AMOUNT_MINOR) {
    throw new DomainError(ErrorCode.INVALID_AMOUNT, `amountCents must be a whole number of minor units, 1…${MAX_AMOUNT_MINOR}`, {
      field: 'amountCents',
    });
  }
  if (payment.currency.toUpperCase() !== state.input.currency) {
    throw new DomainError(ErrorCode.CURRENCY_MISMATCH, `payment is in ${payment.currency}, invoice is in ${state.input.currency}`, {
      field: 'currency',
    });
  }
  if (state.paymentIds.includes(payment.paymentId)) {
    throw new DomainError(ErrorCode.DUPLICATE_PAYMENT, `payment ${payment.paymentId} was already applied`);
  }
  if (payment.writeOff !== undefined && !normalizeWriteOffAllowance(payment.writeOff))
    throw new DomainError(ErrorCode.VALIDATION, 'writeOff must name upToCents (minor units) and a write-off category', {
      field: 'writeOff',
    });
  assertOpen(state);
}

/**
 * Applies a payment reported as a fact (signal). Never throws: duplicates change nothing, a payment
 * that cannot be applied is flagged for a human instead of guessed, and any excess becomes credit.
 */
export function decidePayment(state: InvoiceState, payment: PaymentFact, rules: MoneyRules = 'checked'): InvoiceEventBody[] {
  if (state.paymentIds.includes(payment.paymentId)) return [];
  const currency = payment.currency.toUpperCase();
  // Since 'money-integrity': no payment beyond MAX_AMOUNT_MINOR, so no sum of them leaves safe integers.
  const max = rules === 'checked' ? MAX_AMOUNT_MINOR : Number.MAX_SAFE_INTEGER;
  if (
    currency !== state.input.currency ||
    !Number.isSafeInteger(payment.amountCents) ||
    payment.amountCents <= 0 ||
    payment.amountCents > max
  ) {
    const flag = currency !== state.input.currency ? 'currency_mismatch' : 'invalid_amount';
    return [{ type: 'payment_flagged', ...payment, flag }];
  }
  const { writeOff: _allowance, ...fact } = payment;
  const events: InvoiceEventBody[] = [{ type: 'payment_received', ...fact, currency }];
  const ledger = { ...state.ledger, paidCents: state.ledger.paidCents + payment.amountCents };
  const newExcess = excessPaid(ledger) - excessPaid(state.ledger);
  if (newExcess > 0) events.push({ type: 'credit_recorded', amountCents: newExcess, currency, paymentId: payment.paymentId });
  const writeOff = shortPaymentWriteOff(state, ledger, payment);
  if (writeOff) events.push(writeOff);
  events.push(...settledBy(state, { ...ledger, writtenOffCents: (ledger.writtenOffCents ?? 0) + (writeOff?.amountCents ?? 0) }));
  return rules === 'checked' ? [...events, ...refundsAwaiting(state, events, payment.paymentId)] : events;
}

/**
 * Refunds (and lost chargebacks) of this payment that arrived before it (gateways deliver out of
 * order) were held as flags; now that the payment is here they are judged again and applied if they
 * fit, so the order of delivery does not change the ledger.
 */
function refundsAwaiting(state: InvoiceState, paymentEvents: readonly InvoiceEventBody[], paymentId: string): InvoiceEventBody[] {
  const waiting = openFlags(state).filter(
    (f) => f.kind === 'refund_flagged' && f.reason === 'unknown_payment' && f.refund?.paymentId === paymentId,
  );
  if (waiting.length === 0) return [];
  let after = record(state, paymentEvents, { at: '1970-01-01T00:00:00.000Z', actor: 'simulation' });
  const out: InvoiceEventBody[] = [];
  for (const flag of waiting) {
    const fact: RefundFact = flag.refund!;
    const judged = judgeRefund(after, fact);
    if (judged[0]?.type === 'refund_flagged') continue; // still does not fit: it stays flagged
    const resolution =
      judged.length === 0
        ? `an earlier refund total of payment ${paymentId}, covered by a later one`
        : `applied once payment ${paymentId} arrived`;
    const resolved: InvoiceEventBody[] = [{ type: 'flag_resolved', flagId: flag.flagId, resolution }, ...judged];
    after = record(after, resolved, { at: '1970-01-01T00:00:00.000Z', actor: 'simulation' });
    out.push(...resolved);
  }
  return out;
}

/** What this invoice received under a payment id (0 when it received nothing under it). */
export function receivedUnder(state: InvoiceState, paymentId: string): number {
  return keyedGet(state.books.payments, paymentId)?.amountCents ?? 0;
}

/**
 * How money facts are judged. `checked` (since the 'money-integrity' patch): a payment is at most
 * `MAX_AMOUNT_MINOR`; a refund applies only to a payment this invoice received, in its currency, up
 * to what is left of that payment, anything else being flagged for a human, and a refund of money
 * held as customer credit takes the credit back first. `legacy`: as invoices started before it
 * judged them (kept so that their histories replay).
 */
export type MoneyRules = 'checked' | 'legacy';

/**
 * A refund reopens a paid invoice when it leaves money owed. Duplicate refund ids change nothing; a
 * cumulative total applies only its increase, so totals arriving out of order never double-count.
 */
export function decideRefund(state: InvoiceState, refund: RefundFact, rules: MoneyRules = 'checked'): InvoiceEventBody[] {
  if (state.refundIds.includes(refund.refundId)) return [];
  if (rules === 'checked') return judgeRefund(state, refund);
  const { cumulative, ...fact } = refund;
  const already = state.refundedByPayment[refund.paymentId] ?? 0;
  const amountCents = cumulative ? refund.amountCents - already : refund.amountCents;
  const currency = String(refund.currency).toUpperCase();
  if (!Number.isSafeInteger(amountCents) || amountCents <= 0) return [];
  const ledger = { ...state.ledger, refundedCents: state.ledger.refundedCents + amountCents };
  const events: InvoiceEventBody[] = [{ type: 'payment_refunded', ...fact, amountCents, currency }];
  if (state.status === 'paid' && amountDue(ledger) > 0) events.push({ type: 'reopened' });
  return events;
}

/** The checked rules for one refund (duplicates already excluded). */
function judgeRefund(state: InvoiceState, refund: RefundFact): InvoiceEventBody[] {
  const { cumulative, ...fact } = refund;
  const already = state.refundedByPayment[refund.paymentId] ?? 0;
  const amountCents = cumulative ? refund.amountCents - already : refund.amountCents;
  const currency = String(refund.currency).toUpperCase();
  // A cumulative total at or below what is already refunded is an older total arriving late: nothing new.
  if (cumulative && Number.isSafeInteger(refund.amountCents) && amountCents <= 0) return [];
  const flag = (why: RefundFlag): InvoiceEventBody[] => [
    {
      type: 'refund_flagged',
      ...fact,
      amountCents: Number.isSafeInteger(amountCents) && amountCents > 0 ? amountCents : refund.amountCents,
      currency,
      flag: why,
      reportedCents: refund.amountCents,
      ...(cumulative ? { cumulative: true } : {}),
    },
  ];
  if (!Number.isSafeInteger(amountCents) || amountCents <= 0) return flag('invalid_amount');
  const received = receivedUnder(state, refund.paymentId);
  if (received === 0) return flag('unknown_payment');
  if (currency !== state.input.currency) return flag('currency_mismatch');
  if (amountCents > received - already) return flag('exceeds_payment');

  const events: InvoiceEventBody[] = [{ type: 'payment_refunded', ...fact, amountCents, currency }];
  const creditBack = Math.min(excessPaid(state.ledger), amountCents);
  if (creditBack > 0) events.push({ type: 'credit_reversed', amountCents: creditBack, currency, refundId: refund.refundId });
  // The whole payment back: the shortfall it settled with is owed again.
  const settlement = amountCents === received - already ? state.books.writeOffs?.[shortPaymentWriteOffId(refund.paymentId)] : undefined;
  if (settlement)
    events.push({
      type: 'write_off_reversed',
      writeOffId: shortPaymentWriteOffId(refund.paymentId),
      amountCents: settlement.amountCents,
      currency,
      refundId: refund.refundId,
    });
  const ledger = {
    ...state.ledger,
    refundedCents: state.ledger.refundedCents + amountCents,
    writtenOffCents: (state.ledger.writtenOffCents ?? 0) - (settlement?.amountCents ?? 0),
  };
  if (state.status === 'paid' && amountDue(ledger) > 0) events.push({ type: 'reopened' });
  return events;
}

/** The flags (`payment:<id>`, `refund:<id>`) a human has not resolved yet, with why each was raised, oldest first. */
export function openFlags(state: InvoiceState): OpenFlag[] {
  return Object.values(state.books.openFlags);
}

export function checkResolveFlag(state: InvoiceState, flagId: string, resolution: string): void {
  checkText({ reason: resolution });
  if (!openFlags(state).some((f) => f.flagId === flagId))
    throw new DomainError(ErrorCode.NOT_FOUND, `no open flag ${flagId} on this invoice`, { field: 'flagId' });
}

/** A human settled a flagged payment or refund outside the ledger (sent it back, applied it elsewhere). */
export function decideResolveFlag(state: InvoiceState, flagId: string, resolution: string): InvoiceEventBody[] {
  checkResolveFlag(state, flagId, resolution);
  return [{ type: 'flag_resolved', flagId, resolution }];
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
export function decideChargeback(state: InvoiceState, cb: ChargebackFact, rules: MoneyRules = 'checked'): InvoiceEventBody[] {
  if (cb.stage === 'opened') return state.status === 'open' && !state.disputed ? [{ type: 'dispute_opened' }] : [];
  const resolved: InvoiceEventBody[] = state.disputed ? [{ type: 'dispute_resolved' }] : [];
  if (cb.stage === 'won') return resolved;
  return [
    ...resolved,
    ...decideRefund(
      state,
      { paymentId: cb.paymentId, refundId: `${cb.disputeId}:lost`, amountCents: cb.amountCents, currency: cb.currency },
      rules,
    ),
  ];
}

/** What moving one invoice to another policy version did. */
export type MigrationOutcome = 'migrated' | 'already';

export function checkMigration(state: InvoiceState, policy: PolicyVersion): void {
  assertOpen(state);
  if (policy.name !== state.input.policy.name) {
    throw new DomainError(ErrorCode.VALIDATION, `invoice follows policy ${state.input.policy.name}, not ${policy.name}`, {
      field: 'policy',
    });
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
  const schedule = computeSchedule({
    policy,
    dueAt: state.input.dueAt,
    timeZone: state.input.timeZone,
    shiftMs: state.pausedMs,
    rules: state.input.scheduleRules ?? 'instant',
  });
  const firstFuture = schedule.findIndex((step) => Date.parse(step.sendAt) > nowMs);
  return [
    {
      type: 'policy_migrated',
      from: `${current.name}@${current.version}`,
      to: `${policy.name}@${policy.version}`,
      policy,
      resumeAtStep: firstFuture === -1 ? schedule.length : firstFuture,
      generation: (state.policyGeneration ?? 0) + 1,
      migrationId,
    },
  ];
}

/** `migrated` when this migration moved the invoice (also on a retried delivery), else `already`. */
export function migrationOutcome(state: InvoiceState, migrationId: string): MigrationOutcome {
  return state.books.lastMigrationId === migrationId ? 'migrated' : 'already';
}

/**
 * Takes over an open invoice from an ERP at `nowMs`: the ladder starts at the first step whose send
 * time is still ahead (earlier steps had their time in the ERP's hands and are not performed), and
 * the amount paid before the import counts as paid. One past every step of its policy is caught up
 * (see below). `legacy`: the rule of invoices imported before 'parked-invoices'.
 */
export function decideImport(state: InvoiceState, nowMs: number, rules: 'catch-up' | 'legacy' = 'catch-up'): InvoiceEventBody[] {
  const { input } = state;
  if (!input.imported) throw new DomainError(ErrorCode.VALIDATION, 'not an imported invoice');
  const schedule = computeSchedule({
    policy: input.policy,
    dueAt: input.dueAt,
    timeZone: input.timeZone,
    rules: input.scheduleRules ?? 'instant',
    ...(rules === 'catch-up' ? { repeatAround: nowMs } : {}),
  });
  const future = schedule.findIndex((step) => Date.parse(step.sendAt) > nowMs);
  const firstFuture = future === -1 ? schedule.length : future;
  const stepsAhead = firstFuture < input.policy.steps.length;
  // Past every step of its policy: the catch-up rule performs the latest one due (with its fee, once),
  // unless the import asked for no action; then it waits for what is still ahead (a repetition), or
  // for a human (parked). Before 'parked-invoices' such an invoice silently did nothing.
  let resumeAt: number;
  if (rules === 'legacy') resumeAt = future === -1 ? input.policy.steps.length : future;
  else if (stepsAhead || input.imported.catchUp === 'none') resumeAt = schedule[firstFuture]?.index ?? lastIndex(schedule) + 1;
  else resumeAt = schedule[firstFuture - 1]!.index;
  return [
    {
      type: 'imported',
      dueAt: input.dueAt,
      policy: `${input.policy.name}@${input.policy.version}`,
      externalId: input.imported.externalId,
      paidBeforeCents: input.imported.paidBeforeCents,
      currency: input.currency,
      resumeAtStep: resumeAt,
    },
  ];
}

const lastIndex = (schedule: readonly { index: number }[]) => schedule[schedule.length - 1]?.index ?? -1;
