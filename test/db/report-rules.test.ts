import fc from 'fast-check';
import { agingLinesAt, agingLinesNow, agingBucket, owedCents } from '../../src/db/report-sql';
import { AGING_BUCKETS, agingBucketOf } from '../../src/domain/aging';
import { amountDue } from '../../src/domain/invoice';
import { kpiFigures, NO_FLOWS } from '../../src/domain/kpis';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { agingByCustomer } from '../../src/db/receivables';
import { ledgerWriter, pay, refund } from '../helpers/ledger';
import { expectLedgerConsistent } from '../helpers/ledger-check';

// Each report rule has one definition; where Postgres computes it too, it must give the same answer.
let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  try {
    if (db) await expectLedgerConsistent(db.sql);
  } finally {
    await db?.drop();
  }
});

it('buckets every day past due in Postgres as the domain does', async () => {
  const rows = await db.sql<{ days: number; bucket: string }[]>`
    SELECT days, ${agingBucket(db.sql, 'days')} AS bucket FROM generate_series(-400, 400) AS days`;
  expect(rows).toHaveLength(801);
  for (const { days, bucket } of rows) expect([days, bucket]).toEqual([days, agingBucketOf(days)]);
  expect(new Set(rows.map((r) => r.bucket))).toEqual(new Set(AGING_BUCKETS));
});

it("computes what a ledger leaves owed in Postgres as the domain's amountDue does", async () => {
  const cents = fc.integer({ min: 0, max: 10 ** 12 });
  const ledger = fc.record({
    totalCents: fc.integer({ min: 1, max: 10 ** 12 }),
    feesCents: cents,
    paidCents: cents,
    refundedCents: cents,
    writtenOffCents: cents,
  });
  await fc.assert(
    fc.asyncProperty(fc.array(ledger, { minLength: 1, maxLength: 50 }), async (ledgers) => {
      const rows = await db.sql<{ owed: number }[]>`
        SELECT ${owedCents(db.sql, 'l')}::float8 AS owed
        FROM unnest(${ledgers.map((l) => l.totalCents)}::bigint[], ${ledgers.map((l) => l.feesCents)}::bigint[],
                    ${ledgers.map((l) => l.paidCents)}::bigint[], ${ledgers.map((l) => l.refundedCents)}::bigint[],
                    ${ledgers.map((l) => l.writtenOffCents)}::bigint[])
             WITH ORDINALITY AS l (total_cents, fees_cents, paid_cents, refunded_cents, written_off_cents, n)
        ORDER BY n`;
      expect(rows.map((r) => r.owed)).toEqual(ledgers.map((l) => amountDue({ ...l, currency: 'USD' } as never)));
    }),
    { numRuns: 30 },
  );
});

