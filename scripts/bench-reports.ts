import type { Server } from 'node:http';
import { Client, Connection } from '@temporalio/client';
import { refreshReportSnapshots } from '../src/db/report-snapshots';
import type { Sql } from '../src/db/client';
import { agingLinesAt, flowsByDay, reportTransaction, sumFlows } from '../src/db/report-sql';
import { createApp } from '../src/http/app';
import { createLogger } from '../src/log';
import { createBenchDatabase } from './bench/database';
import { loadReceivables } from './bench/report-data';
import { reportLedgerCheck } from './bench/ledger';

// npm run bench:reports — loads BENCH_INVOICES (default 1,000,000) invoices into a fresh database and
// times the aging and KPI reports through the real HTTP API, beside two baselines run on the same data.
const INVOICES = Number(process.env.BENCH_INVOICES ?? 1_000_000);
const CUSTOMERS = Number(process.env.BENCH_CUSTOMERS ?? 10_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 15);
const TARGET_MS = 300;
const TOKEN = 'bench-token-0123456789abcdef';

const today = new Date().toISOString().slice(0, 10);
const daysAgo = (n: number) => new Date(Date.parse(`${today}T00:00:00Z`) - n * 86_400_000).toISOString().slice(0, 10);
const fmt = (ms: number) => `${ms.toFixed(1)} ms`;

interface Timing {
  readonly name: string;
  readonly runs: number[];
  readonly target: boolean;
  readonly note?: string;
}

async function time(
  name: string,
  runs: number,
  fn: () => Promise<unknown>,
  o: { target?: boolean; warmups?: number; note?: string } = {},
): Promise<Timing> {
  for (let i = 0; i < (o.warmups ?? 2); i++) await fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await fn();
    times.push(performance.now() - start);
  }
  return { name, runs: times.sort((a, b) => a - b), target: o.target ?? false, ...(o.note ? { note: o.note } : {}) };
}

async function main(): Promise<void> {
  console.log(`bench:reports — ${INVOICES.toLocaleString('en')} invoices, ${CUSTOMERS.toLocaleString('en')} customers, today ${today}`);
  const db = await createBenchDatabase();
  let server: Server | undefined;
  try {
    const loadStart = performance.now();
    await loadReceivables(db.sql, { customers: CUSTOMERS, invoices: INVOICES, today });
    const [counts] = await db.sql<{ invoices: number; open: number; payments: number; fees: number }[]>`
      SELECT (SELECT count(*) FROM invoices)::int AS invoices, (SELECT count(*) FROM invoices WHERE status = 'open')::int AS open,
             (SELECT count(*) FROM payments)::int AS payments, (SELECT count(*) FROM late_fees)::int AS fees`;
    console.log(
      `loaded in ${((performance.now() - loadStart) / 1000).toFixed(1)} s: ${counts!.invoices.toLocaleString('en')} invoices (${counts!.open.toLocaleString('en')} open), ${counts!.payments.toLocaleString('en')} payments, ${counts!.fees.toLocaleString('en')} late fees\n`,
    );

    // The real app; reports read Postgres only, so its Temporal client is never connected.
    const app = createApp({
      sql: db.sql,
      client: new Client({ connection: Connection.lazy({ address: '127.0.0.1:1' }) }),
      taskQueue: 'unused',
      namespace: 'default',
      apiToken: TOKEN,
      publicUrl: 'http://localhost',
      seller: 'Bench Ltd',
      temporalUiUrl: 'http://localhost:8233',
      log: createLogger('silent'),
      now: () => new Date(),
    });
    server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    const get = async (route: string) => {
      const res = await fetch(base + route, { headers: { authorization: `Bearer ${TOKEN}` } });
      if (!res.ok) throw new Error(`${route} answered ${res.status}: ${await res.text()}`);
      return res.text();
    };

    // The daily upkeep as the report-snapshots Schedule runs it; its first run covers the whole book.
    const refreshStart = performance.now();
    const refreshed = await refreshReportSnapshots(db.sql);
    console.log(
      `daily snapshot upkeep, first run: ${((performance.now() - refreshStart) / 1000).toFixed(1)} s (${refreshed.flowDays} days of flows, ${refreshed.agingTaken.length} aging days)`,
    );
    const againStart = performance.now();
    await refreshReportSnapshots(db.sql);
    console.log(`daily snapshot upkeep, next run with nothing new: ${fmt(performance.now() - againStart)}\n`);

    const timings: Timing[] = [];
    timings.push(await time(`GET aging now (each customer's today)`, RUNS, () => get(`/api/reports/aging`), { target: true }));
    timings.push(await time(`GET aging asOf=${today}`, RUNS, () => get(`/api/reports/aging?asOf=${today}`), { target: true }));
    timings.push(
      await time(`GET aging asOf=${today} CSV`, RUNS, () => get(`/api/reports/aging?asOf=${today}&format=csv`), { target: true }),
    );
    timings.push(
      await time(`GET aging asOf=${daysAgo(90)} (90 days ago)`, RUNS, () => get(`/api/reports/aging?asOf=${daysAgo(90)}`), {
        target: true,
      }),
    );
    timings.push(
      await time(`GET kpis last 30 days`, RUNS, () => get(`/api/reports/kpis?from=${daysAgo(29)}&to=${today}`), { target: true }),
    );
    timings.push(
      await time(`GET kpis last quarter (91 days)`, RUNS, () => get(`/api/reports/kpis?from=${daysAgo(90)}&to=${today}`), { target: true }),
    );
    timings.push(
      await time(`GET kpis last year (365 days)`, RUNS, () => get(`/api/reports/kpis?from=${daysAgo(364)}&to=${today}`), { target: true }),
    );
    // First reads with no snapshot to use: a past day the upkeep does not keep, and a year after a
    // back-dated import invalidated its last 200 days (what a reader pays once, before the next upkeep).
    timings.push(
      await time(
        `GET aging asOf=${daysAgo(200)} first read (takes the snapshot)`,
        1,
        () => get(`/api/reports/aging?asOf=${daysAgo(200)}`),
        { warmups: 0, note: 'once' },
      ),
    );
    await backdatedImport(db, daysAgo(200));
    timings.push(
      await time(
        `GET kpis last year, first read after a back-dated import`,
        1,
        () => get(`/api/reports/kpis?from=${daysAgo(364)}&to=${today}`),
        { warmups: 0, note: 'once' },
      ),
    );
    // Baselines on the same data and server: the same figures derived live from the ledger (what
    // the reports did before snapshots), a naive report, and the query before migration 0006.
    timings.push(
      await time(
        `baseline: aging ${daysAgo(90)} derived live`,
        5,
        () => reportTransaction(db.sql, (tx) => tx`${agingLinesAt(tx, daysAgo(90))}`),
        { warmups: 1 },
      ),
    );
    timings.push(
      await time(
        'baseline: a year of flows derived live',
        5,
        () => reportTransaction(db.sql, (tx) => tx`${sumFlows(tx, flowsByDay(tx, daysAgo(364), today))}`),
        { warmups: 1 },
      ),
    );
    timings.push(
      await time(
        'baseline: open balance per currency (one scan, no as-of)',
        RUNS,
        () => db.sql`SELECT currency, sum(amount_due_cents) FROM invoices WHERE status = 'open' GROUP BY currency`,
      ),
    );
    timings.push(
      await time('baseline: aging by ledger rebuild of every invoice', 3, () => naiveAging(db, today), {
        warmups: 1,
        note: 'the pre-0006 query',
      }),
    );

    const width = Math.max(...timings.map((t) => t.name.length));
    console.log(`${'report'.padEnd(width)}  ${'p50'.padStart(10)}  ${'min'.padStart(10)}  ${'max'.padStart(10)}  target`);
    for (const t of timings) {
      const p50 = t.runs[Math.floor(t.runs.length / 2)]!;
      const verdict = t.target ? `≤ ${TARGET_MS} ms ${p50 <= TARGET_MS ? 'met' : 'MISSED'}` : '—';
      console.log(
        `${t.name.padEnd(width)}  ${fmt(p50).padStart(10)}  ${fmt(t.runs[0]!).padStart(10)}  ${fmt(t.runs[t.runs.length - 1]!).padStart(10)}  ${verdict}${t.note ? ` (${t.note})` : ''}`,
      );
    }
    console.log(
      `\n${RUNS} timed runs each after 2 warm-ups (first reads: one run; live baselines: 5 after 1; rebuild: 3 after 1), sequential, through HTTP for the reports.`,
    );
    // The book is loaded in SQL (no workflows): Postgres is checked against the ledger identity.
    await reportLedgerCheck(db.sql, null);
  } finally {
    await new Promise((r) => (server ? server.close(r) : r(undefined)));
    await db.drop();
  }
}

