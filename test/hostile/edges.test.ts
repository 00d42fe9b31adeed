import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runTestCli } from '../helpers/cli';
import {
  fingerprint,
  genericEvent,
  newCustomer,
  newInvoice,
  nowSeconds,
  paymentIntent,
  postGeneric,
  postStripe,
  stripeEvent,
  useHostileStack,
  STRIPE_SECRET,
} from './harness';
import { parse } from 'csv-parse/sync';
import Stripe from 'stripe';
import { eventually } from '../helpers/eventually';

// Bad input gets a clear 4xx and changes nothing, at every edge: the API, the portal, both webhooks
// and the import. Never a 500, never a 503 that would make a gateway retry forever.
const h = useHostileStack();
const sql = () => h.stack.db.sql;

/** Text Postgres cannot store (NUL), control characters, an unpaired surrogate, and bidi-free junk. */
const HOSTILE_TEXT = ['bad\u0000value', 'bell\u0007', 'esc\u001b[31m', 'half\ud800', 'del\u007f'];

let customerId: string;
let invoice: { id: string; workflowId: string };
beforeAll(async () => {
  customerId = await newCustomer(h.api);
  invoice = await newInvoice(h.api, 50_000, { customerId });
  // Issued and projected before the sweep starts counting rows.
  await eventually(async () => expect(await sql()`SELECT 1 FROM email_log WHERE invoice_id = ${invoice.id}`).toHaveLength(1));
  await eventually(async () =>
    expect((await sql()`SELECT last_event_seq AS n FROM invoices WHERE id = ${invoice.id}`)[0]!.n).toBeGreaterThanOrEqual(2),
  );
});

/** A path segment; text no URL can carry (an unpaired surrogate) goes as the invalid UTF-8 a client could still send. */
const segment = (v: string) => {
  try {
    return encodeURIComponent(v);
  } catch {
    return `${encodeURIComponent(v.replace(/[\ud800-\udfff]/g, ''))}%ED%A0%80`;
  }
};

interface Target {
  readonly name: string;
  send(value: string): Promise<{ status: number; body: any }>;
}
const post =
  (route: string, body: (v: string) => unknown): Target['send'] =>
  (v) =>
    h.api.request('POST', route, { body: body(v) });
