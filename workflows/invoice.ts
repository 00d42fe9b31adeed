import {
  ActivityFailure,
  allHandlersFinished,
  ApplicationFailure,
  CancellationScope,
  condition,
  continueAsNew,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  sleep,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import {
  checkMigration,
  checkOpenDispute,
  checkPayment,
  checkPromise,
  checkResolveDispute,
  checkResolveFlag,
  checkText,
  checkVoid,
  decideChargeback,
  decideImport,
  decideMigration,
  decideOpenDispute,
  decidePayment,
  decidePromise,
  decideRefund,
  decideResolveDispute,
  decideResolveFlag,
  decideVoid,
  migrationOutcome,
  normalizeMeta,
  normalizePayment,
  normalizeRefund,
  openFlags,
} from '../src/domain/commands';
import { cleanText } from '../src/domain/text';
import { decideSteps, nextActionOf, planNext, scheduleFor } from '../src/domain/dunning';
import { DomainError } from '../src/domain/errors';
import { keyedEntries } from '../src/domain/keyed';
import { ledgerFactsOf } from '../src/domain/ledger';
import {
  amountDue,
  initialState,
  record,
  snapshotOf,
  type InvoiceEventBody,
  type InvoiceState,
  type InvoiceWorkflowInput,
} from '../src/domain/invoice';
import type { EmailTemplate } from '../src/domain/policy';
import { emailTaskQueue } from '../src/temporal/task-queues';
import {
  AmountDueCentsKey,
  DunningStageKey,
  InvoiceStatusKey,
  NeedsAttentionKey,
  PolicyVersionKey,
} from '../src/temporal/search-attributes';
import {
  chargebackSignal,
  invoiceLedgerQuery,
  invoiceSnapshotQuery,
  invoiceStateQuery,
  migratePolicyUpdate,
  openDisputeUpdate,
  paymentFailedSignal,
  paymentReceivedSignal,
  paymentRefundedSignal,
  promiseToPayUpdate,
  recordPaymentUpdate,
  resolveDisputeUpdate,
  resolveFlagUpdate,
  retryProjectionSignal,
  voidInvoiceUpdate,
  HISTORY_BUDGET,
  type InvoiceView,
  type ProjectionFailure,
} from './messages';

/** How long a projection Postgres refused waits before it is tried again on its own (a retry signal is sooner). */
const POISON_RETRY = '1 hour';
/** Most events one projection activity carries (since 'continue-as-new'); a longer backlog takes several. */
const MAX_PROJECTION_BATCH = 500;

const { renderInvoiceDocument, recordInvoiceEvents } = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
});

/**
 * The projection as a local activity: a short idempotent write that needs no task queue round trip,
 * so a payment costs the server one workflow task instead of two plus an activity task.
 */
const projectLocally = proxyLocalActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
}).recordInvoiceEvents;

/** Emails run on their own task queue, whose workers share a task-queue-wide rate limit. */
const { sendInvoiceEmail } = proxyActivities<Activities>({
  taskQueue: emailTaskQueue(workflowInfo().taskQueue),
  startToCloseTimeout: '1 minute',
  scheduleToCloseTimeout: '1 day',
  retry: { initialInterval: '2 seconds', maximumInterval: '10 minutes' },
});

/**
 * One invoice, from issue to completion: issue the PDF and email, then follow the pinned policy's
 * ladder on durable timers until the amount due reaches zero, the invoice is voided or handed off.
 * Every decision is a pure function in `src/domain`; this function only wires time and messages.
 */
