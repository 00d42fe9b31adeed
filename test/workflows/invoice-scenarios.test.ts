import { listEmails } from '../../src/db/email-log';
import { invoiceStateQuery, paymentReceivedSignal, type InvoiceView } from '../../workflows/messages';
import { recordHistory } from '../helpers/histories';
import { eventually } from '../helpers/eventually';
import { invoiceFixture } from '../helpers/fixtures';
import { useStack } from '../helpers/stack';
import { startWorkers } from '../helpers/temporal';

// Signal-driven ladders under the time-skipping server; update-driven commands run on the real
// dev server in commands.test.ts (the Java test server loses updates once time skipping is locked).
const stack = useStack('time-skipping');

const fixture = (o: Parameters<typeof invoiceFixture>[1] = {}) => invoiceFixture({ sql: stack.db.sql, client: stack.env.client, taskQueue: stack.workers.taskQueue }, o);
const pay = (paymentId: string, amountCents: number, currency = 'USD') => ({ paymentId, amountCents, currency, actor: 'gateway:test' });
const templatesSent = async (invoiceId: string) => (await listEmails(stack.db.sql, { invoiceId, limit: 100 })).map((e) => e.template);
/**
 * Skips time to a minute past step `index` (as the invoice's own schedule says), so that a test does
 * not depend on the weekday or the hour it runs at (day offsets act at 09:00 on the customer's day).
 */
async function sleepPast(handle: { query: (q: typeof invoiceStateQuery) => Promise<InvoiceView> }, index: number): Promise<void> {
  const step = (await handle.query(invoiceStateQuery)).steps[index]!;
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
  expect(payments).toEqual([{ id: 'pi_partial', amount_cents: 40_000, status: 'applied' }, { id: 'pi_rest', amount_cents: 60_000, status: 'applied' }]);
  const [row] = await stack.db.sql`SELECT status, paid_cents, amount_due_cents, paid_at FROM invoices WHERE id = ${invoice.id}`;
  expect(row).toMatchObject({ status: 'paid', paid_cents: 100_000, amount_due_cents: 0 });
  expect(row!.paid_at).toBeInstanceOf(Date);
});

it('records an overpayment as customer credit', async () => {
  const { customer, invoice, handle } = await fixture({ totalCents: 50_000 });
  await handle.signal(paymentReceivedSignal, pay('pi_over', 65_000));
  expect(await handle.result()).toMatchObject({ status: 'paid', amountDueCents: 0 });
  const credits = await stack.db.sql`SELECT customer_id, invoice_id, amount_cents, currency FROM customer_credits WHERE payment_id = 'pi_over'`;
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
