import {
  ActivityFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  patched,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import { mostSevere, nextSend, type NextSend, type ReminderItem } from '../src/domain/reminders';
import { CreditHoldKey, CurrencyKey, DunningPausedKey, invoiceWorkflowId, OverdueCentsKey } from '../src/temporal/search-attributes';
import { accountDetails } from './details';
import { emailTaskQueue } from '../src/temporal/task-queues';
import {
  accountChangedSignal,
  ACCOUNT_HISTORY_BUDGET,
  customerAccountQuery,
  describe,
  pauseDunningSignal,
  reminderDueSignal,
  reminderOutcomeSignal,
  resumeDunningSignal,
  withdrawReminderSignal,
  type CustomerAccountFacts,
  type CustomerAccountInput,
  type CustomerAccountState,
  type CustomerAccountView,
  type ReminderBatch,
  type ReminderOutcome,
} from './messages';

/** How many sent or dropped reminder keys an account remembers (a repeated hand-over comes within minutes). */
const SETTLED_KEYS = 500;
const RECENT_BATCHES = 20;

/**
 * One customer's account: every reminder of its invoices goes through it. Reminders falling due
 * close together go out as one email, at most one per minimum gap; final and legal notices go out
 * alone, on time; nothing goes out while dunning is paused. Each outcome is told to its invoice. The
 * account lives as long as the customer, continuing as new before its history grows large.
 */
export async function customerAccountWorkflow(input: CustomerAccountInput): Promise<void> {
  const { loadCustomerAccount } = proxyActivities<Activities>({
    startToCloseTimeout: '30 seconds',
    retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
  });
  const { sendCustomerReminders } = proxyActivities<Activities>({
    taskQueue: emailTaskQueue(workflowInfo().taskQueue),
    startToCloseTimeout: '1 minute',
    scheduleToCloseTimeout: '1 day',
    retry: { initialInterval: '2 seconds', maximumInterval: '10 minutes' },
  });

  let state: CustomerAccountState = input.resume ?? {
    customerId: input.customerId,
    pending: [],
    batchSeq: 0,
    lastSentAt: null,
    paused: null,
    recent: [],
    settled: [],
  };
  let facts: CustomerAccountFacts | null = null;
  let stale = true;
  let changes = 0;
  const settle = (keys: readonly string[]) => [...state.settled, ...keys].slice(-SETTLED_KEYS);

  setHandler(
    reminderDueSignal,
    (item: ReminderItem) => {
      if (state.pending.some((p) => p.key === item.key) || state.settled.includes(item.key)) return;
      state = { ...state, pending: [...state.pending, item] };
      changes++;
    },
    describe(reminderDueSignal),
  );
  // The invoice records the reminder as dropped itself; it is only taken out of the next email.
  setHandler(
    withdrawReminderSignal,
    ({ key }) => {
      if (!state.pending.some((p) => p.key === key)) return;
      state = { ...state, pending: state.pending.filter((p) => p.key !== key), settled: settle([key]) };
      changes++;
    },
    describe(withdrawReminderSignal),
  );
  setHandler(
    pauseDunningSignal,
    (pause) => {
      state = { ...state, paused: { ...pause, since: new Date().toISOString() } };
      changes++;
    },
    describe(pauseDunningSignal),
  );
  setHandler(
    resumeDunningSignal,
    () => {
      state = { ...state, paused: null };
      changes++;
    },
    describe(resumeDunningSignal),
  );
  setHandler(
    accountChangedSignal,
    () => {
      stale = true;
      changes++;
    },
    describe(accountChangedSignal),
  );
  // Since 'ops-visibility': the account's currency is a search attribute (OverdueCents is in it).
  const visible = patched('ops-visibility');
  const accountView = (): CustomerAccountView => {
    const next = facts && !state.paused ? nextSend(state.pending, state.lastSentAt, facts.settings) : null;
    return {
      customerId: state.customerId,
      pending: state.pending,
      nextContact: next
        ? { at: new Date(next.at).toISOString(), kind: next.kind, items: next.kind === 'alone' ? 1 : next.items.length }
        : null,
      cap: {
        groupingWindowMs: facts?.settings.groupingWindowMs ?? 0,
        minGapMs: facts?.settings.minGapMs ?? 0,
        lastSentAt: state.lastSentAt,
      },
      paused: state.paused,
      creditHold: facts?.creditHold ?? false,
      overdueCents: facts?.overdueCents ?? 0,
      currency: facts?.currency ?? '',
      recent: state.recent,
    };
  };
  setHandler(customerAccountQuery, accountView, describe(customerAccountQuery));

  let lastAttributes = '';
  function syncSearchAttributes(): void {
    // Not a command: kept current on every turn of the loop, also in histories from before 'ops-visibility'.
    setCurrentDetails(accountDetails(accountView(), facts?.timeZone ?? state.pending[0]?.timeZone ?? null));
    const values = {
      hold: facts?.creditHold ?? false,
      paused: state.paused !== null,
      overdue: facts?.overdueCents ?? 0,
      ...(visible && facts ? { currency: facts.currency } : {}),
    };
    const key = JSON.stringify(values);
    if (key === lastAttributes) return;
    lastAttributes = key;
    upsertSearchAttributes([
      { key: CreditHoldKey, value: values.hold },
      { key: DunningPausedKey, value: values.paused },
      { key: OverdueCentsKey, value: values.overdue },
      ...(values.currency ? [{ key: CurrencyKey, value: values.currency }] : []),
    ]);
  }

  /** Sends the next email, settles its reminders and tells each invoice what became of its own. */
  async function send(next: NextSend): Promise<void> {
    const items = next.kind === 'alone' ? [next.item] : next.items;
    // A reminder that goes out on its own keeps its invoice step's key; a grouped email is the account's next batch.
    const grouped = items.length > 1;
    const batchSeq = grouped ? state.batchSeq + 1 : state.batchSeq;
    const key = grouped ? `${workflowInfo().workflowId}/batch-${batchSeq}` : items[0]!.key;
    state = { ...state, batchSeq };
    let record: ReminderBatch;
    let outcomes: ReminderOutcome[];
    try {
      const r = await sendCustomerReminders({ customerId: state.customerId, key, items });
      const carried = items.filter((i) => r.included.includes(i.key));
      record = {
        key,
        at: new Date().toISOString(),
        template: carried.length > 0 ? mostSevere(carried) : null,
        items: carried.map((i) => ({ key: i.key, invoiceNumber: i.invoiceNumber, template: i.template })),
        dropped: r.dropped,
        outcome: r.outcome,
      };
      const batch = grouped ? key : null;
      outcomes = [
        ...carried.map((i): ReminderOutcome => ({ key: i.key, outcome: 'sent', batch })),
        ...r.dropped.map((d): ReminderOutcome => ({ key: d.key, outcome: 'dropped', batch: null, why: d.why })),
      ];
      if (r.outcome !== 'nothing_left') state = { ...state, lastSentAt: record.at };
    } catch (err) {
      if (!(err instanceof ActivityFailure)) throw err;
      // Refused for good (or past a day of retries): each invoice records the failure for a human.
      const error = err.cause?.message ?? err.message;
      record = { key, at: new Date().toISOString(), template: null, items: [], dropped: [], outcome: 'failed', error };
      outcomes = items.map((i) => ({ key: i.key, outcome: 'failed', batch: null, why: error }));
    }
    const done = items.map((i) => i.key);
    state = {
      ...state,
      pending: state.pending.filter((p) => !done.includes(p.key)),
      settled: settle(done),
      recent: [...state.recent, record].slice(-RECENT_BATCHES),
    };
    stale = true;
    // An invoice that has completed since no longer listens; its email log has the outcome.
    await Promise.all(
      outcomes.map(async (o) => {
        const invoice = items.find((i) => i.key === o.key)!.invoiceId;
        try {
          await getExternalWorkflowHandle(invoiceWorkflowId(invoice)).signal(reminderOutcomeSignal, o);
        } catch {
          // not running
        }
      }),
    );
  }

  for (;;) {
    if (stale) {
      stale = false;
      facts = await loadCustomerAccount({ customerId: state.customerId });
    }
    const now = Date.now();
    if (state.paused?.until && Date.parse(state.paused.until) <= now) state = { ...state, paused: null };
    syncSearchAttributes();
    const info = workflowInfo();
    if (info.continueAsNewSuggested || info.historyLength > ACCOUNT_HISTORY_BUDGET) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof customerAccountWorkflow>({ customerId: state.customerId, resume: state });
    }
    const seen = changes;
    // A busy account (repeated hand-overs change nothing) still wakes to continue as new in time.
    const wake = () =>
      changes !== seen || stale || workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > ACCOUNT_HISTORY_BUDGET;
    if (state.paused) {
      if (state.paused.until) await condition(wake, Math.max(1, Date.parse(state.paused.until) - now));
      else await condition(wake);
      continue;
    }
    const next = nextSend(state.pending, state.lastSentAt, facts!.settings);
    if (!next) await condition(wake);
    else if (next.at > now) await condition(wake, next.at - now);
    else await send(next);
  }
}