export async function invoiceWorkflow(input: InvoiceWorkflowInput): Promise<InvoiceView> {
  let state: InvoiceState = initialState(input);
  // A reopened or continued invoice's earlier events were persisted by its previous run.
  let persistedSeq = input.resume ? (input.resume.persistedThrough ?? state.books.lastSeq) : 0;
  let changes = 0;
  // Since 'batched-projection': events of one action (issue, or a step and its email) are projected
  // to Postgres together, roughly halving projection activities. Older histories keep one per batch.
  const batchProjection = patched('batched-projection');
  // Since 'local-projection': the projection runs as a local activity (see projectLocally).
  const project = patched('local-projection') ? projectLocally : recordInvoiceEvents;
  // Since 'money-integrity': facts from signals are made storable, refunds are checked against the
  // payments they name, a zero invoice settles at issue, a projection Postgres refuses (a poison
  // event) is surfaced and waits for a fix instead of retrying forever, and NeedsAttention is kept.
  const guarded = patched('money-integrity');
  // Since 'calendar-day-offsets': day offsets are days on the customer's calendar, acting at the send
  // window's opening or 09:00 (see computeSchedule). Pinned in the input, so a reopened run keeps it.
  if (!input.resume && !state.input.scheduleRules && patched('calendar-day-offsets'))
    state = { ...state, input: { ...state.input, scheduleRules: 'calendar' } };
  // Since 'continue-as-new': a long-lived invoice continues as new before its history grows large
  // (see `continueIfLong`), carrying its state and books but not the events already in Postgres.
  const continues = patched('continue-as-new');
  // Since 'parked-invoices': an open invoice with nothing more to do on its own is `parked` (in
  // NeedsAttention and its projection), and an import past every step follows the catch-up rule.
  const parkedVisible = patched('parked-invoices');
  let acting = false;
  let flushWanted = 0;
  let projectionFailure: ProjectionFailure | null = null;
  let retryWanted = false;

  const emit = (bodies: readonly InvoiceEventBody[], actor: string, reason?: string): number => {
    if (bodies.length > 0) {
      state = record(state, bodies, { at: new Date().toISOString(), actor, ...(reason ? { reason } : {}) });
      changes++;
      searchAttributesChanged();
    }
    return state.books.lastSeq;
  };
  /**
   * Resolves once everything emitted so far is in Postgres, so callers read their own writes. When
   * Postgres refuses the projection, the caller is answered at once (the events are kept and projected
   * once the cause is fixed) instead of waiting forever.
   */
  const persisted = (seq: number): Promise<void> => {
    flushWanted = Math.max(flushWanted, seq);
    if (!guarded) return condition(() => persistedSeq >= seq);
    return condition(() => persistedSeq >= seq || projectionFailure !== null).then(() => {
      if (persistedSeq < seq) throw ledgerWritePending();
    });
  };
  /** While Postgres refuses this invoice's events, commands are refused too: nothing more diverges. */
  const assertProjecting = () => {
    if (guarded && projectionFailure) throw ledgerWritePending();
  };
  /** Runs one action of the ladder; its events are projected once it is over (or when a command needs them). */
  const act = async (action: () => Promise<void>) => {
    acting = batchProjection;
    try {
      await action();
    } finally {
      acting = false;
    }
  };
  const view = (): InvoiceView => ({ ...viewOf(state), needsAttention: needsAttention() });

  const parked = () => parkedVisible && planNext(state, Date.now()).kind === 'parked';
  /** Events of this run Postgres does not hold yet. */
  const unwritten = () => state.events.filter((e) => e.seq > persistedSeq);
  const needsAttention = (): string[] => [
    ...(projectionFailure ? ['projection_failed'] : []),
    ...new Set(openFlags(state).map((f) => f.kind)),
    ...(parked() ? ['parked'] : []),
  ];
  let lastAttributes = '';
  let syncQueued = false;
  /** Set once the run has decided to continue as new: it upserts nothing after that. */
  let continued = false;
  /**
   * Since 'continue-as-new', search attributes follow the state once per activation (a burst of 100
   * signals is one upsert, not 100 history events); before it, after every change.
   */
  function searchAttributesChanged(): void {
    if (continues) syncQueued = true;
    else syncSearchAttributes();
  }
  // Conditions are checked once the activation's jobs have run: one upsert for all of them.
  if (continues) {
    void (async () => {
      for (;;) {
        await condition(() => syncQueued || continued);
        if (continued) return;
        syncSearchAttributes();
      }
    })();
  }
  function syncSearchAttributes(): void {
    syncQueued = false;
    const values = {
      status: state.status,
      stage: state.dunningStage,
      due: amountDue(state.ledger),
      ...(guarded ? { attention: needsAttention() } : {}),
    };
    const key = JSON.stringify(values);
    if (key === lastAttributes) return;
    lastAttributes = key;
    upsertSearchAttributes([
      { key: InvoiceStatusKey, value: values.status },
      { key: DunningStageKey, value: values.stage },
      { key: AmountDueCentsKey, value: values.due },
      ...(values.attention ? [{ key: NeedsAttentionKey, value: values.attention.length > 0 ? values.attention : null }] : []),
    ]);
  }
  /** Who and why, made storable since 'money-integrity' (a signal may come from any client). */
  const meta = (actor: string, reason: string | undefined) => (guarded ? normalizeMeta(actor, reason) : { actor, reason });
  const rules = guarded ? 'checked' : 'legacy';

  // Facts from outside: never refused, recorded so that Postgres can hold them.
  setHandler(paymentReceivedSignal, ({ actor, reason, ...payment }) => {
    const m = meta(actor, reason);
    // Only the claim of unapplied cash (an update) may say where the money waited.
    const {
      unappliedSource: _source,
      receivedAt: _at,
      ...fact
    } = guarded ? normalizePayment(payment) : { ...payment, unappliedSource: undefined, receivedAt: undefined };
    emit(guarded ? decidePayment(state, fact) : decidePayment(state, payment, 'legacy'), m.actor, m.reason);
  });
  setHandler(paymentRefundedSignal, ({ actor, reason, ...refund }) => {
    const m = meta(actor, reason);
    emit(decideRefund(state, guarded ? normalizeRefund(refund) : refund, rules), m.actor, m.reason);
  });
  setHandler(chargebackSignal, ({ actor, reason, ...chargeback }) => {
    const m = meta(actor, reason);
    const fact = guarded
      ? {
          ...chargeback,
          disputeId: cleanText(String(chargeback.disputeId), { max: 255 }) || 'unnamed',
          paymentId: cleanText(String(chargeback.paymentId), { max: 255 }) || 'unnamed',
        }
      : chargeback;
    emit(decideChargeback(state, fact, rules), m.actor, m.reason);
  });
  setHandler(paymentFailedSignal, ({ actor, reason, paymentId, failure }) => {
    const m = meta(actor, reason);
    const fact = guarded
      ? {
          paymentId: cleanText(String(paymentId), { max: 255 }) || 'unnamed',
          failure: cleanText(String(failure), { multiline: true, max: 1000 }) || 'payment failed',
        }
      : { paymentId, failure };
    emit([{ type: 'payment_failed', ...fact }], m.actor, m.reason);
  });
  setHandler(retryProjectionSignal, () => {
    retryWanted = true;
  });

  // Commands: refused by their validators (never entering history) when they cannot apply.
  const command = (def: typeof voidInvoiceUpdate, check: () => void, decide: () => InvoiceEventBody[]) =>
    setHandler(
      def,
      async ({ actor, reason }) => {
        await persisted(emit(refusable(decide), actor, reason));
        return view();
      },
      {
        validator: ({ actor, reason }) =>
          refusable(() => {
            assertProjecting();
            if (guarded) checkText({ actor, reason });
            check();
          }),
      },
    );
  command(
    voidInvoiceUpdate,
    () => checkVoid(state),
    () => decideVoid(state),
  );
  command(
    openDisputeUpdate,
    () => checkOpenDispute(state),
    () => decideOpenDispute(state),
  );
  command(
    resolveDisputeUpdate,
    () => checkResolveDispute(state),
    () => decideResolveDispute(state),
  );
  setHandler(
    promiseToPayUpdate,
    async ({ actor, reason, date }) => {
      await persisted(
        emit(
          refusable(() => decidePromise(state, date, Date.now())),
          actor,
          reason,
        ),
      );
      return view();
    },
    {
      validator: ({ actor, reason, date }) =>
        refusable(() => {
          assertProjecting();
          if (guarded) checkText({ actor, reason });
          checkPromise(state, date, Date.now());
        }),
    },
  );
  setHandler(
    recordPaymentUpdate,
    async ({ actor, reason, ...payment }) => {
      await persisted(
        emit(
          refusable(() => {
            checkPayment(state, payment);
            return decidePayment(state, payment);
          }),
          actor,
          reason,
        ),
      );
      return view();
    },
    {
      validator: ({ actor, reason, ...payment }) =>
        refusable(() => {
          assertProjecting();
          if (guarded) checkText({ actor, reason, unappliedSource: payment.unappliedSource, receivedAt: payment.receivedAt });
          checkPayment(state, payment);
        }),
    },
  );
  setHandler(
    resolveFlagUpdate,
    async ({ actor, flagId, resolution }) => {
      await persisted(
        emit(
          refusable(() => decideResolveFlag(state, flagId, resolution)),
          actor,
          resolution,
        ),
      );
      return view();
    },
    {
      validator: ({ actor, flagId, resolution }) =>
        refusable(() => {
          assertProjecting();
          checkText({ actor, flagId });
          checkResolveFlag(state, flagId, resolution);
        }),
    },
  );
  setHandler(
    migratePolicyUpdate,
    async ({ actor, reason, policy, migrationId }) => {
      const events = refusable(() => decideMigration(state, policy, migrationId, Date.now()));
      if (events.length > 0) upsertSearchAttributes([{ key: PolicyVersionKey, value: policy.version }]);
      await persisted(emit(events, actor, reason ?? `policy migration ${migrationId}`));
      return {
        outcome: migrationOutcome(state, migrationId),
        policy: { name: state.input.policy.name, version: state.input.policy.version },
        nextStepIndex: state.nextStepIndex,
        nextAction: nextActionOf(state, Date.now()),
      };
    },
    {
      validator: ({ actor, reason, policy }) =>
        refusable(() => {
          assertProjecting();
          if (guarded) checkText({ actor, reason });
          checkMigration(state, policy);
        }),
    },
  );
  setHandler(invoiceStateQuery, view);
  // What a reopened run starts from: with how far Postgres holds its events (all of them, once completed).
  setHandler(invoiceSnapshotQuery, () => (continues ? { ...state, persistedThrough: persistedSeq } : state));
  setHandler(invoiceLedgerQuery, () => ({
    facts: ledgerFactsOf(state),
    persistedSeq,
    projectionFailure,
    unappliedApplied: keyedEntries(state.books.payments).flatMap(([id, p]) => (p.unappliedSource ? [`${p.unappliedSource}:${id}`] : [])),
  }));

  // Projection to Postgres runs beside the ladder, so a slow email never delays a command's reply.
  let finished = false;
  let projecting = false;
  let closing = false;
  const projection = (async () => {
    for (;;) {
      // While the run is closing (continuing as new), only a command waiting for its events is projected.
      await condition(
        () =>
          (state.books.lastSeq > persistedSeq &&
            (!acting || flushWanted > persistedSeq || projectionFailure !== null) &&
            (!closing || flushWanted > persistedSeq)) ||
          finished,
      );
      if (state.books.lastSeq <= persistedSeq) return;
      // Since 'continue-as-new', in batches that keep an activity's input (and its history event) small.
      const pending = continues ? unwritten().slice(0, MAX_PROJECTION_BATCH) : unwritten();
      const target = pending[pending.length - 1]!.seq;
      // Events a command emitted are tentative until the workflow task that accepted the command is in
      // history: under a burst of updates that task can still be lost (a speculative task dropped, a
      // completion refused), and the next attempt may number other events the same. A local activity
      // would write them to Postgres within that task; a regular activity is scheduled with it, so it
      // only ever writes what history holds. Events of signals and timers are in history already.
      // Since 'continue-as-new' every event is: a local activity's write outlives a workflow task that
      // the server then fails (a storm of signals during a long task force-closes it), and a later
      // attempt may number events otherwise. Only what a completed task scheduled reaches Postgres.
      const tentative = guarded && flushWanted > persistedSeq;
      projecting = true;
      try {
        await (tentative || continues ? recordInvoiceEvents : project)({
          invoiceId: input.invoiceId,
          customerId: input.customerId,
          events: pending,
          snapshot: { ...snapshotOf(state), ...(parkedVisible ? { parked: parked() } : {}) },
          ...(projectionFailure ? { afterFailure: true } : {}),
          ...(guarded ? { surfaceRefusal: true } : {}),
        });
      } catch (err) {
        if (!guarded || !isPoison(err)) throw err;
        // Postgres refused these events (the activity recorded why): say so, then wait for a fix.
        const failure = err instanceof ActivityFailure ? err.cause : err;
        projectionFailure = { seq: pending[0]!.seq, error: (failure as Error).message, at: new Date().toISOString() };
        searchAttributesChanged();
        projecting = false; // while it waits for a fix, the run may still continue as new
        retryWanted = false;
        await condition(() => retryWanted, POISON_RETRY);
        continue;
      } finally {
        projecting = false;
      }
      persistedSeq = target;
      if (projectionFailure) {
        projectionFailure = null;
        searchAttributesChanged();
      }
    }
  })();

  async function sendEmail(template: EmailTemplate, stepIndex: number | null, attachPdf: boolean): Promise<void> {
    // After a policy migration the new version's step indices restart: its steps get their own keys.
    const generation = state.policyGeneration ?? 0;
    const step = stepIndex === null ? 'issue' : `${generation > 0 ? `m${generation}/` : ''}step-${stepIndex}`;
    const idempotencyKey = `${workflowInfo().workflowId}/${step}`;
    try {
      await sendInvoiceEmail({
        invoiceId: input.invoiceId,
        template,
        stepIndex,
        idempotencyKey,
        attachPdf,
        amountDueCents: amountDue(state.ledger),
        feesCents: state.ledger.feesCents,
      });
      emit([{ type: 'email_sent', template, stepIndex, idempotencyKey }], 'workflow');
    } catch (err) {
      if (!(err instanceof ActivityFailure)) throw err;
      // A permanently refused email must not stop collection: record it for a human and go on.
      emit([{ type: 'email_failed', template, stepIndex, error: err.cause?.message ?? err.message }], 'workflow');
    }
  }

  // A reopened invoice was issued by its previous run; it carries on with the ladder. An imported one
  // was issued by the ERP: it gets its PDF (for the portal) but no issue email.
  if (input.imported && !input.resume) {
    await act(async () => {
      await renderInvoiceDocument({ invoiceId: input.invoiceId });
      emit(decideImport(state, Date.now(), parkedVisible ? 'catch-up' : 'legacy'), 'import', 'open invoice taken over from the ERP');
    });
  } else if (!input.resume) {
    await act(async () => {
      await renderInvoiceDocument({ invoiceId: input.invoiceId });
      emit([{ type: 'issued', dueAt: input.dueAt, policy: `${input.policy.name}@${input.policy.version}` }], 'workflow');
      await sendEmail('invoice_issued', null, true);
    });
  }
  // Nobody is chased for nothing (new invoices of zero are refused; this settles any that exist).
  if (guarded && state.status === 'open' && amountDue(state.ledger) === 0) emit([{ type: 'paid' }], 'workflow', 'nothing is owed');

  /**
   * Continues as new when Temporal suggests it or the history passes HISTORY_BUDGET events: once
   * every event is in Postgres and no handler is running, the next run starts from this state (its
   * books, the pinned policy and rules) with none of the events, which the audit log keeps.
   */
  async function continueIfLong(): Promise<void> {
    const info = workflowInfo();
    if (!info.continueAsNewSuggested && info.historyLength < HISTORY_BUDGET) return;
    // No new projection starts; the one under way and every handler finish first (a refused projection
    // is tried again by the next run). Checked and acted on in one step: nothing changes in between.
    closing = true;
    const ready = () => !projecting && allHandlersFinished();
    while (!ready()) await condition(ready);
    syncSearchAttributes();
    continued = true;
    await continueAsNew<typeof invoiceWorkflow>({
      ...state.input,
      resume: { ...state, events: unwritten(), persistedThrough: persistedSeq },
    });
  }

  /**
   * Since 'continue-as-new', the timer for the next action is kept while that action stays due at the
   * same instant: a payment that leaves the next reminder where it was adds no timer events.
   */
  let alarm: { at: string; rang: boolean; scope: CancellationScope } | null = null;
  function alarmAt(at: string, summary: string): { rang: boolean };
  function alarmAt(at: null): void;
  function alarmAt(at: string | null, summary?: string): { rang: boolean } | void {
    if (at !== null && alarm?.at === at && !alarm.rang) return alarm;
    if (alarm && !alarm.rang) alarm.scope.cancel();
    alarm = null;
    if (at === null) return;
    const scope = new CancellationScope();
    const next = { at, rang: false, scope };
    // A cancelled alarm is simply replaced; cancelling the workflow reaches the loop's own wait.
    scope
      .run(() => sleep(Math.max(1, Date.parse(at) - Date.now()), { summary }))
      .then(
        () => {
          next.rang = true;
        },
        () => undefined,
      );
    alarm = next;
    return next;
  }

  for (;;) {
    // Not even an idle `await` unpatched: recorded histories expect the order of commands that follows.
    if (continues) await continueIfLong();
    const plan = planNext(state, Date.now());
    if (plan.kind === 'done') break;
    if (plan.kind === 'promise_broken') {
      emit([{ type: 'promise_broken', date: state.promise!.date }], 'workflow', 'promised date passed with money still owed');
      continue;
    }
    if (plan.kind === 'perform') {
      const { events, emailStep } = decideSteps(state, plan.steps, Date.now());
      await act(async () => {
        emit(events, 'workflow', `policy ${input.policy.name}@${input.policy.version} step ${emailStep.index} (${emailStep.offset})`);
        await sendEmail(emailStep.template, emailStep.index, emailStep.finalNotice);
      });
      continue;
    }
    const seen = changes;
    if (plan.kind === 'wait') {
      const { step, reason, at } = plan.next;
      const summary = reason === 'promise_deadline' ? `promise to pay deadline ${at}` : `step ${step?.index} ${step?.template} at ${at}`;
      if (continues) {
        const alarm = alarmAt(at, summary);
        await condition(() => changes !== seen || alarm.rang);
      } else await condition(() => changes !== seen, Math.max(1, Date.parse(at) - Date.now()), { summary });
    } else {
      if (continues) alarmAt(null);
      await condition(() => changes !== seen);
    }
  }

  if (continues) alarmAt(null);
  finished = true;
  await projection;
  await condition(allHandlersFinished);
  return view();
}

