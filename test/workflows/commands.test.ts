import { templatesSent as sentTo } from '../helpers/emails';
import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { insertPolicyVersion } from '../../src/db/policies';
import { localDate } from '../../src/domain/schedule';
import {
  invoiceStateQuery,
  openDisputeUpdate,
  paymentReceivedSignal,
  promiseToPayUpdate,
  recordPaymentUpdate,
  resolveDisputeUpdate,
  voidInvoiceUpdate,
} from '../../workflows/messages';
import { recordHistory } from '../helpers/histories';
import { eventually } from '../helpers/eventually';
import { invoiceFixture } from '../helpers/fixtures';
import { useStack } from '../helpers/stack';

// Commands are workflow updates with validators; they run against the real Temporal dev server on a
// seconds-scale policy (the time-skipping test server loses updates once its clock is controlled).
const stack = useStack('dev-server');

beforeAll(async () => {
  await insertPolicyVersion(stack.db.sql, {
    name: 'fast',
    steps: [
      { offset: '2s', template: 'reminder_overdue' },
      { offset: '4s', template: 'reminder_firm' },
      { offset: '6s', template: 'final_notice', finalNotice: true },
    ],
  });
});

const fixture = (o: Parameters<typeof invoiceFixture>[1] = {}) =>
  invoiceFixture(
    { sql: stack.db.sql, client: stack.env.client, taskQueue: stack.workers.taskQueue },
    { ...o, invoice: { policy: 'fast', dueIn: '1s', ...o.invoice } },
  );
const pay = (paymentId: string, amountCents: number, currency = 'USD') => ({ paymentId, amountCents, currency, actor: 'api' });
const templatesSent = (invoiceId: string) => sentTo(stack.db.sql, invoiceId);
/** Resolves once the wall clock (the dev server's) is past `iso`: for asserting what did not happen by then. */
const untilPast = (iso: string) => new Promise((r) => setTimeout(r, Math.max(0, Date.parse(iso) - Date.now()) + 250));

/** The coded reason of a refused update, or 'accepted'. */
async function refusal(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError) return (err.cause as { type?: string }).type ?? 'untyped';
    if (err instanceof WorkflowNotFoundError && /already completed/.test(err.message)) return 'completed';
    throw err;
  }
  return 'accepted';
}

it('pauses reminders while disputed and resumes, shifted by the pause, when resolved', async () => {
  const { invoice, handle } = await fixture();
  const opened = await handle.executeUpdate(openDisputeUpdate, { args: [{ actor: 'api', reason: 'customer disputes hours billed' }] });
  expect(opened).toMatchObject({ disputed: true, nextAction: { at: null, reason: 'disputed' } });
  expect(await refusal(handle.executeUpdate(openDisputeUpdate, { args: [{ actor: 'api' }] }))).toBe('ALREADY_DISPUTED');
  await eventually(async () => expect(await templatesSent(invoice.id)).toEqual(['invoice_issued']));
  await untilPast(opened.steps[1]!.sendAt); // the first two steps would have gone out by now
  expect(await templatesSent(invoice.id)).toEqual(['invoice_issued']);
  const resolved = await handle.executeUpdate(resolveDisputeUpdate, { args: [{ actor: 'api', reason: 'hours confirmed' }] });
  expect(resolved.disputed).toBe(false);
  expect(resolved.nextAction?.step).toEqual({ index: 0, template: 'reminder_overdue' });
  // The ladder resumes where it stopped, later by the time spent disputed.
  expect(Date.parse(resolved.nextAction!.at!) - Date.parse(resolved.dueAt)).toBeGreaterThanOrEqual(2_000 + 3_500);
  expect(await refusal(handle.executeUpdate(resolveDisputeUpdate, { args: [{ actor: 'api' }] }))).toBe('NOT_DISPUTED');
  const [row] = await stack.db.sql`SELECT disputed FROM invoices WHERE id = ${invoice.id}`;
  expect(row!.disputed).toBe(false);
  const audit = await stack.db
    .sql`SELECT action, actor, reason FROM audit_log WHERE entity_id = ${invoice.id} AND action LIKE 'invoice.dispute%' ORDER BY seq`;
  expect(audit).toEqual([
    { action: 'invoice.dispute_opened', actor: 'api', reason: 'customer disputes hours billed' },
    { action: 'invoice.dispute_resolved', actor: 'api', reason: 'hours confirmed' },
  ]);
  await eventually(async () => expect(await templatesSent(invoice.id)).toEqual(['invoice_issued', 'reminder_overdue']));
  await handle.signal(paymentReceivedSignal, pay('pi_after_dispute', 100_000));
  await handle.result();
  await recordHistory(handle, 'dispute-pause-resume');
});

