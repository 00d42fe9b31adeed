import { amountDue, type InvoiceEventBody, type InvoiceState, type InvoiceStatus, type InvoiceWorkflowInput } from './invoice';
import { percentOfCents } from './money';
import { percentToBasisPoints, type LateFee, type StepTemplate } from './policy';
import { assertNever } from './never';
import { computeSchedule, type ScheduledStep } from './schedule';

/**
 * What the invoice waits for next, as shown to ops engineers and customers: an instant, or why there
 * is none while it is open (`disputed`: paused until the dispute is resolved; `ladder_finished`: past
 * its last step with no hand-off and no repeating tail, so nothing more will happen on its own).
 */
export type NextAction =
  | {
      /** ISO instant of the next thing the workflow will do on its own. */
      readonly at: string;
      readonly step: { readonly index: number; readonly template: StepTemplate; readonly repetition?: number } | null;
      readonly reason: 'step' | 'promise_deadline';
    }
  | { readonly at: null; readonly step: null; readonly reason: 'disputed' | 'ladder_finished' };

/** A next action with an instant. */
export type TimedAction = Extract<NextAction, { readonly at: string }>;

export type Plan =
  | { readonly kind: 'done' }
  | { readonly kind: 'paused'; readonly reason: 'disputed' }
  /** Open, past its last step, nothing more to do on its own: needs a human (NeedsAttention `parked`). */
  | { readonly kind: 'parked' }
  | { readonly kind: 'promise_broken' }
  | { readonly kind: 'perform'; readonly steps: readonly ScheduledStep[] }
  | { readonly kind: 'wait'; readonly next: TimedAction };

/**
 * What an invoice's schedule and next action depend on. The workflow's `InvoiceState` is one; the
 * projection in Postgres gives the same facts (see `src/services/describe-invoices.ts`), so the API
 * answers "what happens next" without asking the workflow.
 */
export interface ScheduleFacts {
  readonly input: Pick<InvoiceWorkflowInput, 'policy' | 'dueAt' | 'timeZone' | 'scheduleRules'>;
  readonly status: InvoiceStatus;
  readonly disputed: boolean;
  readonly promise?: { readonly deadline: string };
  readonly nextStepIndex: number;
  readonly pausedMs: number;
}

const schedules = new WeakMap<ScheduleFacts['input'], { key: string; steps: readonly ScheduledStep[] }>();

/**
 * The schedule for this invoice's pinned policy, shifted by time spent disputed; a repeating tail is
 * listed around `nowMs` (see `computeSchedule`).
 */
export function scheduleFor(state: ScheduleFacts, nowMs?: number): readonly ScheduledStep[] {
  const { policy, dueAt, timeZone, scheduleRules } = state.input;
  // Only an endless tail depends on the instant; otherwise one schedule per pinned input and pause.
  const key = `${state.pausedMs}|${policy.repeatEvery ? (nowMs ?? '') : ''}`;
  const known = schedules.get(state.input);
  if (known?.key === key) return known.steps;
  const steps = computeSchedule({
    policy,
    dueAt,
    timeZone,
    shiftMs: state.pausedMs,
    rules: scheduleRules ?? 'instant',
    ...(nowMs !== undefined ? { repeatAround: nowMs } : {}),
  });
  schedules.set(state.input, { key, steps });
  return steps;
}

/**
 * Decides what happens next at `nowMs`. Steps already due are performed together (catch-up);
 * otherwise the plan says when to wake up.
 */
export function planNext(state: ScheduleFacts, nowMs: number): Plan {
  if (state.status !== 'open') return { kind: 'done' };
  if (state.disputed) return { kind: 'paused', reason: 'disputed' };
  if (state.promise && nowMs >= Date.parse(state.promise.deadline)) return { kind: 'promise_broken' };
  const pending = scheduleFor(state, nowMs).filter((step) => step.index >= state.nextStepIndex);
  const first = pending[0];
  if (!first) return { kind: 'parked' };
  const stepInfo = { index: first.index, template: first.template, ...(first.repetition ? { repetition: first.repetition } : {}) };
  if (state.promise) {
    return { kind: 'wait', next: { at: state.promise.deadline, step: stepInfo, reason: 'promise_deadline' } };
  }
  const due = pending.filter((step) => Date.parse(step.sendAt) <= nowMs);
  if (due.length > 0) return { kind: 'perform', steps: due };
  return { kind: 'wait', next: { at: first.sendAt, step: stepInfo, reason: 'step' } };
}