/** The projection refused for good; a local activity's failure arrives unwrapped, a remote one as its cause. */
function isPoison(err: unknown): boolean {
  const failure = err instanceof ActivityFailure ? err.cause : err;
  return failure instanceof ApplicationFailure && failure.type === 'PROJECTION_REJECTED';
}

function ledgerWritePending(): ApplicationFailure {
  return ApplicationFailure.create({
    type: 'LEDGER_WRITE_PENDING',
    nonRetryable: true,
    message:
      "Postgres refused to record this invoice's events; it is flagged for ops (NeedsAttention = projection_failed) and catches up once the cause is fixed",
  });
}

/** Domain refusals become ApplicationFailures whose `type` is the error code (seen by the client). */
function refusable<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof DomainError) {
      throw ApplicationFailure.create({ type: err.code, message: err.message, nonRetryable: true, details: [err.details] });
    }
    throw err;
  }
}

function viewOf(state: InvoiceState): InvoiceView {
  const { input, ledger } = state;
  // Step indices refer to the current policy version: the books count only what happened since the last migration.
  const superseded = state.books.supersededBelow;
  const skipped = new Set(state.books.skippedSteps);
  return {
    invoiceId: input.invoiceId,
    number: input.number,
    customerId: input.customerId,
    status: state.status,
    currency: input.currency,
    totalCents: ledger.totalCents,
    feesCents: ledger.feesCents,
    amountPaidCents: ledger.paidCents - ledger.refundedCents,
    amountDueCents: amountDue(ledger),
    dueAt: input.dueAt,
    timeZone: input.timeZone,
    dunningStage: state.dunningStage,
    disputed: state.disputed,
    promisedDate: state.promise?.date ?? null,
    creditHold: state.creditHold,
    policy: { name: input.policy.name, version: input.policy.version },
    nextAction: nextActionOf(state, Date.now()),
    needsAttention: openFlags(state)
      .map((f) => f.kind)
      .filter((k, i, all) => all.indexOf(k) === i),
    steps: scheduleFor(state, Date.now()).map((step) => ({
      ...step,
      status:
        step.index >= state.nextStepIndex
          ? 'pending'
          : step.index < superseded
            ? 'superseded'
            : skipped.has(step.index)
              ? 'skipped'
              : 'done',
    })),
    timeline: state.events,
  };
}
