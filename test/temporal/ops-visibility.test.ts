import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { insertPolicyVersion } from '../../src/db/policies';
import { addDays, localDate } from '../../src/domain/schedule';
import { createCustomerSchema, createImportedCustomer } from '../../src/services/create-customer';
import { importInvoice, importInvoiceSchema } from '../../src/services/import-records';
import { savedViews } from '../../src/temporal/saved-views';
import { reopenWithRefund } from '../../src/temporal/start-invoice';
import {
  invoiceStateQuery,
  migratePolicyUpdate,
  openDisputeUpdate,
  paymentReceivedSignal,
  promiseToPayUpdate,
  recordPaymentUpdate,
  resolveDisputeUpdate,
} from '../../workflows/messages';
import { startApi, TEST_TOKEN } from '../helpers/api';
import { eventually } from '../helpers/eventually';
import { invoiceFixture } from '../helpers/fixtures';
import { useStack } from '../helpers/stack';

// What an ops engineer sees in the Temporal UI: current details, search attributes, handler
// descriptions and the README's saved views, on the real dev server (its visibility store).
const stack = useStack('dev-server');

beforeAll(async () => {
  await insertPolicyVersion(stack.db.sql, { name: 'ops-import', steps: [{ offset: '0d', template: 'reminder_due_today' }] });
  await insertPolicyVersion(stack.db.sql, {
    name: 'ops',
    steps: [
      { offset: '2s', template: 'reminder_overdue' },
      { offset: '4s', template: 'late_fee_notice', lateFee: { amountCents: 2_500, currency: 'USD' } },
      { offset: '30d', template: 'final_notice', finalNotice: true },
    ],
  });
});

const fixture = (o: Parameters<typeof invoiceFixture>[1] = {}) =>
  invoiceFixture(
    { sql: stack.db.sql, client: stack.env.client, taskQueue: stack.workers.taskQueue },
    { ...o, invoice: { policy: 'ops', dueIn: '1s', ...o.invoice } },
  );

interface Metadata {
  definition: {
    queryDefinitions: { name: string; description?: string }[];
    signalDefinitions: { name: string; description?: string }[];
    updateDefinitions: { name: string; description?: string }[];
  };
  currentDetails: string;
}
const metadata = (handle: WorkflowHandle) => handle.query<Metadata>('__temporal_workflow_metadata');
const details = async (handle: WorkflowHandle) => (await metadata(handle)).currentDetails;
const attributes = async (handle: WorkflowHandle) => (await handle.describe()).searchAttributes;
const actor = 'ops-test';

