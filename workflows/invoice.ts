import {
  ActivityFailure,
  allHandlersFinished,
  ApplicationFailure,
  CancellationScope,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  patched,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  sleep,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { UpdateDefinition } from '@temporalio/common';
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
import { checkWriteOff, decideWriteOff } from '../src/domain/write-off';
import { agingAt, nextAgingChange } from '../src/domain/aging';
import { decideSteps, nextActionOf, nextActionOfPlan, planNext, type Plan } from '../src/domain/dunning';
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
  customerWorkflowId,
  DisputedKey,
  DunningStageKey,
  invoiceWorkflowId,
  InvoiceStatusKey,
  NeedsAttentionKey,
  NextActionAtKey,
  OverdueKey,
  PolicyVersionKey,
  PromisedDateKey,
} from '../src/temporal/search-attributes';
import { sendsAlone } from '../src/domain/reminders';
import { startOfLocalDay, type ScheduledStep } from '../src/domain/schedule';
import {
  reminderOutcomeSignal,
  withdrawReminderSignal,
  type ReminderOutcome,
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
  writeOffUpdate,
  describe,
  HISTORY_BUDGET,
  type InvoiceView,
} from './messages';
import { invoiceDetails } from './details';
import { InvoiceProjection } from './projection';
import { viewOf } from './view';

const { renderInvoiceDocument } = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
});

