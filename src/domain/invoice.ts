import { DomainError, ErrorCode } from './errors';
import type { PolicyVersion } from './policy';
import type { ScheduleRules } from './schedule';
import { emptyBooks, foldBooks, rebuildBooks, type InvoiceBooks } from './books';
import { assertNever } from './never';

export type InvoiceStatus = 'open' | 'paid' | 'void' | 'uncollectible';
export type ImportCatchUp = 'latest' | 'none';

/** Allowed status changes. Refunds reopen a paid invoice; everything else is final. */
const TRANSITIONS: Readonly<Record<InvoiceStatus, readonly InvoiceStatus[]>> = {
  open: ['paid', 'void', 'uncollectible'],
  paid: ['open'],
  void: [],
  uncollectible: [],
};

export function canTransition(from: InvoiceStatus, to: InvoiceStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

export function assertTransition(from: InvoiceStatus, to: InvoiceStatus): void {
  if (!canTransition(from, to)) {
    const code = from === 'paid' ? ErrorCode.INVOICE_PAID : ErrorCode.INVOICE_NOT_OPEN;
    throw new DomainError(code, `invoice is ${from}; it cannot become ${to}`, { from, to });
  }
}

/** Everything the workflow needs to run an invoice, fixed when it starts (the policy is pinned). */
export interface InvoiceWorkflowInput {
  readonly invoiceId: string;
  readonly number: string;
  readonly customerId: string;
  readonly timeZone: string;
  readonly currency: string;
  readonly totalCents: number;
  readonly issueDate: string;
  readonly dueAt: string;
  readonly policy: PolicyVersion;
  /**
   * Set when a completed invoice is reopened (a refund or chargeback after payment): the new run
   * continues from the previous run's final state instead of issuing again.
   */
  readonly resume?: InvoiceState;
  /**
   * Set for an open invoice imported from an ERP: it was issued there, so it is not issued again;
   * its ladder starts at the first step still ahead, and what was paid before counts as paid.
   */
  readonly imported?: {
    readonly paidBeforeCents: number;
    readonly externalId: string;
    /**
     * For one past every step of its policy: `latest` performs the latest step due now (the catch-up
     * rule), `none` takes no action and leaves it parked for a human. @default 'latest'
     */
    readonly catchUp?: ImportCatchUp;
  };
  /**
   * How the schedule reads day offsets (see `computeSchedule`): `calendar` for invoices whose workflow
   * started since the 'calendar-day-offsets' patch (the workflow pins it), else `instant`.
   */
  readonly scheduleRules?: ScheduleRules;
  /** Where people see the invoice (linked from the workflow's details in the Temporal UI). */
  readonly links?: { readonly invoice: string };
}

export interface InvoiceSnapshot {
  readonly status: InvoiceStatus;
  readonly feesCents: number;
  readonly paidCents: number;
  readonly refundedCents: number;
  readonly amountDueCents: number;
  /** Absent before the first write-off (and in snapshots of earlier releases): none. */
  readonly writtenOffCents?: number;
  readonly dunningStage: string;
  readonly disputed: boolean;
  readonly promisedDate: string | null;
  /** Absent for invoices started before the 'calendar-day-offsets' patch (they read offsets as instants). */
  readonly scheduleRules?: ScheduleRules;
  /** With `pausedMs` and `promiseDeadline`, what the schedule function needs to tell the next action. */
  readonly nextStepIndex?: number;
  readonly pausedMs?: number;
  readonly promiseDeadline?: string | null;
  /** Open with nothing more to do on its own (since 'parked-invoices'; absent before). */
  readonly parked?: boolean;
}

export interface Ledger {
  readonly totalCents: number;
  readonly feesCents: number;
  readonly paidCents: number;
  readonly refundedCents: number;
  /** What was written off (short payments, small balances, goodwill); absent in ledgers from before write-offs. */
  readonly writtenOffCents?: number;
}

/** What the customer owes before payments: total + fees − write-offs. */
function owed(ledger: Ledger): number {
  return ledger.totalCents + ledger.feesCents - (ledger.writtenOffCents ?? 0);
}

/** total + fees − write-offs − payments + refunds, never below zero. */
export function amountDue(ledger: Ledger): number {
  return Math.max(0, owed(ledger) - ledger.paidCents + ledger.refundedCents);
}

/** What customers paid beyond what they owe: becomes customer credit. */
export function excessPaid(ledger: Ledger): number {
  return Math.max(0, ledger.paidCents - ledger.refundedCents - owed(ledger));
}

/**
 * Why an amount the customer owed was written off instead of paid: `bank_charges` (a transfer short
 * by what the banks took, within the matching tolerance), `small_balance` (a remainder not worth
 * chasing), `goodwill` (a concession to the customer).
 */
export const WRITE_OFF_CATEGORIES = ['bank_charges', 'small_balance', 'goodwill'] as const;
export type WriteOffCategory = (typeof WRITE_OFF_CATEGORIES)[number];
export const isWriteOffCategory = (value: unknown): value is WriteOffCategory =>
  typeof value === 'string' && (WRITE_OFF_CATEGORIES as readonly string[]).includes(value);

export interface PaymentFact {
  readonly paymentId: string;
  readonly amountCents: number;
  readonly currency: string;
  readonly method?: string;
  readonly reference?: string;
  /** When the money arrived, if before it reached the invoice (unapplied cash applied later). */
  readonly receivedAt?: string;
  /** Set when the money was unapplied cash from this source (a gateway), claimed for this invoice. */
  readonly unappliedSource?: string;
  /**
   * The payment settles the invoice although short of it: what it leaves owed, up to `upToCents`, is
   * written off (`<paymentId>:write-off`). Cash application's short payments within tolerance.
   */
  readonly writeOff?: { readonly upToCents: number; readonly category: WriteOffCategory };
}

/** Why a refund was not applied: it names no payment this invoice received, is in another currency, or exceeds what is left of the payment. */
export type RefundFlag = 'unknown_payment' | 'currency_mismatch' | 'exceeds_payment' | 'invalid_amount';

export interface RefundFact {
  readonly paymentId: string;
  readonly refundId: string;
  readonly amountCents: number;
  readonly currency: string;
  /** The amount is the payment's total refunded so far (Stripe's `amount_refunded`); apply the increase. */
  readonly cumulative?: boolean;
}

type Ev<T extends string, P = object> = { readonly type: T } & Readonly<P>;

/** The facts of an invoice's life. Each one becomes a timeline entry and an audit row. */
export type InvoiceEventBody =
  | Ev<'issued', { dueAt: string; policy: string }>
  /** Taken over from an ERP: steps before `resumeAtStep` had their time before the import and are not performed. */
  | Ev<'imported', { dueAt: string; policy: string; externalId: string; paidBeforeCents: number; currency: string; resumeAtStep: number }>
  /** `batch`: the customer email that carried this step's reminder (`customer-<id>/batch-<n>`), with others. */
  | Ev<'email_sent', { template: string; stepIndex: number | null; idempotencyKey: string; batch?: string }>
  | Ev<'email_failed', { template: string; stepIndex: number | null; error: string; idempotencyKey?: string }>
  /** The step's reminder was handed to the customer's account, which sends it (grouped, capped). */
  | Ev<'reminder_queued', { idempotencyKey: string; template: string; stepIndex: number; account: string }>
  /** The reminder was not sent: the invoice stopped needing it (paid, disputed, promised, void) first. */
  | Ev<'reminder_dropped', { idempotencyKey: string; template: string; stepIndex: number; why: string }>
  /** `repetition`: set when the step is a repetition of the policy's endless tail (`repeatEvery`). */
  | Ev<
      'step_performed',
      { stepIndex: number; template: string; scheduledAt: string; sendAt: string; catchUp: boolean; repetition?: number }
    >
  | Ev<'step_skipped', { stepIndex: number; template: string; scheduledAt: string }>
  | Ev<'late_fee_applied', { stepIndex: number; amountCents: number; currency: string; generation?: number }>
  | Ev<'late_fee_skipped', { stepIndex: number; why: string }>
  | Ev<'credit_hold_placed'>
  | Ev<'final_notice'>
  | Ev<'handed_off'>
  | Ev<'payment_received', PaymentFact>
  | Ev<'payment_failed', { paymentId: string; failure: string }>
  | Ev<'payment_flagged', PaymentFact & { flag: string }>
  | Ev<'payment_refunded', Omit<RefundFact, 'cumulative'>>
  /** A refund that does not fit a payment of this invoice (see `RefundFlag`): recorded for a human, never applied. */
  | Ev<'refund_flagged', Omit<RefundFact, 'cumulative'> & { flag: RefundFlag; cumulative?: boolean; reportedCents?: number }>
  /** A human looked at a flagged payment or refund (`payment:<id>`, `refund:<id>`) and settled it outside the ledger. */
  | Ev<'flag_resolved', { flagId: string; resolution: string }>
  | Ev<'credit_recorded', { amountCents: number; currency: string; paymentId: string }>
  /** A refund took back money that had been moved to the customer's credit balance. */
  | Ev<'credit_reversed', { amountCents: number; currency: string; refundId: string }>
  /** Part of what the customer owed will not be collected (see `WriteOffCategory`); the event's reason says why. */
  | Ev<'written_off', { writeOffId: string; amountCents: number; currency: string; category: WriteOffCategory }>
  /** The payment a short-payment write-off settled with was refunded in full (unapplied): the write-off is undone. */
  | Ev<'write_off_reversed', { writeOffId: string; amountCents: number; currency: string; refundId: string }>
  | Ev<'paid'>
  | Ev<'reopened'>
  | Ev<'voided'>
  | Ev<'dispute_opened'>
  | Ev<'dispute_resolved'>
  | Ev<'promise_made', { date: string; deadline: string }>
  | Ev<'promise_kept', { date: string }>
  | Ev<'promise_broken', { date: string }>
  /**
   * The invoice moved to another policy version for its future steps: steps of the new policy that
   * would have acted before the move are superseded; the ladder resumes at `resumeAtStep`.
   */
  | Ev<
      'policy_migrated',
      { from: string; to: string; policy: PolicyVersion; resumeAtStep: number; generation: number; migrationId: string }
    >;

export type InvoiceEventType = InvoiceEventBody['type'];

export interface EventMeta {
  readonly seq: number;
  /** ISO-8601 instant (workflow time). */
  readonly at: string;
  /** Who caused it: `workflow`, `api`, `gateway:stripe`, … */
  readonly actor: string;
  readonly reason?: string;
}
export type InvoiceEvent = InvoiceEventBody & EventMeta;

/** A reminder waiting in the customer's account. */
export interface QueuedReminder {
  readonly idempotencyKey: string;
  readonly template: string;
  readonly stepIndex: number;
}

export interface InvoiceState {
  readonly input: InvoiceWorkflowInput;
  readonly status: InvoiceStatus;
  readonly ledger: Ledger;
  /** Payment ids applied (or flagged) — each is applied at most once. */
  readonly paymentIds: readonly string[];
  readonly refundIds: readonly string[];
  /** Refunded so far per payment id (to turn cumulative refund totals into increases). */
  readonly refundedByPayment: Readonly<Record<string, number>>;
  /** Index of the next policy step; steps before it were performed or skipped. */
  readonly nextStepIndex: number;
  /** Template of the last performed step, or `none`. */
  readonly dunningStage: string;
  readonly disputed: boolean;
  readonly disputedSince?: string;
  /** Total time spent disputed; pushes the remaining ladder later. */
  readonly pausedMs: number;
  readonly promise?: { readonly date: string; readonly deadline: string };
  readonly creditHold: boolean;
  readonly finalNotice: boolean;
  /** Reminders handed to the customer's account and not yet sent or dropped (absent when none ever were). */
  readonly queuedReminders?: readonly QueuedReminder[];
  /**
   * How many times the invoice moved to another policy version (absent before the first move).
   * Step idempotency keys and late fees carry it, so a step index reused by the new version is a new step.
   */
  readonly policyGeneration?: number;
  /** What the events add up to (payments, refunds, fees, credit, open flags, …); see `InvoiceBooks`. */
  readonly books: InvoiceBooks;
  /**
   * The events of this run: all of them, or, once the workflow has continued as new, those since
   * (every earlier one is in Postgres, and added up in `books`).
   */
  readonly events: readonly InvoiceEvent[];
  /** Set when the workflow continued as new: events up to this sequence number are in Postgres. */
  readonly persistedThrough?: number;
}

export function initialState(input: InvoiceWorkflowInput): InvoiceState {
  if (input.resume) {
    const { resume, ...rest } = input;
    // A snapshot from before the books existed carries every event: they are added up once.
    return { ...resume, input: rest, books: resume.books ?? rebuildBooks(resume.events) };
  }
  return {
    input,
    status: 'open',
    ledger: { totalCents: input.totalCents, feesCents: 0, paidCents: 0, refundedCents: 0 },
    paymentIds: [],
    refundIds: [],
    refundedByPayment: {},
    nextStepIndex: 0,
    dunningStage: 'none',
    disputed: false,
    pausedMs: 0,
    creditHold: false,
    finalNotice: false,
    books: emptyBooks(),
    events: [],
  };
}

/** Thrown (coded) when a command needs an open invoice and this one is paid, void or uncollectible. */
export function assertOpen(state: InvoiceState): void {
  if (state.status === 'paid') throw new DomainError(ErrorCode.INVOICE_PAID, 'invoice is already paid');
  if (state.status !== 'open') throw new DomainError(ErrorCode.INVOICE_NOT_OPEN, `invoice is ${state.status}`);
}

function withStatus(state: InvoiceState, to: InvoiceStatus): InvoiceState {
  assertTransition(state.status, to);
  return { ...state, status: to };
}

/** Folds one event into the state. Pure; the only place state changes. */
export function evolve(state: InvoiceState, event: InvoiceEvent): InvoiceState {
  const next = { ...state, events: [...state.events, event], books: foldBooks(state.books, event) };
  const { ledger } = state;
  switch (event.type) {
    case 'step_performed':
    case 'step_skipped':
      return {
        ...next,
        nextStepIndex: Math.max(state.nextStepIndex, event.stepIndex + 1),
        ...(event.type === 'step_performed' ? { dunningStage: event.template } : {}),
      };
    case 'late_fee_applied':
      return { ...next, ledger: { ...ledger, feesCents: ledger.feesCents + event.amountCents } };
    case 'credit_hold_placed':
      return { ...next, creditHold: true };
    case 'final_notice':
      return { ...next, finalNotice: true };
    case 'handed_off':
      return withStatus(next, 'uncollectible');
    case 'payment_received':
      return {
        ...next,
        paymentIds: [...state.paymentIds, event.paymentId],
        ledger: { ...ledger, paidCents: ledger.paidCents + event.amountCents },
      };
    case 'payment_flagged':
      return { ...next, paymentIds: [...state.paymentIds, event.paymentId] };
    case 'refund_flagged':
      return { ...next, refundIds: [...state.refundIds, event.refundId] };
    case 'payment_refunded':
      return {
        ...next,
        refundIds: [...state.refundIds, event.refundId],
        refundedByPayment: {
          ...state.refundedByPayment,
          [event.paymentId]: (state.refundedByPayment[event.paymentId] ?? 0) + event.amountCents,
        },
        ledger: { ...ledger, refundedCents: ledger.refundedCents + event.amountCents },
      };
    case 'written_off':
      return { ...next, ledger: { ...ledger, writtenOffCents: (ledger.writtenOffCents ?? 0) + event.amountCents } };
    case 'write_off_reversed':
      return { ...next, ledger: { ...ledger, writtenOffCents: (ledger.writtenOffCents ?? 0) - event.amountCents } };
    case 'paid': {
      const { promise: _promise, ...rest } = withStatus(next, 'paid');
      return rest;
    }
    case 'reopened':
      return withStatus(next, 'open');
    case 'voided': {
      const { promise: _promise, ...rest } = withStatus(next, 'void');
      return rest;
    }
    case 'dispute_opened':
      return { ...next, disputed: true, disputedSince: event.at };
    case 'dispute_resolved': {
      const since = state.disputedSince ? Date.parse(state.disputedSince) : Date.parse(event.at);
      const { disputedSince: _since, ...rest } = next;
      return { ...rest, disputed: false, pausedMs: state.pausedMs + Math.max(0, Date.parse(event.at) - since) };
    }
    case 'promise_made':
      return { ...next, promise: { date: event.date, deadline: event.deadline } };
    case 'policy_migrated':
      return {
        ...next,
        input: { ...state.input, policy: event.policy },
        nextStepIndex: event.resumeAtStep,
        policyGeneration: event.generation,
      };
    case 'imported':
      return { ...next, nextStepIndex: event.resumeAtStep, ledger: { ...ledger, paidCents: ledger.paidCents + event.paidBeforeCents } };
    case 'promise_kept':
    case 'promise_broken': {
      const { promise: _promise, ...rest } = next;
      return rest;
    }
    case 'reminder_queued':
      return {
        ...next,
        queuedReminders: [
          ...(state.queuedReminders ?? []),
          { idempotencyKey: event.idempotencyKey, template: event.template, stepIndex: event.stepIndex },
        ],
      };
    case 'reminder_dropped':
    case 'email_sent':
    case 'email_failed': {
      const key = event.idempotencyKey;
      if (!state.queuedReminders || key === undefined) return next;
      return { ...next, queuedReminders: state.queuedReminders.filter((q) => q.idempotencyKey !== key) };
    }
    // Facts for the timeline and the books only: the state they change is the books'.
    case 'issued':
    case 'late_fee_skipped':
    case 'payment_failed':
    case 'flag_resolved':
    case 'credit_recorded':
    case 'credit_reversed':
      return next;
    default:
      return assertNever(event);
  }
}

/** Applies event bodies in order, stamping sequence, time and actor. */
export function record(
  state: InvoiceState,
  bodies: readonly InvoiceEventBody[],
  meta: { at: string; actor: string; reason?: string },
): InvoiceState {
  return bodies.reduce<InvoiceState>(
    (s, body) =>
      evolve(s, {
        ...body,
        seq: s.books.lastSeq + 1,
        at: meta.at,
        actor: meta.actor,
        ...(meta.reason ? { reason: meta.reason } : {}),
      } as InvoiceEvent),
    state,
  );
}

/** The invoice's current facts, stored beside its events by the projection. */
export function snapshotOf(state: InvoiceState): InvoiceSnapshot {
  return {
    status: state.status,
    feesCents: state.ledger.feesCents,
    paidCents: state.ledger.paidCents,
    refundedCents: state.ledger.refundedCents,
    amountDueCents: amountDue(state.ledger),
    ...(state.ledger.writtenOffCents ? { writtenOffCents: state.ledger.writtenOffCents } : {}),
    dunningStage: state.dunningStage,
    disputed: state.disputed,
    promisedDate: state.promise?.date ?? null,
    ...(state.input.scheduleRules ? { scheduleRules: state.input.scheduleRules } : {}),
    nextStepIndex: state.nextStepIndex,
    pausedMs: state.pausedMs,
    promiseDeadline: state.promise?.deadline ?? null,
  };
}