it('keeps current details and search attributes true after each kind of event', async () => {
  const { customer, invoice, handle } = await fixture({
    totalCents: 150_000,
    customer: { name: 'Initech Ltd', timeZone: 'America/New_York' },
  });
  // Issued: the static attributes and the first details.
  await eventually(async () => {
    expect(await attributes(handle)).toMatchObject({
      InvoiceNumber: [invoice.number],
      Currency: ['USD'],
      CustomerName: ['Initech Ltd'],
      CustomerId: [customer.id],
      Disputed: [false],
      Overdue: ['current'],
      AmountDueCents: [150_000],
    });
    expect((await attributes(handle)).NextActionAt).toHaveLength(1);
    expect(await details(handle)).toMatch(/^\*\*USD 1,500\.00 due\*\* of USD 1,500\.00 · due today/);
  });
  expect(await (await handle.describe()).staticSummary()).toBe(
    `${invoice.number} · Initech Ltd · invoiced USD 1,500.00, due ${localDate(invoice.dueAt.getTime(), 'America/New_York')}`,
  );

  // A reminder, then a late fee: the stage and the amount follow.
  await eventually(async () => {
    const d = await details(handle);
    expect(d).toContain('**USD 1,525.00 due** of USD 1,525.00 (fees USD 25.00)');
    expect(d).toContain('Stage: **a late-fee notice**');
    expect(d).toMatch(/Next: a final notice \(step 2\) on \w{3} \d+ \w{3} \d{4}, 09:00 America\/New_York/);
    expect(await attributes(handle)).toMatchObject({ AmountDueCents: [152_500], DunningStage: ['late_fee_notice'] });
  }, 15_000);

  // A payment.
  await handle.signal(paymentReceivedSignal, { paymentId: 'pi_ops_1', amountCents: 40_000, currency: 'USD', actor: 'gateway:test' });
  await eventually(async () => {
    expect(await details(handle)).toMatch(/Last payment: USD 400\.00 \(`pi_ops_1`\) on \w{3} \d+ \w{3} \d{4}, \d\d:\d\d America\/New_York/);
    expect(await attributes(handle)).toMatchObject({ AmountDueCents: [112_500] });
  });

  // A dispute: the chase pauses, nothing is next.
  await handle.executeUpdate(openDisputeUpdate, { args: [{ actor, reason: 'hours disputed' }] });
  await eventually(async () => {
    const a = await attributes(handle);
    expect(a).toMatchObject({ Disputed: [true] });
    expect(a.NextActionAt ?? []).toEqual([]);
    expect(await details(handle)).toContain('**Disputed** since');
    expect(await details(handle)).toContain('Next: nothing until the dispute is resolved');
  });
  await handle.executeUpdate(resolveDisputeUpdate, { args: [{ actor }] });
  await eventually(async () => expect(await attributes(handle)).toMatchObject({ Disputed: [false] }));

  // A promise: its date, as the start of that day on the customer's calendar.
  const promised = addDays(localDate(Date.now(), 'America/New_York'), 3);
  await handle.executeUpdate(promiseToPayUpdate, { args: [{ actor, date: promised }] });
  await eventually(async () => {
    const a = await attributes(handle);
    expect((a.PromisedDate as Date[])[0]!.toISOString()).toBe(new Date(`${promised}T05:00:00Z`).toISOString());
    expect(await details(handle)).toContain(`**Promised** to pay by ${promised}`);
  });

  // A policy migration: the new version shows.
  const v2 = await insertPolicyVersion(stack.db.sql, {
    name: 'ops',
    steps: [
      { offset: '2s', template: 'reminder_overdue' },
      { offset: '4s', template: 'late_fee_notice', lateFee: { amountCents: 2_500, currency: 'USD' } },
      { offset: '45d', template: 'final_notice', finalNotice: true },
    ],
  });
  await handle.executeUpdate(migratePolicyUpdate, { args: [{ actor, policy: v2, migrationId: 'ops-m1' }] });
  await eventually(async () => {
    expect(await attributes(handle)).toMatchObject({ PolicyVersion: [2] });
    expect(await details(handle)).toContain('policy ops@2');
  });

  // Paid in full, then a refund reopens it in a new run: the details start from the carried state.
  await handle.executeUpdate(recordPaymentUpdate, { args: [{ actor, paymentId: 'wire-ops-2', amountCents: 112_500, currency: 'USD' }] });
  await handle.result();
  expect(await details(handle)).toMatch(/^\*\*Paid\*\* · USD 1,525\.00 settled/);
  expect(await attributes(handle)).toMatchObject({ InvoiceStatus: ['paid'], AmountDueCents: [0] });
  expect((await attributes(handle)).Overdue ?? []).toEqual([]);
  await reopenWithRefund(stack.env.client, stack.workers.taskQueue, invoice.workflowId, {
    paymentId: 'wire-ops-2',
    refundId: 're_ops_1',
    amountCents: 12_500,
    currency: 'USD',
    actor: 'gateway:test',
  });
  const reopened = stack.env.client.workflow.getHandle(invoice.workflowId);
  await eventually(async () => {
    expect(await details(reopened)).toMatch(/^\*\*USD 125\.00 due\*\* of USD 1,525\.00/);
    expect(await attributes(reopened)).toMatchObject({
      InvoiceStatus: ['open'],
      AmountDueCents: [12_500],
      InvoiceNumber: [invoice.number],
    });
    expect((await reopened.query(invoiceStateQuery)).amountDueCents).toBe(12_500);
  });
  expect(await (await reopened.describe()).staticSummary()).toMatch(/reopened after payment/);
});

