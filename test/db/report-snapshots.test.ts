import { randomUUID } from 'node:crypto';
import { readAgingLines, readDailyFlows, refreshReportSnapshots, DAILY_AGING_RETENTION_DAYS } from '../../src/db/report-snapshots';
import { agingLinesAt, flowsByDay, reportTransaction, sumFlows } from '../../src/db/report-sql';
import { addDays } from '../../src/domain/schedule';
import { eventually } from '../helpers/eventually';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { fee, handedOff, ledgerWriter, pay, refund, voided, type Fact, type LedgerWriter } from '../helpers/ledger';
import { expectLedgerConsistent } from '../helpers/ledger-check';

// Snapshots of past days must always say what the live derivation from the ledger says, however the
// ledger is written after they were taken. Each check reads through the snapshots and compares with
// the live SQL on the same data. The database's clock is real: days of 2026 before last week are over.
let db: TestDatabase;
let ledger: LedgerWriter;
const customers: { id: string; currency: string }[] = [];
let today: string;
/** The last day a snapshot may be taken of (before `report_open_from() - 1`). */
let lastOver: string;

beforeAll(async () => {
  db = await createTestDatabase();
  ledger = ledgerWriter(db.sql);
  const [row] = await db.sql<
    { today: string; lastOver: string }[]
  >`SELECT current_date::text AS today, (report_open_from() - 2)::text AS "lastOver"`;
  ({ today, lastOver } = row!);
  await seed();
});
afterAll(async () => {
  try {
    if (db) await expectLedgerConsistent(db.sql);
  } finally {
    await db?.drop();
  }
});

/** A small deterministic PRNG, so the dataset is the same on every run. */
function random(seed: number) {
  return () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return seed / 2 ** 31;
  };
}

const at = (day: string, hourUtc: number) => `${day}T${String(hourUtc).padStart(2, '0')}:00:00.000Z`;

/**
 * 240 invoices from January to October in zones from UTC−11 to UTC+14: partial and full payments,
 * fees, refunds that reopen, voids and write-offs, each fact at an hour that falls on another date
 * in some zones.
 */
async function seed() {
  const r = random(42);
  for (const [name, zone, currency] of [
    ['Pago', 'Pacific/Pago_Pago', 'USD'],
    ['Kiritimati', 'Pacific/Kiritimati', 'USD'],
    ['Berlin', 'Europe/Berlin', 'EUR'],
    ['London', 'Europe/London', 'GBP'],
  ] as const) {
    customers.push({ id: await ledger.customer(name, zone, currency), currency });
  }
  for (let i = 0; i < 240; i++) {
    const { id, currency } = customers[i % customers.length]!;
    const issue = addDays('2026-01-01', Math.floor(r() * 290));
    const due = addDays(issue, 30);
    const total = 1_000 + Math.floor(r() * 99) * 1_000;
    const facts: Fact[] = [];
    const roll = r();
    if (r() < 0.3) facts.push([at(addDays(due, 5), Math.floor(r() * 24)), fee(500)]);
    if (roll < 0.55) {
      const first = Math.floor(total * (r() < 0.5 ? 1 : 0.4));
      facts.push([at(addDays(issue, 3 + Math.floor(r() * 60)), Math.floor(r() * 24)), pay(first)]);
      if (r() < 0.25) facts.push([at(addDays(issue, 70 + Math.floor(r() * 20)), Math.floor(r() * 24)), refund(Math.floor(first / 2))]);
    } else if (roll < 0.65) {
      facts.push([at(addDays(issue, 10), Math.floor(r() * 24)), voided]);
    } else if (roll < 0.72) {
      facts.push([at(addDays(due, 90), Math.floor(r() * 24)), handedOff]);
    }
    await ledger.invoice(
      id,
      currency,
      total,
      issue,
      at(due, 23),
      facts.filter(([when]) => when < new Date().toISOString()),
    );
  }
}

// What the reports read, through the snapshots (taking them where missing) …
const agingRead = (asOf: string) =>
  readAgingLines(db.sql, asOf, (tx, lines) => tx`SELECT * FROM (${lines}) l ORDER BY customer_id, currency, bucket`);
const flowsRead = (from: string, to: string) =>
  readDailyFlows(db.sql, from, to, (tx, days) => tx`SELECT * FROM (${sumFlows(tx, days)}) f ORDER BY currency`);
