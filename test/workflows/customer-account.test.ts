import { insertPolicyVersion } from '../../src/db/policies';
import { createCustomer, createCustomerSchema } from '../../src/services/create-customer';
import { createInvoice } from '../../src/services/create-invoice';
import { signalCustomerAccount } from '../../src/temporal/customer-account';
import { customerWorkflowId } from '../../src/temporal/search-attributes';
import {
  customerAccountQuery,
  invoiceStateQuery,
  pauseDunningSignal,
  paymentReceivedSignal,
  reminderDueSignal,
  resumeDunningSignal,
  type InvoiceView,
} from '../../workflows/messages';
import { createResendMailer, type Mailer } from '../../src/email/mailer';
import { eventually } from '../helpers/eventually';
import { startResendContract } from '../helpers/recorder';
import { recordHistory } from '../helpers/histories';
import { useStack } from '../helpers/stack';

// A customer's reminders go through its account workflow: grouped, capped, sent alone when the step
// says so, never while paused. Under the time-skipping server, whole ladders in seconds.
const stack = useStack('time-skipping');

const HOUR = 3_600_000;
const sql = () => stack.db.sql;
const envNow = async () => new Date(await stack.env.currentTimeMs());

beforeAll(async () => {
  // Sub-day offsets act at the due instant: the tests place each reminder to the second.
  await insertPolicyVersion(sql(), { name: 'one-reminder', steps: [{ offset: '1h', template: 'reminder_overdue' }] });
  await insertPolicyVersion(sql(), { name: 'firm-reminder', steps: [{ offset: '1h', template: 'reminder_firm' }] });
  await insertPolicyVersion(sql(), {
    name: 'reminder-then-final',
    steps: [
      { offset: '1h', template: 'reminder_overdue' },
      { offset: '2h', template: 'final_notice', finalNotice: true },
    ],
  });
});

async function customer(o: { groupingWindow?: string; minGap?: string; contacts?: unknown[] } = {}) {
  return createCustomer(
    sql(),
    createCustomerSchema.parse({
      name: 'Umbrella Corp',
      email: 'ap@umbrella.test',
      timeZone: 'UTC',
      currency: 'USD',
      reminders: { groupingWindow: o.groupingWindow ?? '1h', minGap: o.minGap ?? '2d' },
      ...(o.contacts ? { contacts: o.contacts } : {}),
    }),
    'test',
  );
}

/** An invoice due `dueInMs` after the test server's clock, on `policy`. */
async function invoice(customerId: string, dueInMs: number, policy = 'one-reminder', cents = 10_000, taskQueue = stack.workers.taskQueue) {
  const now = await envNow();
  const { invoice } = await createInvoice(
    {
      sql: sql(),
      client: stack.env.client,
      taskQueue,
      now: () => now,
      onStartFailure: (e) => {
        throw e;
      },
    },
    {
      customerId,
      policy,
      dueIn: `${Math.round(dueInMs / 1000)}s`,
      lines: [{ description: 'Service', quantity: 1, unitAmountCents: cents }],
    },
    { actor: 'test' },
  );
  return { invoice, handle: stack.env.client.workflow.getHandle<() => Promise<InvoiceView>>(invoice.workflowId) };
}

const reminderEmails = (customerId: string) =>
  sql()<{ key: string; template: string; subject: string; text: string; items: string[]; attachments: unknown[] }[]>`
    SELECT e.idempotency_key AS key, e.template, e.subject, e.text, e.attachments,
           coalesce(array_agg(i.item_key ORDER BY i.item_key) FILTER (WHERE i.item_key IS NOT NULL), '{}') AS items
    FROM email_log e LEFT JOIN email_log_items i ON i.idempotency_key = e.idempotency_key
    WHERE e.customer_id = ${customerId} AND e.template <> 'invoice_issued'
    GROUP BY e.idempotency_key ORDER BY e.created_at`;
const account = (customerId: string) => stack.env.client.workflow.getHandle(customerWorkflowId(customerId));
const sleepUntil = async (at: number) => stack.env.sleep(Math.max(1, at - (await stack.env.currentTimeMs())));

