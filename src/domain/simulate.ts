import { DateTime } from 'luxon';
import { decideSteps, planNext } from './dunning';
import { amountDue, record, type InvoiceState } from './invoice';
import type { StepTemplate } from './policy';

/** One action of a simulated ladder: what the workflow would do, when, and what it would cost. */
export interface SimulatedAction {
  /** The step whose email goes out (the latest due step, when several were due at once). */
  readonly index: number;
  readonly template: StepTemplate;
  readonly offset: string;
  /** Due instant + offset, UTC. */
  readonly scheduledAt: string;
  /** When it acts: `scheduledAt` moved into the send window, or later when it is caught up. UTC. */
  readonly actsAt: string;
  /** `actsAt` on the customer's wall clock, ISO-8601 with its offset. */
  readonly actsAtLocal: string;
  /** Earlier steps that were due too and whose emails were merged into this one (catch-up). */
  readonly mergedSteps: readonly number[];
  readonly lateFeeCents: number;
  readonly feesCents: number;
  readonly amountDueCents: number;
  readonly creditHold: boolean;
  readonly finalNotice: boolean;
  readonly handOff: boolean;
  /** Set on a repetition of the policy's endless tail (the simulation shows the first few). */
  readonly repetition?: number;
}

/** Repetitions of an endless tail a simulation shows before it stops. */
export const SIMULATED_REPETITIONS = 3;

export interface Simulation {
  readonly actions: readonly SimulatedAction[];
  readonly final: { readonly status: string; readonly dunningStage: string; readonly feesCents: number; readonly amountDueCents: number };
}

/**
 * Runs the workflow's own decisions (`planNext`, `decideSteps`, `record`) forward in time from
 * `fromMs` as if nothing more were paid: the exact ladder the invoice would follow, with send windows
 * in the customer's zone, the catch-up rule, fees and holds. No second copy of any rule.
 */
export function simulateDunning(start: InvoiceState, fromMs: number): Simulation {
  let state = start;
  let nowMs = fromMs;
  const actions: SimulatedAction[] = [];
  for (let guard = 0; guard < 1000; guard++) {
    const plan = planNext(state, nowMs);
    if (plan.kind === 'wait') {
      nowMs = Math.max(nowMs, Date.parse(plan.next.at));
      continue;
    }
    if (plan.kind === 'promise_broken') {
      state = record(state, [{ type: 'promise_broken', date: state.promise!.date }], {
        at: new Date(nowMs).toISOString(),
        actor: 'simulation',
      });
      continue;
    }
    if (plan.kind !== 'perform') break;
    const { events, emailStep } = decideSteps(state, plan.steps, nowMs);
    state = record(state, events, { at: new Date(nowMs).toISOString(), actor: 'simulation' });
    const fee = events.reduce((sum, e) => sum + (e.type === 'late_fee_applied' ? e.amountCents : 0), 0);
    actions.push({
      index: emailStep.index,
      template: emailStep.template,
      offset: emailStep.offset,
      scheduledAt: emailStep.scheduledAt,
      actsAt: new Date(nowMs).toISOString(),
      actsAtLocal: DateTime.fromMillis(nowMs, { zone: state.input.timeZone }).toISO()!,
      mergedSteps: plan.steps.filter((s) => s !== emailStep).map((s) => s.index),
      lateFeeCents: fee,
      feesCents: state.ledger.feesCents,
      amountDueCents: amountDue(state.ledger),
      creditHold: plan.steps.some((s) => s.creditHold),
      finalNotice: plan.steps.some((s) => s.finalNotice),
      handOff: plan.steps.some((s) => s.handOff),
      ...(emailStep.repetition ? { repetition: emailStep.repetition } : {}),
    });
    if ((emailStep.repetition ?? 0) >= SIMULATED_REPETITIONS) break;
  }
  return {
    actions,
    final: {
      status: state.status,
      dunningStage: state.dunningStage,
      feesCents: state.ledger.feesCents,
      amountDueCents: amountDue(state.ledger),
    },
  };
}