it("ages open invoices now by each customer's own today, the far east a day ahead of the far west", async () => {
  const ledger = ledgerWriter(db.sql);
  const east = await ledger.customer('Kiritimati Ltd', 'Pacific/Kiritimati', 'USD'); // UTC+14
  const west = await ledger.customer('Pago Pago Inc', 'Pacific/Pago_Pago', 'USD'); // UTC−11
  // At 12:00 UTC on 30 June it is already 02:00 on 1 July in Kiritimati, and 01:00 on 30 June in Pago Pago.
  const now = new Date('2026-06-30T12:00:00Z');
  await ledger.invoice(east, 'USD', 10_000, '2026-06-01', '2026-06-30T09:59:59.999Z'); // due end of 30 June there: 1 day past due
  await ledger.invoice(east, 'USD', 20_000, '2026-06-01', '2026-07-01T09:59:59.999Z'); // due end of 1 July there: current
  await ledger.invoice(west, 'USD', 30_000, '2026-06-01', '2026-06-30T10:59:59.999Z'); // due end of 29 June there: 1 day past due
  await ledger.invoice(west, 'USD', 40_000, '2026-06-01', '2026-07-01T10:59:59.999Z', [['2026-06-29T20:00:00Z', pay(1_000)]]); // due end of 30 June: current
  type Line = { customer_id: string; bucket: string; cents: number; n: number };
  const lines = async (fragment: ReturnType<typeof agingLinesNow>, customerId: string) =>
    (
      await db.sql<
        Line[]
      >`SELECT customer_id, bucket, cents::float8 AS cents, n FROM (${fragment}) l WHERE customer_id = ${customerId} ORDER BY bucket`
    ).map(({ bucket, cents, n }) => ({ bucket, cents, n }));
  expect(await lines(agingLinesNow(db.sql, now), east)).toEqual([
    { bucket: '1-30', cents: 10_000, n: 1 },
    { bucket: 'current', cents: 20_000, n: 1 },
  ]);
  expect(await lines(agingLinesNow(db.sql, now), west)).toEqual([
    { bucket: '1-30', cents: 30_000, n: 1 },
    { bucket: 'current', cents: 39_000, n: 1 },
  ]);
  // The same as the end of each customer's today read as a date, with nothing booked since.
  expect(await lines(agingLinesNow(db.sql, now), east)).toEqual(await lines(agingLinesAt(db.sql, '2026-07-01'), east));
  expect(await lines(agingLinesNow(db.sql, now), west)).toEqual(await lines(agingLinesAt(db.sql, '2026-06-30'), west));
});

it('ages an invoice paid, reopened by a refund and paid again as owing until the second payment', async () => {
  const ledger = ledgerWriter(db.sql);
  const customer = await ledger.customer('Reopened Ltd', 'UTC', 'USD');
  // All in one projection (a burst of events the workflow writes together): the paid date is the last one.
  await ledger.invoice(customer, 'USD', 10_000, '2026-05-01', '2026-05-31T12:00:00Z', [
    ['2026-05-10T10:00:00Z', pay(10_000)],
    ['2026-05-20T10:00:00Z', refund(4_000)],
    ['2026-06-10T10:00:00Z', pay(4_000)],
  ]);
  const [row] = await db.sql<{ paidOn: string }[]>`SELECT paid_on AS "paidOn" FROM invoices WHERE customer_id = ${customer}`;
  expect(row!.paidOn).toBe('2026-06-10');
  const owed = async (asOf: string) =>
    (await agingByCustomer(db.sql, asOf)).filter((r) => r.customerId === customer).reduce((s, r) => s + r.amountCents, 0);
  expect(await owed('2026-05-15')).toBe(0);
  expect(await owed('2026-06-01')).toBe(4_000);
  expect(await owed('2026-06-10')).toBe(0);
});

it("works the KPIs out by DOMAIN.md's formulas", () => {
  // 30 days; opened at 100,000, billed 50,000 + 1,000 fees − 5,000 voided = 46,000; closed at 60,000 of which 20,000 current.
  const k = kpiFigures({
    currency: 'USD',
    days: 30,
    openingCents: 100_000,
    closing: { totalCents: 60_000, currentCents: 20_000 },
    flows: {
      ...NO_FLOWS,
      invoicedCents: 50_000,
      lateFeesCents: 1_000,
      voidedCents: 5_000,
      paymentsCents: 90_000,
      refundsCents: 4_000,
      writtenOffCents: 2_300,
      invoicesPaid: 4,
      daysToPaySum: 90,
    },
  });
  expect(k).toMatchObject({
    billedCents: 46_000,
    collectedCents: 86_000,
    dso: 39.1, // 60,000 / 46,000 × 30
    ceiPercent: 68.3, // (100,000 + 46,000 − 60,000) / (100,000 + 46,000 − 20,000) × 100
    averageDaysToPay: 22.5,
    badDebtPercent: 5, // 2,300 / 46,000 × 100
  });
  expect(
    kpiFigures({ currency: 'USD', days: 30, openingCents: 0, closing: { totalCents: 0, currentCents: 0 }, flows: NO_FLOWS }),
  ).toMatchObject({
    dso: null,
    ceiPercent: null,
    averageDaysToPay: null,
    badDebtPercent: null,
  });
});