const customer = { name: 'Edge Ltd', email: 'ap@edge.test', timeZone: 'UTC', currency: 'USD' };
const line = { description: 'Work', quantity: 1, unitAmountCents: 1_000 };
const targets = (): Target[] => [
  { name: 'customer name', send: post('/api/customers', (v) => ({ ...customer, name: v })) },
  { name: 'customer email', send: post('/api/customers', (v) => ({ ...customer, email: `a${v}@edge.test` })) },
  { name: 'customer time zone', send: post('/api/customers', (v) => ({ ...customer, timeZone: v })) },
  { name: 'invoice line description', send: post('/api/invoices', (v) => ({ customerId, lines: [{ ...line, description: v }] })) },
  { name: 'invoice policy', send: post('/api/invoices', (v) => ({ customerId, lines: [line], policy: v })) },
  { name: 'invoice dueIn', send: post('/api/invoices', (v) => ({ customerId, lines: [line], dueIn: v })) },
  {
    name: 'payment reference',
    send: post(`/api/invoices/${invoice.id}/payments`, (v) => ({ amountCents: 100, currency: 'USD', reference: v })),
  },
  { name: 'void reason', send: post(`/api/invoices/${invoice.id}/void`, (v) => ({ reason: v })) },
  { name: 'dispute reason', send: post(`/api/invoices/${invoice.id}/dispute`, (v) => ({ reason: v })) },
  {
    name: 'promise reason',
    send: post(`/api/invoices/${invoice.id}/promise`, (v) => ({
      date: new Date(Date.now() + 86_400_000).toISOString().slice(0, 10),
      reason: v,
    })),
  },
  { name: 'promise date', send: post(`/api/invoices/${invoice.id}/promise`, (v) => ({ date: v })) },
  { name: 'policy name', send: post('/api/policies', (v) => ({ name: v, steps: [{ offset: '1d', template: 'reminder_overdue' }] })) },
  {
    name: 'policy description',
    send: post('/api/policies', (v) => ({ name: 'edgy', description: v, steps: [{ offset: '1d', template: 'reminder_overdue' }] })),
  },
  { name: 'policy offset', send: post('/api/policies', (v) => ({ name: 'edgy', steps: [{ offset: v, template: 'reminder_overdue' }] })) },
  { name: 'simulated policy name', send: post('/api/policies/simulate', (v) => ({ policy: { name: v }, invoiceId: invoice.id })) },
  {
    name: 'webhook endpoint description',
    send: post('/api/webhook-endpoints', (v) => ({ url: 'https://hooks.example.com/ar', description: v })),
  },
  { name: 'webhook endpoint url', send: post('/api/webhook-endpoints', (v) => ({ url: `https://hooks.example.com/${v}` })) },
  {
    name: 'recurring plan line',
    send: post('/api/recurring-plans', (v) => ({
      customerId,
      lines: [{ ...line, description: v }],
      interval: { every: 'month', dayOfMonth: 1 },
    })),
  },
  { name: 'portal link ttl', send: post(`/api/customers/${customerId}/portal-links`, (v) => ({ ttlDays: v })) },
  {
    name: 'unapplied payment id in the path',
    send: (v) => h.api.request('POST', `/api/payments/${segment(v)}/apply`, { body: { invoiceId: invoice.id } }),
  },
  { name: 'policy name in the path', send: (v) => h.api.request('GET', `/api/policies/${segment(v)}`) },
  { name: 'policy diff name in the path', send: (v) => h.api.request('GET', `/api/policies/${segment(v)}/diff?from=1&to=1`) },
  { name: 'migration policy in the path', send: (v) => h.api.request('GET', `/api/policies/${segment(v)}/migrations/1`) },
  { name: 'aging asOf', send: (v) => h.api.request('GET', `/api/reports/aging?asOf=${segment(v)}`) },
  { name: 'webhook endpoint id in the path', send: (v) => h.api.request('GET', `/api/webhook-endpoints/${segment(v)}`) },
  {
    name: 'redelivered event id in the path',
    send: (v) => h.api.request('POST', `/api/webhook-endpoints/00000000-0000-4000-8000-000000000000/deliveries/${segment(v)}/redeliver`),
  },
  {
    name: 'flag id in the path',
    send: (v) => h.api.request('POST', `/api/invoices/${invoice.id}/flags/${segment(v)}/resolve`, { body: { resolution: 'ok' } }),
  },
  { name: 'flag resolution', send: post(`/api/invoices/${invoice.id}/flags/payment:x/resolve`, (v) => ({ resolution: v })) },
  { name: 'generic webhook id', send: (v) => postGeneric(h.api, genericEvent({ id: v, invoiceId: invoice.id })) },
  { name: 'generic webhook reference', send: (v) => postGeneric(h.api, genericEvent({ invoiceId: invoice.id, reference: v })) },
  { name: 'generic webhook method', send: (v) => postGeneric(h.api, genericEvent({ invoiceId: invoice.id, method: v })) },
  { name: 'generic webhook payment id', send: (v) => postGeneric(h.api, genericEvent({ invoiceId: invoice.id, paymentId: v })) },
  {
    name: 'Stripe event id',
    send: (v) => postStripe(h.api, stripeEvent('payment_intent.succeeded', paymentIntent(invoice.id, 100), { id: v })),
  },
  { name: 'Stripe event type', send: (v) => postStripe(h.api, stripeEvent(v, paymentIntent(invoice.id, 100))) },
  {
    name: 'Stripe payment intent id',
    send: (v) => postStripe(h.api, stripeEvent('payment_intent.succeeded', { ...paymentIntent(invoice.id, 100), id: v })),
  },
  { name: 'Stripe invoice metadata', send: (v) => postStripe(h.api, stripeEvent('payment_intent.succeeded', paymentIntent(v, 100))) },
  {
    name: 'Stripe payment method type',
    send: (v) => postStripe(h.api, stripeEvent('payment_intent.succeeded', paymentIntent(invoice.id, 100, { payment_method_types: [v] }))),
  },
  {
    name: 'Stripe failure message',
    send: (v) =>
      postStripe(h.api, stripeEvent('payment_intent.payment_failed', paymentIntent(invoice.id, 0, { last_payment_error: { message: v } }))),
  },
  {
    name: 'import customer name',
    send: async (v) => importResult('customers', { externalId: `c-${Math.random()}`, ...customer, name: v }),
  },
  {
    name: 'import invoice number',
    send: async (v) =>
      importResult('invoices', {
        externalId: `i-${Math.random()}`,
        customerExternalId: 'none',
        number: v,
        currency: 'USD',
        issueDate: '2026-11-01',
        dueDate: '2026-12-01',
        totalCents: 100,
      }),
  },
];