it('describes every handler, and opens the Queries tab on the readable state', async () => {
  const { handle } = await fixture();
  const { definition } = await metadata(handle);
  const handlers = [...definition.queryDefinitions, ...definition.signalDefinitions, ...definition.updateDefinitions].filter(
    (h) => !h.name.startsWith('__'),
  );
  expect(handlers.length).toBeGreaterThanOrEqual(15);
  for (const h of handlers)
    expect({ name: h.name, described: (h.description ?? '').length > 30 }).toEqual({ name: h.name, described: true });
  // The UI sorts user queries by name and opens the first.
  const queries = definition.queryDefinitions.map((q) => q.name).filter((n) => !n.startsWith('__'));
  expect([...queries].sort((a, b) => a.localeCompare(b))[0]).toBe('state');

  const account = stack.env.client.workflow.getHandle(`customer-${(await handle.query(invoiceStateQuery)).customerId}`);
  await eventually(async () => {
    const m = await metadata(account);
    expect(m.definition.queryDefinitions.find((q) => q.name === 'account')?.description).toMatch(/reminders waiting/);
    expect(m.currentDetails).toMatch(/overdue/);
  });
});

it('runs the README saved views against the dev server, each finding what it names', async () => {
  await createImportedCustomer(
    stack.db.sql,
    createCustomerSchema.parse({
      name: 'Umbrella Corp',
      email: 'ap@umbrella.test',
      timeZone: 'Europe/Berlin',
      currency: 'USD',
      paymentTermsDays: 30,
      reminders: { groupingWindow: '0s', minGap: '0s' },
    }),
    'umbrella',
    'test',
  );
  const start = { sql: stack.db.sql, client: stack.env.client, taskQueue: stack.workers.taskQueue, now: () => new Date() };
  const on = (o: Partial<Parameters<typeof fixture>[0]> = {}) => fixture({ ...o, customer: { name: 'Umbrella Corp', ...o.customer } });
  const big = await on({ totalCents: 250_000 });
  const small = await on({ totalCents: 50_000 });
  const euro = await fixture({
    totalCents: 900_000,
    customer: { currency: 'EUR', name: 'Soylent SA' },
    invoice: { policy: 'ops', dueIn: '1s' },
  });
  for (const inv of [big, small, euro]) await inv.handle.executeUpdate(openDisputeUpdate, { args: [{ actor }] });
  const promised = await on({ totalCents: 30_000 });
  const today = localDate(Date.now(), 'UTC');
  await promised.handle.executeUpdate(promiseToPayUpdate, { args: [{ actor, date: addDays(today, 1) }] });
  // An invoice 45 days past due, taken over from the ERP.
  const overdue = await importInvoice(
    start,
    importInvoiceSchema.parse({
      externalId: 'erp-ops-1',
      customerExternalId: 'umbrella',
      currency: 'USD',
      issueDate: addDays(today, -75),
      dueDate: addDays(today, -45),
      totalCents: 80_000,
      policy: 'ops-import',
    }),
    'import',
  );
  const overdueId = `invoice-${overdue.id}`;
  // One past every step, left for a human: parked.
  const parked = await importInvoice(
    start,
    importInvoiceSchema.parse({
      externalId: 'erp-ops-2',
      customerExternalId: 'umbrella',
      currency: 'USD',
      issueDate: addDays(today, -75),
      dueDate: addDays(today, -45),
      totalCents: 20_000,
      policy: 'ops-import',
      catchUp: 'none',
    }),
    'import',
  );

  const readme = await readFile(path.join(__dirname, '..', '..', 'README.md'), 'utf8');
  const queries = [...readme.matchAll(/\]\((http:\/\/localhost:8233\/namespaces\/default\/workflows\?query=[^)\s]+)\)/g)].map((m) =>
    new URL(m[1]!).searchParams.get('query')!,
  );
  const views = savedViews({ nowMs: Date.now(), customerName: 'Umbrella Corp' });
  const byId = Object.fromEntries(views.map((v) => [v.id, v.query]));
  // The README links the views this module defines (the dated one, with the dates of its writing).
  expect(queries.length).toBeGreaterThanOrEqual(views.length);
  for (const view of views) {
    if (view.id === 'promised-this-week') expect(queries.some((q) => q.startsWith(view.query.split(' AND PromisedDate')[0]!))).toBe(true);
    else expect(queries).toContain(view.query);
  }
  const found = async (query: string) => {
    const ids: string[] = [];
    for await (const w of stack.env.client.workflow.list({ query })) ids.push(w.workflowId);
    return ids;
  };
  // Every query in the README is one the server accepts.
  for (const q of queries) await found(q);
  await eventually(async () => {
    expect(await found(byId['disputed-usd-over-1000']!)).toEqual([big.invoice.workflowId]);
    expect((await found(byId.disputed!)).sort()).toEqual([big, small, euro].map((i) => i.invoice.workflowId).sort());
    expect(await found(byId['promised-this-week']!)).toEqual(
      // Tomorrow may fall in next week: then the view rightly finds nothing.
      addDays(today, 1) < savedWeekEnd(views) ? [promised.invoice.workflowId] : [],
    );
    expect((await found(byId['overdue-30']!)).sort()).toEqual([overdueId, `invoice-${parked.id}`].sort());
    // Both are past every step of the policy (the first after its catch-up step): parked.
    expect((await found(byId['needs-attention']!)).sort()).toEqual([overdueId, `invoice-${parked.id}`].sort());
    const umbrella = await found(byId['by-customer']!);
    expect(umbrella).toEqual(expect.arrayContaining([big, small, promised].map((i) => i.invoice.workflowId)));
    expect(umbrella).not.toContain(euro.invoice.workflowId);
  }, 20_000);
});

