import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import { Client, Connection } from '@temporalio/client';
import { createApp } from '../../src/http/app';
import { createLogger } from '../../src/log';
import { TEST_TOKEN } from '../helpers/api';
import { createTestDatabase, type TestDatabase } from '../helpers/database';

// Reports read Postgres only: a real database, the real app, and a Temporal client that is never used.
let db: TestDatabase;
let server: Server;
let url: string;
beforeAll(async () => {
  db = await createTestDatabase();
  const app = createApp({
    sql: db.sql, client: new Client({ connection: Connection.lazy({ address: '127.0.0.1:1' }) }), taskQueue: 'unused', namespace: 'default', apiToken: TEST_TOKEN,
    publicUrl: 'http://localhost:3000', temporalUiUrl: 'http://localhost:8233', log: createLogger('silent'), now: () => new Date('2026-06-30T12:00:00Z'),
  });
  server = await new Promise((resolve) => { const s = app.listen(0, '127.0.0.1', () => resolve(s)); });
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  await seed();
});
afterAll(async () => {
  await new Promise((r) => server?.close(r));
  await db?.drop();
});

const get = async (path: string, token: string | null = TEST_TOKEN) => {
  const res = await fetch(url + path, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  const body: any = res.headers.get('content-type')?.includes('json') ? await res.json() : await res.text();
  return { status: res.status, type: res.headers.get('content-type') ?? '', body };
};

const ids = { acme: randomUUID(), berlin: randomUUID(), chicago: randomUUID() };
let n = 0;
async function customer(id: string, name: string, timeZone: string, currency: string) {
  await db.sql`INSERT INTO customers (id, name, email, time_zone, currency, payment_terms_days) VALUES (${id}, ${name}, 'ap@x.test', ${timeZone}, ${currency}, 30)`;
}
async function invoice(customerId: string, currency: string, totalCents: number, issueDate: string, dueAt: string, o: { status?: string; closedAt?: string } = {}) {
  const id = randomUUID();
  await db.sql`INSERT INTO invoices (id, number, customer_id, currency, total_cents, amount_due_cents, status, issue_date, due_at, policy_name, policy_version, workflow_id, closed_at)
               VALUES (${id}, ${`T-${++n}`}, ${customerId}, ${currency}, ${totalCents}, ${totalCents}, ${o.status ?? 'open'}, ${issueDate}, ${dueAt}, 'standard', 1, ${`invoice-${id}`}, ${o.closedAt ?? null})`;
  return id;
}
async function money(kind: 'payment' | 'refund', invoiceId: string, currency: string, amountCents: number, receivedAt: string) {
  await db.sql`INSERT INTO payments (kind, id, invoice_id, amount_cents, currency, status, actor, received_at) VALUES (${kind}, ${randomUUID()}, ${invoiceId}, ${amountCents}, ${currency}, 'applied', 'test', ${receivedAt})`;
}

/** The hand-checked dataset; expected figures as of 2026-06-30 are worked out beside each line. */
async function seed() {
  await customer(ids.acme, 'Acme', 'UTC', 'USD');
  await customer(ids.berlin, 'Berlin GmbH', 'Europe/Berlin', 'EUR');
  await customer(ids.chicago, 'Chicago Inc', 'America/Chicago', 'USD');
  await invoice(ids.acme, 'USD', 10_000, '2026-06-01', '2026-07-15T23:59:59.999Z'); // not yet due: current 10,000
  const a2 = await invoice(ids.acme, 'USD', 20_000, '2026-05-20', '2026-06-20T23:59:59.999Z'); // 10 days: 1-30
  await money('payment', a2, 'USD', 5_000, '2026-06-25T10:00:00Z'); // → 15,000
  const a3 = await invoice(ids.acme, 'USD', 30_000, '2026-04-15', '2026-05-15T23:59:59.999Z'); // 46 days: 31-60
  await db.sql`INSERT INTO late_fees (invoice_id, step_index, amount_cents, currency, applied_at) VALUES (${a3}, 3, 450, 'USD', '2026-05-29T23:59:59.999Z')`; // → 30,450
  await money('payment', a3, 'USD', 30_000, '2026-07-02T10:00:00Z'); // after the date: not counted on 06-30
  const a4 = await invoice(ids.acme, 'USD', 40_000, '2026-02-01', '2026-03-01T23:59:59.999Z'); // 121 days: 90+
  await money('payment', a4, 'USD', 40_000, '2026-04-01T10:00:00Z'); // paid …
  await money('refund', a4, 'USD', 10_000, '2026-06-01T10:00:00Z'); // … then 10,000 refunded → 10,000 owed
  await invoice(ids.acme, 'USD', 50_000, '2026-03-10', '2026-04-10T23:59:59.999Z', { status: 'void', closedAt: '2026-06-01T00:00:00Z' }); // void before: out
  await invoice(ids.acme, 'USD', 60_000, '2026-03-10', '2026-04-10T23:59:59.999Z', { status: 'void', closedAt: '2026-07-05T00:00:00Z' }); // void after: 61-90 (81 days)
  await invoice(ids.acme, 'USD', 70_000, '2026-07-01', '2026-07-31T23:59:59.999Z'); // issued after the date: out
  await invoice(ids.acme, 'USD', 90_000, '2026-01-01', '2026-02-01T23:59:59.999Z', { status: 'uncollectible', closedAt: '2026-06-15T00:00:00Z' }); // written off before: out
  await invoice(ids.berlin, 'EUR', 70_000, '2026-06-01', '2026-06-30T21:59:59.999Z'); // due end of 06-30 Berlin: current
  const b2 = await invoice(ids.berlin, 'EUR', 10_000, '2026-05-01', '2026-06-01T21:59:59.999Z'); // 29 days: 1-30
  await money('payment', b2, 'EUR', 10_000, '2026-06-30T22:30:00Z'); // 00:30 on 1 July in Berlin: after the date there
  await invoice(ids.chicago, 'USD', 80_000, '2026-04-30', '2026-05-31T04:59:59.999Z'); // end of 05-30 in Chicago: 31 days → 31-60 (29 → 1-30 if read in UTC)
}

describe('GET /api/reports/aging', () => {
  it('buckets what was owed at the end of the date, per currency and per customer, on each customer calendar', async () => {
    const res = await get('/api/reports/aging?asOf=2026-06-30');
    expect(res.status).toBe(200);
    expect(res.body.buckets).toEqual(['current', '1-30', '31-60', '61-90', '90+']);
    expect(res.body.totals).toEqual([
      { currency: 'EUR', buckets: { current: 70_000, '1-30': 10_000, '31-60': 0, '61-90': 0, '90+': 0 }, totalCents: 80_000, invoices: 2 },
      { currency: 'USD', buckets: { current: 10_000, '1-30': 15_000, '31-60': 110_450, '61-90': 60_000, '90+': 10_000 }, totalCents: 205_450, invoices: 6 },
    ]);
    expect(res.body.customers).toEqual([
      { customerId: ids.acme, name: 'Acme', currency: 'USD', buckets: { current: 10_000, '1-30': 15_000, '31-60': 30_450, '61-90': 60_000, '90+': 10_000 }, totalCents: 125_450, invoices: 5 },
      { customerId: ids.berlin, name: 'Berlin GmbH', currency: 'EUR', buckets: { current: 70_000, '1-30': 10_000, '31-60': 0, '61-90': 0, '90+': 0 }, totalCents: 80_000, invoices: 2 },
      { customerId: ids.chicago, name: 'Chicago Inc', currency: 'USD', buckets: { current: 0, '1-30': 0, '31-60': 80_000, '61-90': 0, '90+': 0 }, totalCents: 80_000, invoices: 1 },
    ]);
  });

  it('a later date counts what happened since: the payment after the fee, the void, the new invoice, the Berlin payment', async () => {
    const res = await get('/api/reports/aging?asOf=2026-07-10');
    const acme = res.body.customers.find((c: { name: string }) => c.name === 'Acme');
    // current: 10,000 + the 70,000 issued on 07-01; 1-30: A2 (20 days); 31-60: A3's fee after its payment;
    // 61-90: nothing (A6 was voided on 07-05); 90+: A4's refund.
    expect(acme.buckets).toEqual({ current: 80_000, '1-30': 15_000, '31-60': 450, '61-90': 0, '90+': 10_000 });
    expect(res.body.customers.find((c: { name: string }) => c.name === 'Berlin GmbH').buckets['31-60']).toBe(0);
  });

  it('exports the same figures as CSV', async () => {
    const res = await get('/api/reports/aging?asOf=2026-06-30&format=csv');
    expect(res.type).toContain('text/csv');
    expect(res.body.split('\n')).toEqual([
      'customer_id,customer,currency,current,1-30,31-60,61-90,90+,total,invoices',
      `${ids.acme},Acme,USD,10000,15000,30450,60000,10000,125450,5`,
      `${ids.berlin},Berlin GmbH,EUR,70000,10000,0,0,0,80000,2`,
      `${ids.chicago},Chicago Inc,USD,0,0,80000,0,0,80000,1`,
      '',
    ]);
  });

  it('defaults to today and refuses bad input', async () => {
    expect((await get('/api/reports/aging')).body.asOf).toBe('2026-06-30');
    for (const bad of ['asOf=2026-13-01', 'asOf=yesterday', 'format=xml', 'colour=blue']) {
      const res = await get(`/api/reports/aging?${bad}`);
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('VALIDATION');
    }
    expect((await get('/api/reports/aging', null)).status).toBe(401);
  });
});