it('12 invoices whose reminders fall due the same morning get one email listing all 12', async () => {
  const c = await customer();
  const start = await stack.env.currentTimeMs();
  const invoices = await Promise.all(Array.from({ length: 12 }, (_, i) => invoice(c.id, HOUR + i * 60_000)));
  // The reminders fall due from start + 2h to 2h11m; the batch closes an hour after the first.
  await sleepUntil(start + 3 * HOUR + 5 * 60_000);
  const emails = await eventually(async () => {
    const e = await reminderEmails(c.id);
    expect(e).toHaveLength(1);
    return e;
  });
  expect(emails[0]!.key).toBe(`customer-${c.id}/batch-1`);
  expect(emails[0]!.items).toHaveLength(12);
  expect(emails[0]!.subject).toBe('12 invoices are overdue');
  for (const { invoice: inv } of invoices) expect(emails[0]!.text).toContain(inv.number);
  expect(emails[0]!.text).toContain('Pay everything at once');

  const view = await invoices[0]!.handle.query(invoiceStateQuery);
  expect(view).toMatchObject({ customerAccount: `customer-${c.id}`, queuedReminders: [] });
  expect(view.timeline.filter((e) => e.type === 'email_sent' && e.stepIndex === 0)).toMatchObject([{ batch: `customer-${c.id}/batch-1` }]);
  const state = await account(c.id).query(customerAccountQuery);
  expect(state).toMatchObject({ pending: [], recent: [{ key: `customer-${c.id}/batch-1`, outcome: 'sent' }] });
  expect(state.recent[0]!.items).toHaveLength(12);
  await recordHistory(account(c.id), 'customer-account-grouped');
});

it('groups reminders 3 hours apart within a 4-hour window, and sends two with a 1-hour window and no gap', async () => {
  const wide = await customer({ groupingWindow: '4h', minGap: '0s' });
  const narrow = await customer({ groupingWindow: '1h', minGap: '0s' });
  const start = await stack.env.currentTimeMs();
  for (const c of [wide, narrow]) {
    await invoice(c.id, 0);
    await invoice(c.id, 3 * HOUR);
  }
  await sleepUntil(start + 6 * HOUR);
  await eventually(async () => {
    expect((await reminderEmails(wide.id)).map((e) => e.items.length)).toEqual([2]);
    expect((await reminderEmails(narrow.id)).map((e) => e.items.length)).toEqual([1, 1]);
  });
});

it('a minimum gap defers the next email and merges what falls due meanwhile', async () => {
  const c = await customer({ groupingWindow: '1h', minGap: '1d' });
  const start = await stack.env.currentTimeMs();
  await invoice(c.id, 0); // reminder at +1h, sent at +2h
  await invoice(c.id, 4 * HOUR); // reminder at +5h: waits for the gap (+26h)
  await invoice(c.id, 10 * HOUR); // reminder at +11h: joins it
  await sleepUntil(start + 12 * HOUR);
  await eventually(async () => expect((await reminderEmails(c.id)).map((e) => e.items.length)).toEqual([1]));
  const planned = await account(c.id).query(customerAccountQuery);
  expect(planned.nextContact).toMatchObject({ kind: 'batch', items: 2 });
  expect(Date.parse(planned.nextContact!.at)).toBe(Date.parse(planned.cap.lastSentAt!) + 24 * HOUR);
  await sleepUntil(start + 27 * HOUR);
  await eventually(async () => expect((await reminderEmails(c.id)).map((e) => e.items.length)).toEqual([1, 2]));
});

it('a final notice goes out alone, on time, with its PDF, outside grouping and the gap', async () => {
  const c = await customer({ groupingWindow: '1h', minGap: '2d' });
  const start = await stack.env.currentTimeMs();
  const { invoice: inv } = await invoice(c.id, 0, 'reminder-then-final');
  await sleepUntil(start + 2 * HOUR + 5 * 60_000);
  const emails = await eventually(async () => {
    const e = await reminderEmails(c.id);
    expect(e.map((x) => x.template)).toEqual(['reminder_overdue', 'final_notice']);
    return e;
  });
  // The reminder (due +1h) waited for its window to close at +2h; the final notice (due +2h) went at once.
  expect(emails[1]!.key).toBe(`invoice-${inv.id}/step-1`);
  expect(emails[1]!.attachments).toMatchObject([{ filename: `${inv.number}.pdf` }]);
});