function savedWeekEnd(views: ReturnType<typeof savedViews>): string {
  return /PromisedDate < '([^']+)'/.exec(views.find((v) => v.id === 'promised-this-week')!.query)![1]!.slice(0, 10);
}

it('shows a workflow whose tasks keep failing in the saved view, /metrics and the dashboard', async () => {
  const api = await startApi(stack.db, stack.env, stack.workers.taskQueue);
  try {
    // Workflow code that throws on every task (here: no input), as a non-determinism error would after a bad deploy.
    const handle = await stack.env.client.workflow.start('invoiceWorkflow', {
      workflowId: 'invoice-crashing-on-every-task',
      taskQueue: stack.workers.taskQueue,
      args: [null],
    });
    const view = savedViews({ nowMs: Date.now() }).find((v) => v.id === 'needs-attention')!;
    await eventually(async () => {
      const ids: string[] = [];
      for await (const w of stack.env.client.workflow.list({ query: view.query })) ids.push(w.workflowId);
      expect(ids).toContain(handle.workflowId);
    }, 60_000);
    expect((await handle.describe()).searchAttributes.TemporalReportedProblems).toContain('category=WorkflowTaskFailed');
    const metrics = await api.request('GET', '/metrics', { token: null });
    expect(metrics.body).toMatch(/^collections_workflows_failing 1$/m);
    const login = await fetch(`${api.url}/dashboard/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `token=${TEST_TOKEN}`,
      redirect: 'manual',
    });
    const cookie = login.headers.getSetCookie()[0]!.split(';')[0]!;
    const page = await (await fetch(`${api.url}/dashboard`, { headers: { cookie } })).text();
    expect(page).toContain('Workflows failing');
    expect(page).toContain('invoice-crashing-on-every-task');
    expect(page).toContain('WorkflowTaskFailed');
    await handle.terminate('test over');
  } finally {
    await api.close();
  }
}, 90_000);
