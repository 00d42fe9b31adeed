import { templatesSent as sentTo } from '../helpers/emails';
import { countAttention, listAttention } from '../../src/db/attention';
import { listEmails } from '../../src/db/email-log';
import { insertPolicyVersion } from '../../src/db/policies';
import { invoiceStateQuery, paymentReceivedSignal, type InvoiceView } from '../../workflows/messages';
import { recordHistory } from '../helpers/histories';
import { eventually } from '../helpers/eventually';
import { invoiceFixture } from '../helpers/fixtures';
import { useStack } from '../helpers/stack';
import { startWorkers } from '../helpers/temporal';

// Signal-driven ladders under the time-skipping server; update-driven commands run on the real
// dev server in commands.test.ts (the Java test server loses updates once time skipping is locked).
const stack = useStack('time-skipping');

const fixture = (o: Parameters<typeof invoiceFixture>[1] = {}) =>
  invoiceFixture({ sql: stack.db.sql, client: stack.env.client, taskQueue: stack.workers.taskQueue }, o);
const pay = (paymentId: string, amountCents: number, currency = 'USD') => ({ paymentId, amountCents, currency, actor: 'gateway:test' });
const templatesSent = (invoiceId: string) => sentTo(stack.db.sql, invoiceId);
/**
 * Skips time to a minute past step `index` (as the invoice's own schedule says), so that a test does
 * not depend on the weekday or the hour it runs at (day offsets act at 09:00 on the customer's day).
 */
async function sleepPast(handle: { query: (q: typeof invoiceStateQuery) => Promise<InvoiceView> }, index: number): Promise<void> {
  const step = (await handle.query(invoiceStateQuery)).steps.find((s) => s.index === index)!;
  await stack.env.sleep(Math.max(0, Date.parse(step.sendAt) - (await stack.env.currentTimeMs())) + 60_000);
}

it('partial then full payment: dunning continues on the rest, then completes', async () => {
  const { invoice, handle } = await fixture({ totalCents: 100_000 });
  await sleepPast(handle, 1); // past due; 0d reminder sent
  await handle.signal(paymentReceivedSignal, pay('pi_partial', 40_000));
  await sleepPast(handle, 2); // the 7d reminder still goes out, for the rest
  const mid = await handle.query(invoiceStateQuery);
  expect(mid).toMatchObject({ status: 'open', amountPaidCents: 40_000, amountDueCents: 60_000, dunningStage: 'reminder_overdue' });
  await handle.signal(paymentReceivedSignal, pay('pi_rest', 60_000));
  const done: InvoiceView = await handle.result();
  await recordHistory(handle, 'partial-then-full-payment');
  expect(done).toMatchObject({ status: 'paid', amountDueCents: 0, amountPaidCents: 100_000, feesCents: 0 });
  expect(await templatesSent(invoice.id)).toEqual(['invoice_issued', 'reminder_upcoming', 'reminder_due_today', 'reminder_overdue']);
  const payments = await stack.db.sql`SELECT id, amount_cents, status FROM payments WHERE invoice_id = ${invoice.id} ORDER BY amount_cents`;
  expect(payments).toEqual([
    { id: 'pi_partial', amount_cents: 40_000, status: 'applied' },
    { id: 'pi_rest', amount_cents: 60_000, status: 'applied' },
  ]);
  const [row] = await stack.db.sql`SELECT status, paid_cents, amount_due_cents, paid_at FROM invoices WHERE id = ${invoice.id}`;
  expect(row).toMatchObject({ status: 'paid', paid_cents: 100_000, amount_due_cents: 0 });
  expect(row!.paid_at).toBeInstanceOf(Date);
});

it('records an overpayment as customer credit', async () => {
  const { customer, invoice, handle } = await fixture({ totalCents: 50_000 });
  await handle.signal(paymentReceivedSignal, pay('pi_over', 65_000));
  expect(await handle.result()).toMatchObject({ status: 'paid', amountDueCents: 0 });
  const credits = await stack.db
    .sql`SELECT customer_id, invoice_id, amount_cents, currency FROM customer_credits WHERE payment_id = 'pi_over'`;
  expect(credits).toEqual([{ customer_id: customer.id, invoice_id: invoice.id, amount_cents: 15_000, currency: 'USD' }]);
});

it('applies a payment id at most once, even when signalled twice', async () => {
  const { invoice, handle } = await fixture({ totalCents: 100_000 });
  await handle.signal(paymentReceivedSignal, pay('pi_dup', 30_000));
  await handle.signal(paymentReceivedSignal, pay('pi_dup', 30_000));
  const state = await handle.query(invoiceStateQuery);
  expect(state.amountDueCents).toBe(70_000);
  await eventually(async () => {
    const rows = await stack.db.sql`SELECT id, amount_cents FROM payments WHERE invoice_id = ${invoice.id}`;
    expect(rows).toEqual([{ id: 'pi_dup', amount_cents: 30_000 }]);
  });
});