// … and the same figures derived live from the ledger.
const agingLive = (asOf: string) =>
  reportTransaction(db.sql, (tx) => tx`SELECT * FROM (${agingLinesAt(tx, asOf)}) l ORDER BY customer_id, currency, bucket`);
const flowsLive = (from: string, to: string) =>
  reportTransaction(db.sql, (tx) => tx`SELECT * FROM (${sumFlows(tx, flowsByDay(tx, from, to))}) f ORDER BY currency`);

async function expectAgingAsLive(days: string[]) {
  for (const day of days) expect([day, await agingRead(day)]).toEqual([day, await agingLive(day)]);
}
async function expectFlowsAsLive(periods: [string, string][]) {
  for (const [from, to] of periods) expect([from, to, await flowsRead(from, to)]).toEqual([from, to, await flowsLive(from, to)]);
}

const validity = async (day: string) =>
  (await db.sql<{ valid: boolean }[]>`SELECT valid FROM aging_snapshots WHERE as_of = ${day}`)[0]?.valid ?? null;
const flowDayStored = async (day: string) => (await db.sql`SELECT 1 FROM report_flow_days WHERE day = ${day}`).length > 0;
const pastDays = [
  '2026-01-31',
  '2026-02-14',
  '2026-03-31',
  '2026-04-15',
  '2026-05-31',
  '2026-06-30',
  '2026-07-01',
  '2026-08-20',
  '2026-09-30',
  '2026-10-15',
];
const periods: [string, string][] = [
  ['2026-01-01', '2026-01-31'],
  ['2026-04-01', '2026-06-30'],
  ['2026-01-01', '2026-10-31'],
];

describe('reading past days', () => {
  it('takes each day over once and reads it back as the ledger says', async () => {
    await expectAgingAsLive(pastDays);
    await expectFlowsAsLive(periods);
    for (const day of pastDays) expect(await validity(day)).toBe(true);
    const [stored] = await db.sql<{ lines: number; days: number }[]>`
      SELECT (SELECT count(*) FROM aging_snapshot_lines)::int AS lines, (SELECT count(*) FROM report_flow_days WHERE day BETWEEN '2026-01-01' AND '2026-10-31')::int AS days`;
    expect(stored!.lines).toBeGreaterThan(pastDays.length);
    expect(stored!.days).toBe(304);
    // The stored lines are the figures: a second read changes nothing and takes nothing.
    const takenAt = await db.sql`SELECT as_of, taken_at FROM aging_snapshots ORDER BY as_of`;
    await expectAgingAsLive(pastDays);
    expect(await db.sql`SELECT as_of, taken_at FROM aging_snapshots ORDER BY as_of`).toEqual(takenAt);
  });

  it('computes days some customer may still be living live, and never stores them', async () => {
    const recent = [addDays(lastOver, 1), addDays(lastOver, 2), today, addDays(today, 1)];
    await expectAgingAsLive(recent);
    await expectFlowsAsLive([[addDays(lastOver, -5), addDays(today, 1)]]);
    for (const day of recent) {
      expect(await validity(day)).toBeNull();
      expect(await flowDayStored(day)).toBe(false);
    }
    expect(await flowDayStored(lastOver)).toBe(true);
  });
});

