import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import { Client, Connection } from '@temporalio/client';
import { createApp } from '../../src/http/app';
import { createLogger } from '../../src/log';
import { TEST_TOKEN } from '../helpers/api';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { fee, handedOff, ledgerWriter, pay, refund, voided, type LedgerWriter } from '../helpers/ledger';
import { expectLedgerConsistent } from '../helpers/ledger-check';

// Reports read Postgres only: a real database, the real app, and a Temporal client that is never used.
let db: TestDatabase;
let server: Server;
let url: string;
beforeAll(async () => {
  db = await createTestDatabase();
  const app = createApp({
    sql: db.sql,
    client: new Client({ connection: Connection.lazy({ address: '127.0.0.1:1' }) }),
    taskQueue: 'unused',
    namespace: 'default',
    apiToken: TEST_TOKEN,
    publicUrl: 'http://localhost:3000',
    seller: 'Acme Test Ltd',
    temporalUiUrl: 'http://localhost:8233',
    log: createLogger('silent'),
    now: () => new Date('2026-06-30T12:00:00Z'),
  });
  server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  ledger = ledgerWriter(db.sql);
  await seed();
});
afterAll(async () => {
  await new Promise((r) => server?.close(r));
  try {
    if (db) await expectLedgerConsistent(db.sql);
  } finally {
    await db?.drop();
  }
});