it('catches up after an outage: no burst of stale reminders, each fee once', async () => {
  const { invoice, handle } = await fixture({ totalCents: 200_000 });
  await stack.env.sleep('1 hour');
  await stack.workers.stop(); // the engine goes down for 80 days, past the 45-day hand-off…
  await stack.env.sleep('80 days');
  stack.workers = await startWorkers(stack.env, stack.db.sql, { taskQueue: stack.workers.taskQueue }); // …and comes back
  const done: InvoiceView = await handle.result();
  await recordHistory(handle, 'catch-up-after-outage');
  expect(done.status).toBe('uncollectible');
  // One email for the latest due step (hand-off) instead of six stale ones; the 14d fee charged once.
  expect(await templatesSent(invoice.id)).toEqual(['invoice_issued', 'handoff_notice']);
  expect(done.feesCents).toBe(3000);
  expect(done.steps.map((s) => s.status)).toEqual(['skipped', 'skipped', 'skipped', 'skipped', 'skipped', 'done']);
  expect(done.creditHold).toBe(true);
  const fees = await stack.db.sql`SELECT count(*)::int AS n FROM late_fees WHERE invoice_id = ${invoice.id}`;
  expect(fees[0]!.n).toBe(1);
});

it("a policy step's credit hold clears itself once the customer pays, and stays while a handed-off debt is owed", async () => {
  await insertPolicyVersion(stack.db.sql, {
    name: 'hold-early',
    steps: [
      { offset: '1d', template: 'final_notice', finalNotice: true, creditHold: true },
      { offset: '30d', template: 'handoff_notice', handOff: true },
    ],
  });
  // Due 30 days after the test server's clock (earlier tests moved it ahead of the host's).
  const dueIn = `${Math.ceil(((await stack.env.currentTimeMs()) - Date.now()) / 86_400_000) + 30}d`;
  const { customer, handle } = await fixture({ totalCents: 50_000, invoice: { policy: 'hold-early', dueIn } });
  await sleepPast(handle, 0);
  const held = async () => (await stack.db.sql`SELECT credit_hold_source FROM customers WHERE id = ${customer.id}`)[0]!.credit_hold_source;
  await eventually(async () => expect(await held()).toBe('policy'));
  await handle.signal(paymentReceivedSignal, pay('pi_hold', 50_000));
  await handle.result();
  await eventually(async () => expect(await held()).toBeNull());
  const actions = await stack.db
    .sql`SELECT action, actor FROM audit_log WHERE entity_id = ${customer.id} AND action LIKE 'customer.credit%' ORDER BY id`;
  expect(actions).toEqual([
    { action: 'customer.credit_hold_placed', actor: 'workflow' },
    { action: 'customer.credit_hold_released', actor: 'gateway:test' },
  ]);

  // A customer whose debt went to collections stays held, whatever else it pays.
  const other = await fixture({ totalCents: 50_000, invoice: { policy: 'hold-early', dueIn } });
  expect((await other.handle.result()).status).toBe('uncollectible');
  const [row] = await stack.db.sql`SELECT credit_hold_source FROM customers WHERE id = ${other.customer.id}`;
  expect(row!.credit_hold_source).toBe('policy');
});

it('moves the Overdue attribute from bucket to bucket as days pass, with no event in between', async () => {
  await insertPolicyVersion(stack.db.sql, { name: 'late-only', steps: [{ offset: '75d', template: 'reminder_overdue' }] });
  // Due two days from the test server's clock (earlier tests moved it on), in a zone far from UTC.
  const dueIn = `${Math.ceil(((await stack.env.currentTimeMs()) - Date.now()) / 86_400_000) + 2}d`;
  const { handle } = await fixture({
    totalCents: 10_000,
    customer: { timeZone: 'Pacific/Auckland' },
    invoice: { policy: 'late-only', dueIn },
  });
  const overdue = async () => (await handle.describe()).searchAttributes.Overdue;
  await eventually(async () => expect(await overdue()).toEqual(['current']));
  const due = Date.parse((await handle.query(invoiceStateQuery)).dueAt);
  const skipTo = async (ms: number) => stack.env.sleep(Math.max(0, ms - (await stack.env.currentTimeMs())));
  await skipTo(due + 2 * 86_400_000);
  await eventually(async () => expect(await overdue()).toEqual(['1-30']));
  await skipTo(due + 32 * 86_400_000);
  await eventually(async () => expect(await overdue()).toEqual(['31-60']));
  const events = (await handle.query(invoiceStateQuery)).timeline.map((e) => e.type);
  expect(events).toEqual(['issued', 'email_sent']);
  await handle.signal(paymentReceivedSignal, pay('pi_aging', 10_000));
  await handle.result();
  // Removed once closed (the test server keeps a null in its place).
  expect(((await handle.describe()).searchAttributes.Overdue ?? []).filter((v) => v !== null)).toEqual([]);
  await recordHistory(handle, 'aging-buckets');
});