describe('writes after snapshots were taken', () => {
  beforeAll(async () => {
    await expectAgingAsLive(pastDays);
    await expectFlowsAsLive(periods);
  });

  it('a payment, fee, void or write-off today leaves every stored day valid', async () => {
    const { id, currency } = customers[0]!;
    const now = new Date().toISOString();
    const a = await ledger.invoice(id, currency, 40_000, '2026-03-01', at('2026-03-31', 23));
    const b = await ledger.invoice(id, currency, 10_000, '2026-03-02', at('2026-04-01', 23));
    const c = await ledger.invoice(id, currency, 20_000, '2026-03-03', at('2026-04-02', 23));
    // Those three inserts were back-dated: take the days again before today's writes.
    await expectAgingAsLive(pastDays);
    await expectFlowsAsLive(periods);
    await ledger.happen(a, [
      [now, fee(700)],
      [now, pay(15_000)],
    ]);
    await ledger.happen(b, [[now, voided]]);
    await ledger.happen(c, [[now, handedOff]]);
    for (const day of pastDays) expect(await validity(day)).toBe(true);
    await expectAgingAsLive(pastDays);
    await expectFlowsAsLive(periods);
  });

  it('an invoice imported with a past issue date invalidates the days from its issue date on', async () => {
    const { id, currency } = customers[1]!;
    await ledger.invoice(id, currency, 12_345, '2026-05-10', at('2026-06-09', 23));
    expect(await Promise.all(pastDays.map(validity))).toEqual(pastDays.map((day) => day < '2026-05-10'));
    expect(await flowDayStored('2026-05-09')).toBe(true);
    expect(await flowDayStored('2026-05-10')).toBe(false);
    await expectAgingAsLive(pastDays);
    await expectFlowsAsLive(periods);
    const june = (await agingRead('2026-06-30')) as unknown as { customer_id: string; bucket: string; cents: number }[];
    const live = (await agingLive('2026-06-30')) as unknown as typeof june;
    expect(june.find((l) => l.customer_id === id && l.bucket === '1-30')?.cents).toBe(
      live.find((l) => l.customer_id === id && l.bucket === '1-30')?.cents,
    );
  });

  it('unapplied cash applied today counts from the day it was received', async () => {
    const { id, currency } = customers[2]!;
    const invoiceId = await ledger.invoice(id, currency, 30_000, '2026-01-05', at('2026-02-04', 23));
    await expectAgingAsLive(pastDays);
    await expectFlowsAsLive(periods);
    // Received on 20 August, matched to no invoice then (no booking date, no report figure) …
    const paymentId = `pi_${randomUUID()}`;
    await db.sql`INSERT INTO unapplied_payments (source, id, amount_cents, currency, reason, received_at)
                 VALUES ('stripe', ${paymentId}, 30_000, ${currency}, 'no invoice reference', '2026-08-20T10:00:00Z')`;
    for (const day of pastDays) expect(await validity(day)).toBe(true);
    // … and applied to the invoice today (claimed, then applied): the ledger row is booked on 20 August.
    await db.sql`UPDATE unapplied_payments SET status = 'applying', claimed_invoice_id = ${invoiceId}, claimed_at = now() WHERE id = ${paymentId}`;
    await ledger.happen(invoiceId, [
      [new Date().toISOString(), pay(30_000, paymentId, { receivedAt: '2026-08-20T10:00:00.000Z', unappliedSource: 'stripe' })],
    ]);
    expect(await db.sql`SELECT status FROM unapplied_payments WHERE id = ${paymentId}`).toEqual([{ status: 'applied' }]);
    expect(await Promise.all(pastDays.map(validity))).toEqual(pastDays.map((day) => day < '2026-08-20'));
    await expectAgingAsLive(pastDays);
    await expectFlowsAsLive(periods);
    const [august] = (await flowsRead('2026-08-20', '2026-08-20')) as unknown as { currency: string; paymentsCents: number }[];
    expect(august).toMatchObject({ currency: 'EUR' });
    expect(august!.paymentsCents).toBeGreaterThanOrEqual(30_000);
  });

  it('a gateway event delivered late counts its payment and fee from the days they happened', async () => {
    const { id, currency } = customers[0]!;
    const invoiceId = await ledger.invoice(id, currency, 60_000, '2026-01-10', at('2026-02-09', 23));
    await expectAgingAsLive(pastDays);
    await expectFlowsAsLive(periods);
    // A Stripe retry that arrives now for a payment made on 15 July, and the fee of 1 March recorded with it.
    await ledger.happen(invoiceId, [
      [at('2026-03-01', 12), fee(900)],
      [at('2026-07-15', 12), pay(20_000)],
    ]);
    expect(await Promise.all(pastDays.map(validity))).toEqual(pastDays.map((day) => day < '2026-03-01'));
    expect(await flowDayStored('2026-02-28')).toBe(true);
    await expectAgingAsLive(pastDays);
    await expectFlowsAsLive(periods);
  });

  it('a refund today that reopens an invoice paid in the past takes its payment day out of days to pay', async () => {
    const { id, currency } = customers[3]!;
    const invoiceId = await ledger.invoice(id, currency, 8_000, '2026-02-01', at('2026-03-03', 23), [[at('2026-02-21', 12), pay(8_000)]]);
    await expectFlowsAsLive(periods);
    const paidBefore = ((await flowsRead('2026-02-21', '2026-02-21')) as unknown as { currency: string; invoicesPaid: number }[]).find(
      (f) => f.currency === 'GBP',
    )!.invoicesPaid;
    await ledger.happen(invoiceId, [[new Date().toISOString(), refund(3_000)]]);
    expect(await flowDayStored('2026-02-20')).toBe(true);
    expect(await flowDayStored('2026-02-21')).toBe(false);
    const paidAfter =
      ((await flowsRead('2026-02-21', '2026-02-21')) as unknown as { currency: string; invoicesPaid: number }[]).find(
        (f) => f.currency === 'GBP',
      )?.invoicesPaid ?? 0;
    expect(paidAfter).toBe(paidBefore - 1);
    await expectAgingAsLive(pastDays);
    await expectFlowsAsLive(periods);
  });

  it('a back-dated write that commits while a snapshot is being taken is in it', async () => {
    const { id, currency } = customers[0]!;
    const day = '2026-09-15';
    expect(await validity(day)).toBeNull();
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let written!: () => void;
    const wrote = new Promise<void>((resolve) => {
      written = resolve;
    });
    const invoiceId = randomUUID();
    const writer = db.sql.begin(async (tx) => {
      await tx`INSERT INTO invoices (id, number, customer_id, currency, total_cents, amount_due_cents, issue_date, due_at, policy_name, policy_version, workflow_id)
               VALUES (${invoiceId}, 'RACE-1', ${id}, ${currency}, 77_000, 77_000, '2026-09-01', '2026-10-01T23:00:00Z', 'standard', 1, ${`invoice-${invoiceId}`})`;
      written();
      await held;
    });
    await wrote;
    const reading = agingRead(day);
    // The reader is blocked on the writer's uncommitted row (Postgres says so), not merely started.
    await eventually(async () => {
      const [blocked] = await db.sql<{ n: number }[]>`
        SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`;
      expect(blocked!.n).toBeGreaterThan(0);
    });
    release();
    await writer;
    const lines = (await reading) as unknown as { customer_id: string; bucket: string; cents: number; n: number }[];
    expect(lines).toEqual(await agingLive(day));
    expect(lines.find((l) => l.customer_id === id && l.bucket === 'current')?.cents).toBeGreaterThanOrEqual(77_000);
    expect(await validity(day)).toBe(true);
  });
});