it('a promise defers reminders until its date; paying keeps it', async () => {
  const { invoice, handle } = await fixture();
  expect(await refusal(handle.executeUpdate(promiseToPayUpdate, { args: [{ date: '2020-01-01', actor: 'api' }] }))).toBe(
    'INVALID_PROMISE_DATE',
  );
  expect(await refusal(handle.executeUpdate(promiseToPayUpdate, { args: [{ date: 'tomorrow', actor: 'api' }] }))).toBe('VALIDATION');
  const today = localDate(Date.now(), 'UTC');
  const promised = await handle.executeUpdate(promiseToPayUpdate, { args: [{ date: today, actor: 'api', reason: 'AP run on Friday' }] });
  expect(promised).toMatchObject({ promisedDate: today, nextAction: { reason: 'promise_deadline', step: { index: 0 } } });
  await untilPast(promised.steps[0]!.sendAt); // the first step is deferred past its time
  expect(await templatesSent(invoice.id)).toEqual(['invoice_issued']);
  await handle.signal(paymentReceivedSignal, pay('pi_kept', 100_000));
  const done = await handle.result();
  await recordHistory(handle, 'promise-kept');
  expect(done.status).toBe('paid');
  expect(done.timeline.map((e: { type: string }) => e.type)).toEqual(expect.arrayContaining(['promise_made', 'promise_kept', 'paid']));
  const [row] = await stack.db.sql`SELECT status, promised_date FROM invoices WHERE id = ${invoice.id}`;
  expect(row).toEqual({ status: 'paid', promised_date: null });
});

it('refuses to void a paid or partly paid invoice, and voids an unpaid one', async () => {
  const paid = await fixture({ totalCents: 10_000 });
  const partial = await paid.handle.executeUpdate(recordPaymentUpdate, { args: [pay('manual-1', 4_000)] });
  expect(partial.amountDueCents).toBe(6_000);
  expect(await refusal(paid.handle.executeUpdate(voidInvoiceUpdate, { args: [{ actor: 'api' }] }))).toBe('INVOICE_HAS_PAYMENTS');
  expect(await refusal(paid.handle.executeUpdate(recordPaymentUpdate, { args: [pay('manual-2', 6_000, 'EUR')] }))).toBe(
    'CURRENCY_MISMATCH',
  );
  expect(await refusal(paid.handle.executeUpdate(recordPaymentUpdate, { args: [pay('manual-1', 6_000)] }))).toBe('DUPLICATE_PAYMENT');
  expect(await refusal(paid.handle.executeUpdate(recordPaymentUpdate, { args: [pay('manual-3', 0)] }))).toBe('INVALID_AMOUNT');
  const settled = await paid.handle.executeUpdate(recordPaymentUpdate, { args: [pay('manual-2', 6_000)] });
  expect(settled.status).toBe('paid');
  expect((await paid.handle.result()).status).toBe('paid');
  await recordHistory(paid.handle, 'manual-payments-void-refused');
  // A paid invoice's workflow has completed; the API answers from Postgres (see test/http).
  expect(await refusal(paid.handle.executeUpdate(voidInvoiceUpdate, { args: [{ actor: 'api' }] }))).toBe('completed');

  const open = await fixture();
  const voided = await open.handle.executeUpdate(voidInvoiceUpdate, { args: [{ actor: 'api', reason: 'issued in error' }] });
  expect(voided.status).toBe('void');
  expect((await open.handle.result()).status).toBe('void');
  const [row] = await stack.db.sql`SELECT status, closed_at FROM invoices WHERE id = ${open.invoice.id}`;
  expect(row!.status).toBe('void');
  expect(row!.closed_at).toBeInstanceOf(Date);
  expect((await open.handle.query(invoiceStateQuery)).timeline).toContainEqual(
    expect.objectContaining({ type: 'voided', actor: 'api', reason: 'issued in error' }),
  );
});

it('limits email sending task-queue-wide (never more than the configured rate)', async () => {
  // Workers of their own on another task queue, limited to two emails per second. Temporal enforces the
  // rate as a long-run average: up to one email per task-queue partition (4 here) may go at once.
  const limited = await stack.moreWorkers({ emailRatePerSecond: 2 });
  const invoices = await Promise.all(
    Array.from({ length: 8 }, () =>
      invoiceFixture(
        { sql: stack.db.sql, client: stack.env.client, taskQueue: limited.taskQueue },
        { invoice: { policy: 'fast', dueIn: '1h' } },
      ),
    ),
  );
  const ids = invoices.map((i) => i.invoice.id);
  await eventually(async () => {
    expect(await stack.db.sql`SELECT 1 FROM email_log WHERE invoice_id IN ${stack.db.sql(ids)}`).toHaveLength(8);
  }, 20_000);
  // When the server handed each email to a worker (the rate limiter's decision), from the histories.
  const sent: number[] = [];
  for (const { handle } of invoices) {
    const { events } = await handle.fetchHistory();
    const emailScheduled = new Set(
      (events ?? [])
        .filter((e) => String(e.activityTaskScheduledEventAttributes?.taskQueue?.name).endsWith('-email'))
        .map((e) => String(e.eventId)),
    );
    for (const e of events ?? []) {
      if (e.activityTaskStartedEventAttributes && emailScheduled.has(String(e.activityTaskStartedEventAttributes.scheduledEventId))) {
        sent.push(Number(e.eventTime!.seconds) * 1000 + Math.floor((e.eventTime!.nanos ?? 0) / 1e6));
      }
    }
  }
  sent.sort((a, b) => a - b);
  expect(sent).toHaveLength(8);
  // In any one-second window at most the rate plus the initial burst; unlimited, all 8 go at once.
  for (const start of sent) expect(sent.filter((t) => t >= start && t < start + 1000).length).toBeLessThanOrEqual(2 + 4);
  expect(sent[7]! - sent[0]!).toBeGreaterThanOrEqual(1500);
});