it('drops the reminder of an invoice paid before its batch goes out', async () => {
  const c = await customer();
  const start = await stack.env.currentTimeMs();
  const paid = await invoice(c.id, 0);
  const open = await invoice(c.id, 0);
  await sleepUntil(start + HOUR + 10 * 60_000); // both reminders wait in the account
  await eventually(async () => expect((await account(c.id).query(customerAccountQuery)).pending).toHaveLength(2));
  await paid.handle.signal(paymentReceivedSignal, { paymentId: 'pi_before_batch', amountCents: 10_000, currency: 'USD', actor: 'test' });
  await paid.handle.result();
  await sleepUntil(start + 3 * HOUR);
  const emails = await eventually(async () => {
    const e = await reminderEmails(c.id);
    expect(e).toHaveLength(1);
    return e;
  });
  expect(emails[0]!.items).toEqual([`invoice-${open.invoice.id}/step-0`]);
  const timeline = (await paid.handle.query(invoiceStateQuery)).timeline;
  expect(timeline.filter((e) => e.type === 'reminder_dropped')).toMatchObject([{ why: 'the invoice is paid' }]);
  expect(timeline.some((e) => e.type === 'email_sent' && e.stepIndex !== null)).toBe(false);
});

it('continues as new with a reminder waiting, and sends it once, on time', async () => {
  const c = await customer({ groupingWindow: '2h', minGap: '0s' });
  const start = await stack.env.currentTimeMs();
  const { invoice: inv } = await invoice(c.id, 0);
  await sleepUntil(start + HOUR + 10 * 60_000); // the reminder waits for its window (closes at +3h)
  const pending = await eventually(async () => {
    const p = (await account(c.id).query(customerAccountQuery)).pending;
    expect(p).toHaveLength(1);
    return p[0]!;
  });
  const firstRun = (await account(c.id).describe()).runId;
  // The same reminder handed over again and again (a retried activity): recognised each time.
  let next = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next++ < 2_500) await account(c.id).signal(reminderDueSignal, pending);
    }),
  );
  await eventually(async () => expect((await account(c.id).describe()).runId).not.toBe(firstRun));
  const first = await stack.env.client.workflow.getHandle(customerWorkflowId(c.id), firstRun).describe();
  expect(first.status.name).toBe('CONTINUED_AS_NEW');
  expect(first.historyLength).toBeLessThan(2 * 2_000);
  expect((await account(c.id).query(customerAccountQuery)).pending.map((p) => p.key)).toEqual([pending.key]);
  await sleepUntil(start + 4 * HOUR);
  await eventually(async () => expect((await reminderEmails(c.id)).map((e) => e.key)).toEqual([`invoice-${inv.id}/step-0`]));
});

it('sends nothing while dunning is paused, and one email for everything once resumed', async () => {
  const c = await customer({ groupingWindow: '1h', minGap: '0s' });
  const start = await stack.env.currentTimeMs();
  await invoice(c.id, 0);
  await invoice(c.id, 0);
  await signalCustomerAccount(stack.env.client, { taskQueue: stack.workers.taskQueue, customerId: c.id }, pauseDunningSignal, {
    until: null,
    reason: 'customer in restructuring talks',
    actor: 'test',
  });
  await invoice(c.id, 5 * HOUR, 'reminder-then-final');
  await sleepUntil(start + 10 * HOUR);
  expect(await reminderEmails(c.id)).toEqual([]);
  const paused = await account(c.id).query(customerAccountQuery);
  expect(paused).toMatchObject({ paused: { reason: 'customer in restructuring talks' }, nextContact: null });
  expect(paused.pending.map((p) => p.template).sort()).toEqual([
    'final_notice',
    'reminder_overdue',
    'reminder_overdue',
    'reminder_overdue',
  ]);

  await account(c.id).signal(resumeDunningSignal, { actor: 'test' });
  await sleepUntil((await stack.env.currentTimeMs()) + 2 * HOUR);
  // The final notice alone, then the three reminders caught up in one email.
  await eventually(async () =>
    expect((await reminderEmails(c.id)).map((e) => [e.template, e.items.length])).toEqual([
      ['final_notice', 1],
      ['reminder_overdue', 3],
    ]),
  );
});