describe('refreshReportSnapshots (the daily Schedule)', () => {
  it('stores every day over, keeps daily aging for the retention and month ends for good, and re-takes what was invalidated', async () => {
    // A daily snapshot read long ago (not a month end) is past retention.
    await agingRead('2026-02-14');
    const first = await refreshReportSnapshots(db.sql);
    const keepFrom = addDays(lastOver, 1 - DAILY_AGING_RETENTION_DAYS);
    const stored = (await db.sql<{ asOf: string }[]>`SELECT as_of::text AS "asOf" FROM aging_snapshots WHERE valid ORDER BY as_of`).map(
      (r) => r.asOf,
    );
    const monthEnds = stored.filter((d) => d < keepFrom);
    expect(monthEnds.every((d) => addDays(d, 1).endsWith('-01'))).toBe(true);
    expect(monthEnds).toEqual(expect.arrayContaining(['2026-01-31', '2026-02-28', '2026-03-31', '2026-04-30', '2026-05-31', '2026-06-30']));
    expect(stored).not.toContain('2026-02-14');
    expect(stored.filter((d) => d >= keepFrom)).toHaveLength(DAILY_AGING_RETENTION_DAYS);
    expect(stored[stored.length - 1]).toBe(lastOver);
    expect(first.pruned).toBeGreaterThanOrEqual(1);
    const [flowDays] = await db.sql<
      { n: number; first: string; last: string }[]
    >`SELECT count(*)::int AS n, min(day)::text AS first, max(day)::text AS last FROM report_flow_days`;
    expect(flowDays).toEqual({
      n: Math.round((Date.parse(lastOver) - Date.parse('2026-01-01')) / 86_400_000) + 1,
      first: '2026-01-01',
      last: lastOver,
    });

    // Run again: nothing to do.
    expect(await refreshReportSnapshots(db.sql)).toEqual({ agingTaken: [], flowDays: 0, pruned: 0 });

    // A back-dated write invalidates from its day; the next run drops and re-takes exactly those.
    const { id, currency } = customers[1]!;
    const from = addDays(lastOver, -10);
    await ledger.invoice(id, currency, 5_000, from, at(addDays(from, 30), 23));
    const again = await refreshReportSnapshots(db.sql);
    expect(again.agingTaken).toEqual(stored.filter((d) => d >= from));
    expect(again.pruned).toBe(again.agingTaken.length);
    expect(again.flowDays).toBe(11);
    await expectAgingAsLive([from, lastOver, addDays(from, -1)]);
    await expectFlowsAsLive([[addDays(from, -3), today]]);
  });
});