/** The next action for display; null once the invoice is closed (paid, void, handed off). */
export function nextActionOf(state: ScheduleFacts, nowMs: number): NextAction | null {
  return nextActionOfPlan(planNext(state, nowMs), nowMs);
}

/** The next action a plan made at `nowMs` leads to (see `nextActionOf`). */
export function nextActionOfPlan(plan: Plan, nowMs: number): NextAction | null {
  switch (plan.kind) {
    case 'wait':
      return plan.next;
    case 'perform': {
      const last = plan.steps[plan.steps.length - 1]!;
      return {
        at: new Date(nowMs).toISOString(),
        step: { index: last.index, template: last.template, ...(last.repetition ? { repetition: last.repetition } : {}) },
        reason: 'step',
      };
    }
    case 'promise_broken':
      return { at: new Date(nowMs).toISOString(), step: null, reason: 'promise_deadline' };
    case 'paused':
      return { at: null, step: null, reason: 'disputed' };
    case 'parked':
      return { at: null, step: null, reason: 'ladder_finished' };
    case 'done':
      return null;
    default:
      return assertNever(plan);
  }
}

/** Late fee for a step on the current open amount; null when the fee does not apply. */
export function lateFeeCents(fee: LateFee, openCents: number, currency: string): number | null {
  if ('percent' in fee) return percentOfCents(openCents, percentToBasisPoints(fee.percent));
  return fee.currency.toUpperCase() === currency ? fee.amountCents : null;
}

export interface StepDecision {
  readonly events: InvoiceEventBody[];
  /** The one step whose email goes out: the latest due step. */
  readonly emailStep: ScheduledStep;
}

/**
 * Performs the due steps. After an outage several may be due at once: only the latest sends its
 * email (no burst of stale reminders), every due fee is charged exactly once, and holds, final
 * notice and hand-off from any due step take effect.
 */
export function decideSteps(state: InvoiceState, due: readonly ScheduledStep[], nowMs: number): StepDecision {
  const emailStep = due[due.length - 1]!;
  const events: InvoiceEventBody[] = [];
  let open = amountDue(state.ledger);
  for (const step of due) {
    if (step !== emailStep) events.push({ type: 'step_skipped', stepIndex: step.index, template: step.template, scheduledAt: step.sendAt });
    if (!step.lateFee) continue;
    const fee = lateFeeCents(step.lateFee, open, state.input.currency);
    if (fee === null) {
      events.push({ type: 'late_fee_skipped', stepIndex: step.index, why: 'fee currency differs from invoice currency' });
    } else if (fee > 0) {
      const generation = state.policyGeneration ?? 0;
      events.push({
        type: 'late_fee_applied',
        stepIndex: step.index,
        amountCents: fee,
        currency: state.input.currency,
        ...(generation > 0 ? { generation } : {}),
      });
      open += fee;
    }
  }
  if (!state.creditHold && due.some((s) => s.creditHold)) events.push({ type: 'credit_hold_placed' });
  if (!state.finalNotice && due.some((s) => s.finalNotice)) events.push({ type: 'final_notice' });
  events.push({
    type: 'step_performed',
    stepIndex: emailStep.index,
    template: emailStep.template,
    scheduledAt: emailStep.scheduledAt,
    sendAt: emailStep.sendAt,
    catchUp: due.length > 1 || Date.parse(emailStep.sendAt) < nowMs - 60_000,
    ...(emailStep.repetition ? { repetition: emailStep.repetition } : {}),
  });
  if (due.some((s) => s.handOff)) events.push({ type: 'handed_off' });
  return { events, emailStep };
}