/** An ERP import of one invoice issued on `issueDate`: a back-dated write that invalidates snapshots from that day. */
async function backdatedImport(db: { sql: Sql }, issueDate: string) {
  await db.sql`INSERT INTO invoices (id, number, customer_id, currency, total_cents, amount_due_cents, issue_date, due_at, policy_name, policy_version, workflow_id)
               SELECT gen_random_uuid(), 'IMPORTED-1', id, currency, 123_400, 123_400, ${issueDate}, ${issueDate}::date + 30, 'standard', 1, 'invoice-imported-1'
               FROM customers ORDER BY id LIMIT 1`;
}

/** The aging query before migration 0006: every invoice's ledger summed up to the date. */
function naiveAging(db: { sql: Sql }, asOf: string) {
  return db.sql`
    WITH inv AS (
      SELECT i.id, i.customer_id, c.name AS customer_name, i.currency, i.total_cents, i.status, i.closed_at,
             (i.due_at AT TIME ZONE c.time_zone)::date AS due_date,
             ((${asOf}::date + 1)::timestamp AT TIME ZONE c.time_zone) AS cutoff
      FROM invoices i JOIN customers c ON c.id = i.customer_id
      WHERE i.issue_date <= ${asOf}::date
    ), due AS (
      SELECT inv.*, greatest(0, inv.total_cents
               + coalesce((SELECT sum(f.amount_cents) FROM late_fees f WHERE f.invoice_id = inv.id AND f.applied_at < inv.cutoff), 0)
               - coalesce((SELECT sum(p.amount_cents) FROM payments p WHERE p.invoice_id = inv.id AND p.kind = 'payment' AND p.status = 'applied' AND p.received_at < inv.cutoff), 0)
               + coalesce((SELECT sum(r.amount_cents) FROM payments r WHERE r.invoice_id = inv.id AND r.kind = 'refund' AND r.status = 'applied' AND r.received_at < inv.cutoff), 0)
             ) AS due_cents,
             ${asOf}::date - inv.due_date AS days_past_due
      FROM inv
      WHERE NOT (inv.status IN ('void', 'uncollectible') AND inv.closed_at IS NOT NULL AND inv.closed_at < inv.cutoff)
    )
    SELECT customer_id, currency,
           CASE WHEN days_past_due <= 0 THEN 'current' WHEN days_past_due <= 30 THEN '1-30' WHEN days_past_due <= 60 THEN '31-60'
                WHEN days_past_due <= 90 THEN '61-90' ELSE '90+' END AS bucket,
           sum(due_cents)::bigint, count(*)::int
    FROM due WHERE due_cents > 0 GROUP BY 1, 2, 3`;
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