/** An import batch answers 200 with one result per row; a refused row reads as a 400 here. */
async function importResult(kind: 'customers' | 'invoices', row: Record<string, unknown>) {
  const res = await h.api.request('POST', `/api/imports/${kind}`, { body: { rows: [row] } });
  if (res.status !== 200) return res;
  const result = res.body.results[0];
  return result.status === 'error'
    ? { status: result.error.code === 'NOT_FOUND' ? 404 : 400, body: { error: result.error } }
    : { status: 201, body: result };
}

describe('hostile text at every edge', () => {
  it.each(HOSTILE_TEXT.map((v) => [JSON.stringify(v), v]))(
    '%s is refused with a 4xx everywhere and changes nothing',
    async (_label, value) => {
      const problems: string[] = [];
      for (const target of targets()) {
        const before = await fingerprint(sql());
        const res = await target.send(value);
        if (res.status < 400 || res.status >= 500) problems.push(`${target.name}: ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`);
        else if (JSON.stringify(await fingerprint(sql())) !== JSON.stringify(before))
          problems.push(`${target.name}: answered ${res.status} but stored something`);
      }
      expect(problems).toEqual([]);
    },
  );
});

describe('values Postgres or the calendar cannot hold', () => {
  it.each([
    ['dueDate 9999-12-31', { dueDate: '9999-12-31' }],
    ['dueDate ten years and more out', { dueDate: '2040-01-01' }],
    ['dueIn 99999999d', { dueIn: '99999999d' }],
    ['a line of a quadrillion', { lines: [{ description: 'x', quantity: 1_000_000, unitAmountCents: 1e12 }] }],
  ])('invoice with %s → 4xx, nothing stored', async (_label, extra) => {
    const before = await fingerprint(sql());
    const res = await h.api.request('POST', '/api/invoices', { body: { customerId, lines: [line], ...extra } });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(await fingerprint(sql())).toEqual(before);
  });

  it.each(['2147483648', '99999999999999999999', '-1', '1.5', 'abc'])('policy ?version=%s → 400', async (version) => {
    const res = await h.api.request('GET', `/api/policies/standard?version=${version}`);
    expect([res.status, res.body.error.code]).toEqual([400, 'VALIDATION']);
  });

  it.each([
    ['from=0001-01-01 alone', 'from=0001-01-01'],
    ['from after to', 'from=2026-02-01&to=2026-01-01'],
    ['eleven years', 'from=2015-01-01&to=2026-01-01'],
    ['a year before 1970', 'from=1969-01-01&to=1969-12-31'],
  ])('KPIs with %s → 400, and no snapshot is taken', async (_label, query) => {
    const snapshots = async () =>
      (await sql()`SELECT (SELECT count(*) FROM report_flow_days)::int + (SELECT count(*) FROM aging_snapshots)::int AS n`)[0]!.n;
    const before = await snapshots();
    const res = await h.api.request('GET', `/api/reports/kpis?${query}`);
    expect([res.status, res.body.error.code]).toEqual([400, 'VALIDATION']);
    expect(await snapshots()).toBe(before);
  });

  it('aging asOf=0001-01-01 → 400', async () => {
    expect((await h.api.request('GET', '/api/reports/aging?asOf=0001-01-01')).status).toBe(400);
  });
});