it('copies the escalation contact on a grouped email only once its most severe reminder reaches their stage', async () => {
  const c = await customer({
    groupingWindow: '1h',
    minGap: '0s',
    contacts: [
      { email: 'controller@umbrella.test', role: 'cc' },
      { email: 'cfo@umbrella.test', role: 'escalation', escalateFrom: 'reminder_firm' },
    ],
  });
  const start = await stack.env.currentTimeMs();
  await invoice(c.id, 0);
  await invoice(c.id, 0);
  await invoice(c.id, 5 * HOUR, 'firm-reminder');
  await invoice(c.id, 5 * HOUR);
  await sleepUntil(start + 8 * HOUR);
  const emails = await eventually(async () => {
    const rows = await sql()<{ template: string; recipients: { to: string[]; cc: string[] } }[]>`
      SELECT template, recipients FROM email_log WHERE customer_id = ${c.id} AND idempotency_key LIKE '%/batch-%' ORDER BY created_at`;
    expect(rows).toHaveLength(2);
    return rows;
  });
  expect(emails).toEqual([
    { template: 'reminder_overdue', recipients: { to: ['ap@umbrella.test'], cc: ['controller@umbrella.test'] } },
    { template: 'reminder_firm', recipients: { to: ['ap@umbrella.test'], cc: ['controller@umbrella.test', 'cfo@umbrella.test'] } },
  ]);
});

let crashProvider: Awaited<ReturnType<typeof startResendContract>> | undefined;
afterAll(() => crashProvider?.close());

it('a worker shut down after the provider took a grouped email, before it was logged: the next worker sends it once, with every invoice', async () => {
  const provider = (crashProvider = await startResendContract());
  const resend = createResendMailer('re_test_key', provider.url);
  let killed!: () => void;
  const lost = new Promise<void>((resolve) => (killed = resolve));
  let dying = true;
  const dyingMailer: Mailer = {
    transport: resend.transport,
    async deliver(email) {
      const result = await resend.deliver(email);
      if (dying && email.idempotencyKey.includes('/batch-')) {
        dying = false;
        killed();
        throw new Error('worker lost after delivery');
      }
      return result;
    },
  };
  // Workers of their own, so that this customer's account and invoices live and die with them. Without a
  // cache they hold no sticky queue, so nothing waits out its timeout once they are gone.
  const first = await stack.moreWorkers({ mailer: dyingMailer, maxCachedWorkflows: 0 });
  const c = await customer({ groupingWindow: '1h', minGap: '0s' });
  const start = await stack.env.currentTimeMs();
  const invoices = await Promise.all([
    invoice(c.id, 0, 'one-reminder', 10_000, first.taskQueue),
    invoice(c.id, 0, 'one-reminder', 10_000, first.taskQueue),
    invoice(c.id, 60_000, 'one-reminder', 10_000, first.taskQueue),
  ]);
  await sleepUntil(start + 2 * HOUR + 5 * 60_000);
  await lost;
  // The worker goes away with the attempt; a new one (empty caches, replaying from history) retries it.
  await first.stop();
  await stack.moreWorkers({ taskQueue: first.taskQueue, mailer: resend });
  const logged = await eventually(async () => {
    const e = await reminderEmails(c.id);
    expect(e).toHaveLength(1);
    return e[0]!;
  }, 30_000);
  expect(logged.key).toBe(`customer-${c.id}/batch-1`);
  expect(logged.items).toHaveLength(3);
  // Both attempts carried the same key and bytes; the provider recognised the second.
  const batchAttempts = provider.requests.filter((r) => String(r.headers['idempotency-key']).includes('/batch-'));
  expect(batchAttempts.map((r) => r.headers['idempotency-key'])).toEqual([logged.key, logged.key]);
  expect(batchAttempts[1]!.raw).toBe(batchAttempts[0]!.raw);
  // Each invoice recorded its reminder as sent in that batch, once.
  await eventually(async () => {
    const sent = await sql()<{ invoiceId: string; batch: string }[]>`
      SELECT entity_id AS "invoiceId", data ->> 'batch' AS batch FROM audit_log
      WHERE action = 'invoice.email_sent' AND data ->> 'batch' IS NOT NULL AND entity_id = ANY(${invoices.map((i) => i.invoice.id)})`;
    expect(sent.map((r) => [r.invoiceId, r.batch]).sort()).toEqual(invoices.map((i) => [i.invoice.id, logged.key]).sort());
  }, 30_000);
}, 120_000);