const get = async (path: string, token: string | null = TEST_TOKEN) => {
  const res = await fetch(url + path, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  const body: any = res.headers.get('content-type')?.includes('json') ? await res.json() : await res.text();
  return { status: res.status, type: res.headers.get('content-type') ?? '', body };
};

let ledger: LedgerWriter;
const ids = { acme: randomUUID(), berlin: randomUUID(), chicago: randomUUID() };
const customer = (id: string, name: string, timeZone: string, currency: string) => ledger.customer(name, timeZone, currency, id);
const invoice: LedgerWriter['invoice'] = (...args) => ledger.invoice(...args);

/** The hand-checked dataset; expected figures as of 2026-06-30 are worked out beside each line. */
async function seed() {
  await customer(ids.acme, 'Acme', 'UTC', 'USD');
  await customer(ids.berlin, 'Berlin GmbH', 'Europe/Berlin', 'EUR');
  await customer(ids.chicago, 'Chicago Inc', 'America/Chicago', 'USD');
  await invoice(ids.acme, 'USD', 10_000, '2026-06-01', '2026-07-15T23:59:59.999Z'); // A1 not yet due: current 10,000
  await invoice(ids.acme, 'USD', 20_000, '2026-05-20', '2026-06-20T23:59:59.999Z', [['2026-06-25T10:00:00Z', pay(5_000)]]); // A2 10 days: 1-30, 15,000
  await invoice(ids.acme, 'USD', 30_000, '2026-04-15', '2026-05-15T23:59:59.999Z', [
    // A3 46 days: 31-60
    ['2026-05-29T23:59:59.999Z', fee(450)], // → 30,450
    ['2026-07-02T10:00:00Z', pay(30_000)], // after the date: not counted on 06-30
  ]);
  await invoice(ids.acme, 'USD', 40_000, '2026-02-01', '2026-03-01T23:59:59.999Z', [
    // A4 121 days: 90+
    ['2026-04-01T10:00:00Z', pay(40_000)], // paid …
    ['2026-06-01T10:00:00Z', refund(10_000)], // … then 10,000 refunded (reopened) → 10,000 owed
  ]);
  await invoice(ids.acme, 'USD', 50_000, '2026-03-10', '2026-04-10T23:59:59.999Z', [['2026-06-01T00:00:00Z', voided]]); // A5 void before: out
  await invoice(ids.acme, 'USD', 60_000, '2026-03-10', '2026-04-10T23:59:59.999Z', [['2026-07-05T00:00:00Z', voided]]); // A6 void after: 61-90 (81 days)
  await invoice(ids.acme, 'USD', 70_000, '2026-07-01', '2026-07-31T23:59:59.999Z'); // A7 issued after the date: out
  await invoice(ids.acme, 'USD', 90_000, '2026-01-01', '2026-02-01T23:59:59.999Z', [['2026-06-15T00:00:00Z', handedOff]]); // A8 written off before: out
  await invoice(ids.berlin, 'EUR', 70_000, '2026-06-01', '2026-06-30T21:59:59.999Z'); // B1 due end of 06-30 Berlin: current
  await invoice(ids.berlin, 'EUR', 10_000, '2026-05-01', '2026-06-01T21:59:59.999Z', [
    // B2 29 days: 1-30
    ['2026-06-30T22:30:00Z', pay(10_000)], // 00:30 on 1 July in Berlin: after the date there
  ]);
  await invoice(ids.chicago, 'USD', 80_000, '2026-04-30', '2026-05-31T04:59:59.999Z', [
    // C1 end of 05-30 in Chicago: 31 days → 31-60 (29 → 1-30 if read in UTC)
    ['2026-06-30T20:00:00Z', pay(1_000)], // 15:00 on 30 June in Chicago: before the date ends there → 79,000
  ]);
  await invoice(ids.chicago, 'USD', 25_000, '2026-06-10', '2026-07-10T04:59:59.999Z', [
    // C2 paid: out
    ['2026-06-20T03:00:00Z', pay(25_000)], // 22:00 on 19 June in Chicago: paid after 9 days there (10 in UTC)
  ]);
}

describe('GET /api/reports/aging', () => {
  it('buckets what was owed at the end of the date, per currency and per customer, on each customer calendar', async () => {
    const res = await get('/api/reports/aging?asOf=2026-06-30');
    expect(res.status).toBe(200);
    expect(res.body.buckets).toEqual(['current', '1-30', '31-60', '61-90', '90+']);
    expect(res.body.totals).toEqual([
      { currency: 'EUR', buckets: { current: 70_000, '1-30': 10_000, '31-60': 0, '61-90': 0, '90+': 0 }, totalCents: 80_000, invoices: 2 },
      {
        currency: 'USD',
        buckets: { current: 10_000, '1-30': 15_000, '31-60': 109_450, '61-90': 60_000, '90+': 10_000 },
        totalCents: 204_450,
        invoices: 6,
      },
    ]);
    expect(res.body.customers).toEqual([
      {
        customerId: ids.acme,
        name: 'Acme',
        currency: 'USD',
        buckets: { current: 10_000, '1-30': 15_000, '31-60': 30_450, '61-90': 60_000, '90+': 10_000 },
        totalCents: 125_450,
        invoices: 5,
      },
      {
        customerId: ids.berlin,
        name: 'Berlin GmbH',
        currency: 'EUR',
        buckets: { current: 70_000, '1-30': 10_000, '31-60': 0, '61-90': 0, '90+': 0 },
        totalCents: 80_000,
        invoices: 2,
      },
      {
        customerId: ids.chicago,
        name: 'Chicago Inc',
        currency: 'USD',
        buckets: { current: 0, '1-30': 0, '31-60': 79_000, '61-90': 0, '90+': 0 },
        totalCents: 79_000,
        invoices: 1,
      },
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
      `${ids.chicago},Chicago Inc,USD,0,0,79000,0,0,79000,1`,
      '',
    ]);
  });

  it("defaults to now, each customer's today, and refuses bad input", async () => {
    expect((await get('/api/reports/aging')).body).toMatchObject({ asOf: null, at: '2026-06-30T12:00:00.000Z' });
    for (const bad of ['asOf=2026-13-01', 'asOf=yesterday', 'format=xml', 'colour=blue']) {
      const res = await get(`/api/reports/aging?${bad}`);
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('VALIDATION');
    }
    expect((await get('/api/reports/aging', null)).status).toBe(401);
  });
});

describe('GET /api/reports/kpis', () => {
  it('June on the hand-checked dataset: receivables, flows and the KPIs per currency, on each customer calendar', async () => {
    const res = await get('/api/reports/kpis?from=2026-06-01&to=2026-06-30');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ from: '2026-06-01', to: '2026-06-30', days: 30 });
    const [eur, usd] = res.body.currencies;
    // EUR: opening B2 10,000; B1 70,000 issued; B2's payment fell on 1 July in Berlin; closing 80,000 of which 70,000 not yet due.
    expect(eur).toEqual({
      currency: 'EUR',
      openingReceivablesCents: 10_000,
      billedCents: 70_000,
      invoicedCents: 70_000,
      invoicesIssued: 1,
      lateFeesCents: 0,
      voidedCents: 0,
      collectedCents: 0,
      paymentsCents: 0,
      refundsCents: 0,
      writtenOffCents: 0,
      closingReceivablesCents: 80_000,
      closingCurrentCents: 70_000,
      dso: 34.3, // 80,000 / 70,000 × 30
      ceiPercent: 0, // (10,000 + 70,000 − 80,000) / (10,000 + 70,000 − 70,000)
      averageDaysToPay: null,
      invoicesPaid: 0,
      badDebtPercent: 0,
    });
    // USD opening (end of 31 May): A2 20,000 + A3 30,450 + A5 50,000 (voided at 00:00 on 1 June) + A6 60,000 + A8 90,000 + C1 80,000.
    // June: A1 10,000 and C2 25,000 issued, A5 voided (a 50,000 credit note), A2 5,000, C1 1,000 and C2 25,000 paid, A4 10,000
    // refunded, A8 90,000 written off. Opening + billed − collected − written off = closing: 330,450 − 15,000 − 21,000 − 90,000 = 204,450.
    expect(usd).toEqual({
      currency: 'USD',
      openingReceivablesCents: 330_450,
      billedCents: -15_000,
      invoicedCents: 35_000,
      invoicesIssued: 2,
      lateFeesCents: 0,
      voidedCents: 50_000,
      collectedCents: 21_000,
      paymentsCents: 31_000,
      refundsCents: 10_000,
      writtenOffCents: 90_000,
      closingReceivablesCents: 204_450,
      closingCurrentCents: 10_000,
      dso: null, // no net sales: undefined, not a number
      ceiPercent: 36.3, // (330,450 − 15,000 − 204,450) / (330,450 − 15,000 − 10,000) = 36.34 %
      averageDaysToPay: 9, // C2: 10 June → 19 June in Chicago
      invoicesPaid: 1,
      badDebtPercent: null,
    });
  });

  it('July: the Berlin payment of 1 July local time, the fee and voids that follow', async () => {
    const { body } = await get('/api/reports/kpis?from=2026-07-01&to=2026-07-31');
    const eur = body.currencies.find((c: { currency: string }) => c.currency === 'EUR');
    // B2 paid on 1 July in Berlin, 61 days after its issue on 1 May; B1 (70,000) stays, now 31 days overdue.
    expect(eur).toMatchObject({
      openingReceivablesCents: 80_000,
      collectedCents: 10_000,
      closingReceivablesCents: 70_000,
      closingCurrentCents: 0,
      averageDaysToPay: 61,
      invoicesPaid: 1,
      ceiPercent: 12.5,
      dso: null,
    });
    const usd = body.currencies.find((c: { currency: string }) => c.currency === 'USD');
    // A7 70,000 issued, A6 60,000 voided; A3 paid 30,000 (450 fee left); closing: A1 10,000 + A2 15,000 + A3 450 + A4 10,000 + A7 70,000 + C1 79,000.
    expect(usd).toMatchObject({
      openingReceivablesCents: 204_450,
      billedCents: 10_000,
      voidedCents: 60_000,
      collectedCents: 30_000,
      closingReceivablesCents: 184_450,
      dso: 571.8,
      badDebtPercent: 0,
    });
  });

  it('exports CSV, defaults to the last 30 days and refuses bad input', async () => {
    const csv = await get('/api/reports/kpis?from=2026-06-01&to=2026-06-30&format=csv');
    expect(csv.type).toContain('text/csv');
    const [header, eur, usd] = csv.body.split('\n');
    expect(header).toBe(
      'from,to,days,currency,opening_receivables_cents,billed_cents,invoiced_cents,invoices_issued,late_fees_cents,voided_cents,collected_cents,payments_cents,refunds_cents,written_off_cents,closing_receivables_cents,closing_current_cents,dso,cei_percent,average_days_to_pay,invoices_paid,bad_debt_percent',
    );
    expect(eur).toBe('2026-06-01,2026-06-30,30,EUR,10000,70000,70000,1,0,0,0,0,0,0,80000,70000,34.3,0,,0,0');
    expect(usd).toBe('2026-06-01,2026-06-30,30,USD,330450,-15000,35000,2,0,50000,21000,31000,10000,90000,204450,10000,,36.3,9,1,');
    expect((await get('/api/reports/kpis')).body).toMatchObject({ from: '2026-06-01', to: '2026-06-30', days: 30 });
    for (const bad of [
      'from=2026-07-01&to=2026-06-01',
      'from=June',
      'to=2026-02-30',
      'from=2000-01-01&to=2026-01-01',
      'format=pdf',
      'currency=USD',
    ]) {
      const res = await get(`/api/reports/kpis?${bad}`);
      expect([bad, res.status, res.body.error?.code]).toEqual([bad, 400, 'VALIDATION']);
    }
    expect((await get('/api/reports/kpis', null)).status).toBe(401);
  });
});