describe('past the last step', () => {
  beforeAll(async () => {
    await insertPolicyVersion(stack.db.sql, {
      name: 'endless',
      steps: [
        { offset: '0d', template: 'reminder_due_today' },
        { offset: '7d', template: 'reminder_overdue' },
      ],
      repeatEvery: '7d',
    });
    await insertPolicyVersion(stack.db.sql, { name: 'short', steps: [{ offset: '0d', template: 'reminder_due_today' }] });
  });

  it('repeats the last reminder every week, each repetition once, until paid', async () => {
    // Due 30 days from the test server's clock (earlier tests moved it on).
    const dueIn = `${Math.ceil(((await stack.env.currentTimeMs()) - Date.now()) / 86_400_000) + 30}d`;
    const { invoice, handle } = await fixture({ totalCents: 10_000, invoice: { policy: 'endless', dueIn } });
    for (const index of [1, 2, 3]) await sleepPast(handle, index); // the step at 7d, then repetitions 1 (14d) and 2 (21d)
    const keys = async () =>
      (await listEmails(stack.db.sql, { invoiceId: invoice.id, limit: 100 })).map((e) => e.idempotencyKey.split('/')[1]);
    await eventually(async () => expect(await keys()).toEqual(['issue', 'step-0', 'step-1', 'step-2', 'step-3']));
    expect(await templatesSent(invoice.id)).toEqual([
      'invoice_issued',
      'reminder_due_today',
      'reminder_overdue',
      'reminder_overdue',
      'reminder_overdue',
    ]);
    const view = await handle.query(invoiceStateQuery);
    expect(view.nextAction).toMatchObject({ reason: 'step', step: { index: 4, template: 'reminder_overdue', repetition: 3 } });
    expect(view.needsAttention).toEqual([]);

    // Five more weeks: one email per repetition, each under its own key, none twice.
    await stack.env.sleep('35 days');
    await eventually(async () => expect(await keys()).toEqual(['issue', ...[0, 1, 2, 3, 4, 5, 6, 7, 8].map((i) => `step-${i}`)]));
    const after = await handle.query(invoiceStateQuery);
    expect(after.timeline.filter((e) => e.type === 'step_performed').at(-1)).toMatchObject({ stepIndex: 8, repetition: 7, catchUp: false });
    expect(after.feesCents).toBe(0);

    await handle.signal(paymentReceivedSignal, pay('pi_endless', 10_000));
    expect(await handle.result()).toMatchObject({ status: 'paid', nextAction: null });
    await recordHistory(handle, 'endless-repetitions');
  }, 240_000);

  it('says why nothing is scheduled once the ladder is over, and lists the invoice for a human until it is paid', async () => {
    const { invoice, handle } = await fixture({ totalCents: 10_000, invoice: { policy: 'short' } });
    await sleepPast(handle, 0);
    const view = await eventually(async () => {
      const v = await handle.query(invoiceStateQuery);
      expect(v.needsAttention).toEqual(['parked']);
      return v;
    });
    expect(view).toMatchObject({
      status: 'open',
      dunningStage: 'reminder_due_today',
      nextAction: { at: null, step: null, reason: 'ladder_finished' },
    });
    await eventually(async () => expect((await handle.describe()).searchAttributes.NeedsAttention).toEqual(['parked']));
    const items = await eventually(async () => {
      const list = await listAttention(stack.db.sql, 100);
      expect(list.filter((i) => i.invoiceId === invoice.id)).toHaveLength(1);
      return list;
    });
    expect(items.find((i) => i.invoiceId === invoice.id)).toMatchObject({
      kind: 'parked',
      reason: 'ladder_finished',
      amountCents: 10_000,
      currency: 'USD',
      number: invoice.number,
    });
    // The needs-attention gauge counts it too.
    expect((await countAttention(stack.db.sql)).find((c) => c.kind === 'parked')?.n).toBeGreaterThanOrEqual(1);

    await handle.signal(paymentReceivedSignal, pay('pi_parked', 10_000));
    await handle.result();
    await recordHistory(handle, 'parked-until-paid');
    expect((await listAttention(stack.db.sql, 100)).filter((i) => i.invoiceId === invoice.id)).toEqual([]);
    expect((await handle.describe()).searchAttributes.NeedsAttention ?? []).not.toContain('parked');
  });
});
