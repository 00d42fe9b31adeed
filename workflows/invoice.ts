import {
  ActivityFailure,
  allHandlersFinished,
  ApplicationFailure,
  condition,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import {
  checkMigration, checkOpenDispute, checkPayment, checkPromise, checkResolveDispute, checkVoid,
  decideChargeback, decideImport, decideMigration, decideOpenDispute, decidePayment, decidePromise, decideRefund, decideResolveDispute, decideVoid, migrationOutcome,
} from '../src/domain/commands';
import { decideSteps, nextActionOf, planNext, scheduleFor } from '../src/domain/dunning';
import { DomainError } from '../src/domain/errors';
import { ledgerFactsOf } from '../src/domain/ledger';
import { amountDue, initialState, record, snapshotOf, type InvoiceEventBody, type InvoiceState, type InvoiceWorkflowInput } from '../src/domain/invoice';
import type { EmailTemplate } from '../src/domain/policy';
import { emailTaskQueue } from '../src/temporal/task-queues';
import { AmountDueCentsKey, DunningStageKey, InvoiceStatusKey, PolicyVersionKey } from '../src/temporal/search-attributes';
import {
  chargebackSignal, invoiceLedgerQuery, invoiceSnapshotQuery, invoiceStateQuery, migratePolicyUpdate, openDisputeUpdate, paymentFailedSignal, paymentReceivedSignal, paymentRefundedSignal,
  promiseToPayUpdate, recordPaymentUpdate, resolveDisputeUpdate, voidInvoiceUpdate, type InvoiceView,
} from './messages';

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
  // A reopened invoice's earlier events were persisted by its previous run.
  let persistedSeq = input.resume?.events.length ?? 0;
  let changes = 0;
  // Since 'batched-projection': events of one action (issue, or a step and its email) are projected
  // to Postgres together, roughly halving projection activities. Older histories keep one per batch.
  const batchProjection = patched('batched-projection');
  // Since 'local-projection': the projection runs as a local activity (see projectLocally).
  const project = patched('local-projection') ? projectLocally : recordInvoiceEvents;
  let acting = false;
  let flushWanted = 0;

  const emit = (bodies: readonly InvoiceEventBody[], actor: string, reason?: string): number => {
    if (bodies.length > 0) {
      state = record(state, bodies, { at: new Date().toISOString(), actor, ...(reason ? { reason } : {}) });
      changes++;
      syncSearchAttributes();
    }
    return state.events.length;
  };
  /** Resolves once everything emitted so far is in Postgres, so callers read their own writes. */
  const persisted = (seq: number) => {
    flushWanted = Math.max(flushWanted, seq);
    return condition(() => persistedSeq >= seq);
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
  const view = () => viewOf(state);

  let lastAttributes = '';
  function syncSearchAttributes(): void {
    const values = { status: state.status, stage: state.dunningStage, due: amountDue(state.ledger) };
    const key = JSON.stringify(values);
    if (key === lastAttributes) return;
    lastAttributes = key;
    upsertSearchAttributes([
      { key: InvoiceStatusKey, value: values.status },
      { key: DunningStageKey, value: values.stage },
      { key: AmountDueCentsKey, value: values.due },
    ]);
  }

  setHandler(paymentReceivedSignal, ({ actor, reason, ...payment }) => void emit(decidePayment(state, payment), actor, reason));
  setHandler(paymentRefundedSignal, ({ actor, reason, ...refund }) => void emit(decideRefund(state, refund), actor, reason));
  setHandler(chargebackSignal, ({ actor, reason, ...chargeback }) => void emit(decideChargeback(state, chargeback), actor, reason));
  setHandler(paymentFailedSignal, ({ actor, reason, paymentId, failure }) => void emit([{ type: 'payment_failed', paymentId, failure }], actor, reason));

  setHandler(voidInvoiceUpdate, async ({ actor, reason }) => {
    await persisted(emit(refusable(() => decideVoid(state)), actor, reason));
    return view();
  }, { validator: (_command) => refusable(() => checkVoid(state)) });
  setHandler(openDisputeUpdate, async ({ actor, reason }) => {
    await persisted(emit(refusable(() => decideOpenDispute(state)), actor, reason));
    return view();
  }, { validator: (_command) => refusable(() => checkOpenDispute(state)) });
  setHandler(resolveDisputeUpdate, async ({ actor, reason }) => {
    await persisted(emit(refusable(() => decideResolveDispute(state)), actor, reason));
    return view();
  }, { validator: (_command) => refusable(() => checkResolveDispute(state)) });
  setHandler(promiseToPayUpdate, async ({ actor, reason, date }) => {
    await persisted(emit(refusable(() => decidePromise(state, date, Date.now())), actor, reason));
    return view();
  }, { validator: ({ date }) => refusable(() => checkPromise(state, date, Date.now())) });
  setHandler(recordPaymentUpdate, async ({ actor, reason, ...payment }) => {
    await persisted(emit(refusable(() => { checkPayment(state, payment); return decidePayment(state, payment); }), actor, reason));
    return view();
  }, { validator: ({ actor: _a, reason: _r, ...payment }) => refusable(() => checkPayment(state, payment)) });
  setHandler(migratePolicyUpdate, async ({ actor, reason, policy, migrationId }) => {
    const events = refusable(() => decideMigration(state, policy, migrationId, Date.now()));
    if (events.length > 0) upsertSearchAttributes([{ key: PolicyVersionKey, value: policy.version }]);
    await persisted(emit(events, actor, reason ?? `policy migration ${migrationId}`));
    return {
      outcome: migrationOutcome(state, migrationId),
      policy: { name: state.input.policy.name, version: state.input.policy.version },
      nextStepIndex: state.nextStepIndex,
      nextAction: nextActionOf(state, Date.now()),
    };
  }, { validator: ({ policy }) => refusable(() => checkMigration(state, policy)) });
  setHandler(invoiceStateQuery, view);
  setHandler(invoiceSnapshotQuery, () => state);
  setHandler(invoiceLedgerQuery, () => ({ facts: ledgerFactsOf(state), persistedSeq: state.events[persistedSeq - 1]?.seq ?? 0, projectionFailure: null }));

  // Projection to Postgres runs beside the ladder, so a slow email never delays a command's reply.
  let finished = false;
  const projection = (async () => {
    for (;;) {
      await condition(() => (state.events.length > persistedSeq && (!acting || flushWanted > persistedSeq)) || finished);
      if (state.events.length <= persistedSeq) return;
      const target = state.events.length;
      await project({ invoiceId: input.invoiceId, customerId: input.customerId, events: state.events.slice(persistedSeq), snapshot: snapshotOf(state) });
      persistedSeq = target;
    }
  })();

  async function sendEmail(template: EmailTemplate, stepIndex: number | null, attachPdf: boolean): Promise<void> {
    // After a policy migration the new version's step indices restart: its steps get their own keys.
    const generation = state.policyGeneration ?? 0;
    const step = stepIndex === null ? 'issue' : `${generation > 0 ? `m${generation}/` : ''}step-${stepIndex}`;
    const idempotencyKey = `${workflowInfo().workflowId}/${step}`;
    try {
      await sendInvoiceEmail({ invoiceId: input.invoiceId, template, stepIndex, idempotencyKey, attachPdf, amountDueCents: amountDue(state.ledger), feesCents: state.ledger.feesCents });
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
      emit(decideImport(state, Date.now()), 'import', 'open invoice taken over from the ERP');
    });
  } else if (!input.resume) {
    await act(async () => {
      await renderInvoiceDocument({ invoiceId: input.invoiceId });
      emit([{ type: 'issued', dueAt: input.dueAt, policy: `${input.policy.name}@${input.policy.version}` }], 'workflow');
      await sendEmail('invoice_issued', null, true);
    });
  }

  for (;;) {
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
      await condition(() => changes !== seen, Math.max(1, Date.parse(at) - Date.now()), { summary });
    } else {
      await condition(() => changes !== seen);
    }
  }

  finished = true;
  await projection;
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

function viewOf(state: InvoiceState): InvoiceView {
  const { input, ledger } = state;
  // Step indices refer to the current policy version: only events since the last migration count.
  const lastMigration = [...state.events].reverse().find((e) => e.type === 'policy_migrated');
  const imported = state.events.find((e) => e.type === 'imported');
  const superseded = lastMigration?.type === 'policy_migrated' ? lastMigration.resumeAtStep : imported?.type === 'imported' ? imported.resumeAtStep : 0;
  const since = lastMigration?.seq ?? 0;
  const skipped = new Set(state.events.flatMap((e) => (e.type === 'step_skipped' && e.seq > since ? [e.stepIndex] : [])));
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
    steps: scheduleFor(state).map((step) => ({
      ...step,
      status: step.index >= state.nextStepIndex ? 'pending' : step.index < superseded ? 'superseded' : skipped.has(step.index) ? 'skipped' : 'done',
    })),
    timeline: state.events,
  };
}