describe('malformed Stripe events are refused with 400 (Stripe stops retrying a 4xx we mean)', () => {
  const signed = (payload: string) =>
    h.api.request('POST', '/webhooks/stripe', {
      raw: payload,
      token: null,
      headers: {
        'content-type': 'application/json',
        'stripe-signature': Stripe.webhooks.generateTestHeaderString({ payload, secret: STRIPE_SECRET, timestamp: nowSeconds() }),
      },
    });
  const pi = () => paymentIntent(invoice.id, 100);
  it.each([
    ['created is text', { created: 'yesterday' }],
    ['created is negative', { created: -1 }],
    ['created is beyond any date', { created: 1e20 }],
    ['id is empty', { id: '' }],
    ['id is a number', { id: 42 }],
    ['type is missing', { type: undefined }],
    ['type is an object', { type: { a: 1 } }],
    ['data is missing', { data: undefined }],
    ['data.object is missing', { data: {} }],
    ['data.object is a string', { data: { object: 'pi' } }],
  ])('%s', async (_label, change) => {
    const before = await fingerprint(sql());
    const res = await signed(JSON.stringify({ ...stripeEvent('payment_intent.succeeded', pi()), ...change }));
    expect(res.status).toBe(400);
    expect(res.body.error.code).toMatch(/^(INVALID_EVENT|MALFORMED)$/);
    expect(await fingerprint(sql())).toEqual(before);
  });

  it('a generic event whose occurredAt Postgres cannot store is refused', async () => {
    const res = await postGeneric(h.api, genericEvent({ invoiceId: invoice.id, occurredAt: '+275760-09-13T00:00:00.000Z' }));
    expect(res.status).toBe(400);
  });
});

describe('imports', () => {
  it("a batch with one bad row answers 200 with that row's error; the other rows go in", async () => {
    const rows = [
      { externalId: `ok-1-${Date.now()}`, ...customer, name: 'Good One' },
      { externalId: `bad-${Date.now()}`, ...customer, name: 'Bad\u0000Row' },
      { externalId: `ok-2-${Date.now()}`, ...customer, name: 'Good Two' },
    ];
    const res = await h.api.request('POST', '/api/imports/customers', { body: { rows } });
    expect(res.status).toBe(200);
    expect(res.body.results.map((r: { status: string }) => r.status)).toEqual(['created', 'error', 'created']);
    expect(res.body.results[1].error).toMatchObject({ code: 'VALIDATION', field: 'name' });
  });
});

describe('CSV exports cannot carry formulas (OWASP CSV injection)', () => {
  const evil = ["=cmd|' /C calc'!A0", '+SUM(1+1)', '-2+3', '@SUM(A1)', '\tTAB', 'line\rbreak'];

  it('neutralises customer names in the aging CSV', async () => {
    for (const name of evil.filter((n) => !/[\t\r]/.test(n))) {
      const id = await newCustomer(h.api, { name });
      await newInvoice(h.api, 1_000, { customerId: id });
    }
    const res = await h.api.request('GET', '/api/reports/aging?format=csv');
    expect(res.status).toBe(200);
    const cells = (res.body as string).split('\n').map((l) => l.split(',')[1] ?? '');
    for (const cell of cells) expect(cell).not.toMatch(/^"?[=+\-@\t\r]/);
    expect(res.body).toContain(`,'=cmd|' /C calc'!A0,`);
  });

  it('neutralises cells of the import report', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'csv-injection-'));
    const customers = path.join(dir, 'customers.csv');
    await writeFile(
      customers,
      [
        'external_id,name,email,time_zone,currency',
        ...evil.map((e, i) => `"${e.replace(/"/g, '""')}${i}",Name ${i},bad-email,UTC,USD`),
      ].join('\n'),
    );
    const report = path.join(dir, 'report.csv');
    const run = await runTestCli(h.api, dir, ['import', customers, '--report', report]);
    expect(run.code).toBe(1); // every row is refused (bad email)
    const rows: string[][] = parse(await readFile(report, 'utf8'));
    expect(rows).toHaveLength(1 + evil.length); // a carriage return inside a cell splits no row
    for (const cell of rows.slice(1).flat()) expect(cell).not.toMatch(/^[=+\-@\t\r]/);
    expect(rows.slice(1).map((r) => r[2])).toContain(`'=cmd|' /C calc'!A00`);
  });
});