/** Emails run on their own task queue, whose workers share a task-queue-wide rate limit. */
const { enqueueReminder } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
});

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
  const persistedThrough = input.resume ? (input.resume.persistedThrough ?? state.books.lastSeq) : 0;
  let changes = 0;
  // Since 'batched-projection': events of one action (issue, or a step and its email) are projected
  // to Postgres together, roughly halving projection activities. Older histories keep one per batch.
  const batchProjection = patched('batched-projection');
  // Since 'local-projection': the projection runs as a local activity (see `InvoiceProjection`).
  const localProjection = patched('local-projection');
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
  // Since 'customer-reminders': a step's reminder is handed to the customer's account workflow, which
  // groups and caps the customer's reminders and tells the invoice what became of it (see `queueReminder`).
  const viaAccount = patched('customer-reminders');
  // Since 'ops-visibility': search attributes also say whether the invoice is disputed, the promised
  // date, when it next acts and its aging bucket (kept current as days pass); see `syncSearchAttributes`.
  const visible = patched('ops-visibility');
  const projection = new InvoiceProjection(
    {
      state: () => state,
      rules: { local: localProjection, guarded, continues },
      snapshot: () => ({ ...snapshotOf(state), ...(parkedVisible ? { parked: parked() } : {}) }),
      onFailureChanged: () => searchAttributesChanged(),
    },
    persistedThrough,
  );

  const emit = (bodies: readonly InvoiceEventBody[], actor: string, reason?: string): number => {
    if (bodies.length > 0) {
      state = record(state, bodies, { at: new Date().toISOString(), actor, ...(reason ? { reason } : {}) });
      changes++;
      searchAttributesChanged();
    }
    return state.books.lastSeq;
  };
  /** Runs one action of the ladder; its events are projected once it is over (or when a command needs them). */
  const act = async (action: () => Promise<void>) => {
    projection.acting = batchProjection;
    try {
      await action();
    } finally {
      projection.acting = false;
    }
  };
  const view = (): InvoiceView => ({ ...viewOf(state), needsAttention: needsAttention() });

  // The state is immutable and the clock stands still within an activation: one plan per state and instant,
  // however often the view, the search attributes and the loop ask for it.
  let planned: { state: InvoiceState; at: number; plan: Plan } | undefined;
  const planNow = (): Plan => {
    const at = Date.now();
    if (planned?.state !== state || planned.at !== at) planned = { state, at, plan: planNext(state, at) };
    return planned.plan;
  };
  const parked = () => parkedVisible && planNow().kind === 'parked';
  const needsAttention = (): string[] => [
    ...(projection.failure ? ['projection_failed'] : []),
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
  /**
   * Sets the workflow's current details to the invoice as it stands and returns what they were made
   * of. Not a command: kept current on every change, also in histories from before 'ops-visibility'.
   */
  function describeNow() {
    const now = Date.now();
    const attention = guarded ? needsAttention() : [];
    const next = nextActionOfPlan(planNow(), now);
    const aging = agingAt(input.dueAt, input.timeZone, now);
    setCurrentDetails(invoiceDetails({ state, next, aging, needsAttention: attention, nowMs: now }));
    return { attention, next, aging };
  }
  function syncSearchAttributes(): void {
    syncQueued = false;
    const { attention, next, aging } = describeNow();
    const values = {
      status: state.status,
      stage: state.dunningStage,
      due: amountDue(state.ledger),
      ...(guarded ? { attention } : {}),
      ...(visible
        ? {
            disputed: state.disputed,
            // The promised day's start on the customer's calendar (the promise's deadline is its end).
            promised: state.promise ? startOfLocalDay(state.promise.date, input.timeZone) : null,
            nextAt: next?.at ?? null,
            overdue: state.status === 'open' ? aging.bucket : null,
          }
        : {}),
    };
    const key = JSON.stringify(values);
    if (key === lastAttributes) return;
    lastAttributes = key;
    upsertSearchAttributes([
      { key: InvoiceStatusKey, value: values.status },
      { key: DunningStageKey, value: values.stage },
      { key: AmountDueCentsKey, value: values.due },
      ...(values.attention ? [{ key: NeedsAttentionKey, value: values.attention.length > 0 ? values.attention : null }] : []),
      ...(visible
        ? [
            { key: DisputedKey, value: values.disputed ?? false },
            { key: PromisedDateKey, value: values.promised ? new Date(values.promised) : null },
            { key: NextActionAtKey, value: values.nextAt ? new Date(values.nextAt) : null },
            { key: OverdueKey, value: values.overdue ?? null },
          ]
        : []),
    ]);
  }
  // The aging bucket changes with the calendar, not with an event: wake at each change while open.
  if (visible) {
    void (async () => {
      for (
        let at = nextAgingChange(input.dueAt, input.timeZone, Date.now());
        at !== null;
        at = nextAgingChange(input.dueAt, input.timeZone, Date.now())
      ) {
        await sleep(Math.max(1, at - Date.now()), { summary: 'aging bucket changes' });
        if (continued || state.status !== 'open') return;
        searchAttributesChanged();
      }
    })();
  }
  /** Who and why, made storable since 'money-integrity' (a signal may come from any client). */
  const meta = (actor: string, reason: string | undefined) => (guarded ? normalizeMeta(actor, reason) : { actor, reason });
  const rules = guarded ? 'checked' : 'legacy';

  // Facts from outside: never refused, recorded so that Postgres can hold them.
  setHandler(
    paymentReceivedSignal,
    ({ actor, reason, ...payment }) => {
      const m = meta(actor, reason);
      // Only the claim of unapplied cash (an update) may say where the money waited.
      const {
        unappliedSource: _source,
        receivedAt: _at,
        ...fact
      } = guarded ? normalizePayment(payment) : { ...payment, unappliedSource: undefined, receivedAt: undefined };
      emit(guarded ? decidePayment(state, fact) : decidePayment(state, payment, 'legacy'), m.actor, m.reason);
    },
    describe(paymentReceivedSignal),
  );
  setHandler(
    paymentRefundedSignal,
    ({ actor, reason, ...refund }) => {
      const m = meta(actor, reason);
      emit(decideRefund(state, guarded ? normalizeRefund(refund) : refund, rules), m.actor, m.reason);
    },
    describe(paymentRefundedSignal),
  );
  setHandler(
    chargebackSignal,
    ({ actor, reason, ...chargeback }) => {
      const m = meta(actor, reason);
      const fact = guarded
        ? {
            ...chargeback,
            disputeId: cleanText(String(chargeback.disputeId), { max: 255 }) || 'unnamed',
            paymentId: cleanText(String(chargeback.paymentId), { max: 255 }) || 'unnamed',
          }
        : chargeback;
      emit(decideChargeback(state, fact, rules), m.actor, m.reason);
    },
    describe(chargebackSignal),
  );
  setHandler(
    paymentFailedSignal,
    ({ actor, reason, paymentId, failure }) => {
      const m = meta(actor, reason);
      const fact = guarded
        ? {
            paymentId: cleanText(String(paymentId), { max: 255 }) || 'unnamed',
            failure: cleanText(String(failure), { multiline: true, max: 1000 }) || 'payment failed',
          }
        : { paymentId, failure };
      emit([{ type: 'payment_failed', ...fact }], m.actor, m.reason);
    },
    describe(paymentFailedSignal),
  );
  setHandler(retryProjectionSignal, () => projection.retry(), describe(retryProjectionSignal));
  /** Keys being handed over right now (their activity has not completed). */
  const awaitingHandOver = new Set<string>();
  /** Outcomes that came before the hand-over was recorded (the account was quicker than the activity's completion). */
  const earlyOutcomes = new Map<string, ReminderOutcome>();
  function settleReminder({ key, outcome, batch, why }: ReminderOutcome): void {
    // Only a reminder still waiting is settled (one the invoice withdrew is already recorded as dropped).
    const queued = state.queuedReminders?.find((q) => q.idempotencyKey === key);
    if (!queued) return;
    const { template, stepIndex } = queued;
    if (outcome === 'sent')
      emit([{ type: 'email_sent', template, stepIndex, idempotencyKey: key, ...(batch ? { batch } : {}) }], 'account');
    else if (outcome === 'dropped')
      emit([{ type: 'reminder_dropped', idempotencyKey: key, template, stepIndex, why: why ?? 'dropped' }], 'account');
    else emit([{ type: 'email_failed', template, stepIndex, error: why ?? 'failed', idempotencyKey: key }], 'account');
  }
  setHandler(
    reminderOutcomeSignal,
    (o) => {
      if (state.queuedReminders?.some((q) => q.idempotencyKey === o.key)) settleReminder(o);
      else if (awaitingHandOver.has(o.key)) earlyOutcomes.set(o.key, o);
    },
    describe(reminderOutcomeSignal),
  );

  // Commands: refused by their validators (never entering history) when they cannot apply. Each one
  // checks (validator and handler alike), decides its events, and answers once they are in Postgres.
  function command<A extends { readonly actor: string }>(
    def: UpdateDefinition<InvoiceView, [A]>,
    o: { check: (args: A) => void; decide: (args: A) => InvoiceEventBody[]; reason: (args: A) => string | undefined },
  ): void {
    setHandler(
      def,
      async (args) => {
        await projection.persisted(
          emit(
            refusable(() => o.decide(args)),
            args.actor,
            o.reason(args),
          ),
        );
        return view();
      },
      {
        ...describe(def),
        validator: (args) =>
          refusable(() => {
            projection.assertProjecting();
            o.check(args);
          }),
      },
    );
  }
  /** Who and why must be storable (since 'money-integrity'; before it they were taken as sent). */
  const checkWho = (fields: Record<string, string | undefined>) => {
    if (guarded) checkText(fields);
  };
  const why = ({ reason }: { reason?: string }) => reason;
  command(voidInvoiceUpdate, {
    check: ({ actor, reason }) => {
      checkWho({ actor, reason });
      checkVoid(state);
    },
    decide: () => decideVoid(state),
    reason: why,
  });
  command(openDisputeUpdate, {
    check: ({ actor, reason }) => {
      checkWho({ actor, reason });
      checkOpenDispute(state);
    },
    decide: () => decideOpenDispute(state),
    reason: why,
  });
  command(resolveDisputeUpdate, {
    check: ({ actor, reason }) => {
      checkWho({ actor, reason });
      checkResolveDispute(state);
    },
    decide: () => decideResolveDispute(state),
    reason: why,
  });
  command(promiseToPayUpdate, {
    check: ({ actor, reason, date }) => {
      checkWho({ actor, reason });
      checkPromise(state, date, Date.now());
    },
    decide: ({ date }) => decidePromise(state, date, Date.now()),
    reason: why,
  });
  command(recordPaymentUpdate, {
    check: ({ actor, reason, ...payment }) => {
      checkWho({ actor, reason, unappliedSource: payment.unappliedSource, receivedAt: payment.receivedAt });
      checkPayment(state, payment);
    },
    decide: ({ actor: _actor, reason: _reason, ...payment }) => {
      checkPayment(state, payment);
      return decidePayment(state, payment);
    },
    reason: why,
  });
  command(writeOffUpdate, {
    check: ({ actor, reason, writeOffId, ...w }) => {
      checkText({ actor, reason, writeOffId });
      checkWriteOff(state, { writeOffId, ...w });
    },
    decide: ({ actor: _actor, reason: _reason, ...w }) => decideWriteOff(state, w),
    reason: why,
  });
  command(resolveFlagUpdate, {
    check: ({ actor, flagId, resolution }) => {
      checkText({ actor, flagId });
      checkResolveFlag(state, flagId, resolution);
    },
    decide: ({ flagId, resolution }) => decideResolveFlag(state, flagId, resolution),
    reason: ({ resolution }) => resolution,
  });
  setHandler(
    migratePolicyUpdate,
    async ({ actor, reason, policy, migrationId }) => {
      const events = refusable(() => decideMigration(state, policy, migrationId, Date.now()));
      if (events.length > 0) upsertSearchAttributes([{ key: PolicyVersionKey, value: policy.version }]);
      await projection.persisted(emit(events, actor, reason ?? `policy migration ${migrationId}`));
      return {
        outcome: migrationOutcome(state, migrationId),
        policy: { name: state.input.policy.name, version: state.input.policy.version },
        nextStepIndex: state.nextStepIndex,
        nextAction: nextActionOf(state, Date.now()),
      };
    },
    {
      ...describe(migratePolicyUpdate),
      validator: ({ actor, reason, policy }) =>
        refusable(() => {
          projection.assertProjecting();
          if (guarded) checkText({ actor, reason });
          checkMigration(state, policy);
        }),
    },
  );
  setHandler(invoiceStateQuery, view, describe(invoiceStateQuery));
  // What a reopened run starts from: with how far Postgres holds its events (all of them, once completed).
  setHandler(
    invoiceSnapshotQuery,
    () => (continues ? { ...state, persistedThrough: projection.persistedSeq } : state),
    describe(invoiceSnapshotQuery),
  );
  setHandler(
    invoiceLedgerQuery,
    () => ({
      facts: ledgerFactsOf(state),
      persistedSeq: projection.persistedSeq,
      projectionFailure: projection.failure,
      unappliedApplied: keyedEntries(state.books.payments).flatMap(([id, p]) => (p.unappliedSource ? [`${p.unappliedSource}:${id}`] : [])),
    }),
    describe(invoiceLedgerQuery),
  );

  // Projection to Postgres runs beside the ladder, so a slow email never delays a command's reply.
  projection.start();
  // A reopened or continued run shows what it carries before anything happens to it.
  if (input.resume) describeNow();

  /** An email's key: the issue email's, or a step's. After a policy migration the new version's steps get keys of their own. */
  function stepEmailKey(stepIndex: number | null): string {
    const generation = state.policyGeneration ?? 0;
    const step = stepIndex === null ? 'issue' : `${generation > 0 ? `m${generation}/` : ''}step-${stepIndex}`;
    // From the input, not workflowInfo(): a reminder's outcome names it, also when a history is replayed under another id.
    return `${invoiceWorkflowId(input.invoiceId)}/${step}`;
  }

  async function sendEmail(template: EmailTemplate, stepIndex: number | null, attachPdf: boolean): Promise<void> {
    const idempotencyKey = stepEmailKey(stepIndex);
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

  /** The step's reminder, handed to the customer's account (which sends it grouped, or alone when the step says so). */
  async function queueReminder(step: ScheduledStep): Promise<void> {
    const idempotencyKey = stepEmailKey(step.index);
    let account: string;
    awaitingHandOver.add(idempotencyKey);
    try {
      ({ account } = await enqueueReminder({
        customerId: input.customerId,
        item: {
          key: idempotencyKey,
          invoiceId: input.invoiceId,
          invoiceNumber: input.number,
          template: step.template,
          stepIndex: step.index,
          dueAt: step.sendAt,
          sendAlone: sendsAlone(state.input.policy, step),
          attachPdf: step.finalNotice,
          window: state.input.policy.sendWindow ?? null,
          timeZone: input.timeZone,
        },
      }));
    } catch (err) {
      if (!(err instanceof ActivityFailure)) throw err;
      // The account could not take it for good (a worker without Temporal access): record it for a human and go on.
      emit(
        [{ type: 'email_failed', template: step.template, stepIndex: step.index, error: err.cause?.message ?? err.message }],
        'workflow',
      );
      return;
    } finally {
      awaitingHandOver.delete(idempotencyKey);
    }
    emit([{ type: 'reminder_queued', idempotencyKey, template: step.template, stepIndex: step.index, account }], 'workflow');
    const early = earlyOutcomes.get(idempotencyKey);
    earlyOutcomes.delete(idempotencyKey);
    if (early) settleReminder(early);
  }

  /**
   * Takes back the reminders waiting in the customer's account once the invoice no longer wants them
   * (paid, void, disputed, promised). A handed-off invoice keeps its hand-off notice.
   */
  async function withdrawUnwanted(): Promise<void> {
    const queued = state.queuedReminders ?? [];
    const why =
      state.status === 'paid' || state.status === 'void'
        ? `the invoice is ${state.status}`
        : state.disputed
          ? 'the invoice is disputed'
          : state.promise
            ? `payment is promised by ${state.promise.date}`
            : null;
    if (queued.length === 0 || !why) return;
    const account = getExternalWorkflowHandle(customerWorkflowId(input.customerId));
    emit(
      queued.map((q) => ({
        type: 'reminder_dropped' as const,
        idempotencyKey: q.idempotencyKey,
        template: q.template,
        stepIndex: q.stepIndex,
        why,
      })),
      'workflow',
    );
    await Promise.all(
      queued.map(async (q) => {
        try {
          await account.signal(withdrawReminderSignal, { key: q.idempotencyKey, why });
        } catch {
          // The account is not running: nothing waits there.
        }
      }),
    );
  }

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
    projection.closing = true;
    const ready = () => !projection.projecting && allHandlersFinished();
    while (!ready()) await condition(ready);
    syncSearchAttributes();
    continued = true;
    await continueAsNew<typeof invoiceWorkflow>({
      ...state.input,
      resume: { ...state, events: projection.unwritten(), persistedThrough: projection.persistedSeq },
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
    if (viaAccount) await withdrawUnwanted();
    const plan = planNow();
    if (plan.kind === 'done') break;
    if (plan.kind === 'promise_broken') {
      emit([{ type: 'promise_broken', date: state.promise!.date }], 'workflow', 'promised date passed with money still owed');
      continue;
    }
    if (plan.kind === 'perform') {
      const { events, emailStep } = decideSteps(state, plan.steps, Date.now());
      await act(async () => {
        emit(events, 'workflow', `policy ${input.policy.name}@${input.policy.version} step ${emailStep.index} (${emailStep.offset})`);
        if (viaAccount) await queueReminder(emailStep);
        else await sendEmail(emailStep.template, emailStep.index, emailStep.finalNotice);
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
  if (viaAccount) {
    // A closed invoice takes back what waits; a handed-off one stays until its hand-off notice is out.
    await withdrawUnwanted();
    await condition(() => (state.queuedReminders ?? []).length === 0);
  }
  await projection.finish();
  await condition(allHandlersFinished);
  return view();
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
