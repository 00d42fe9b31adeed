import { randomUUID } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import path from 'node:path';
import { insertPolicyVersion } from '../src/db/policies';
import { createCustomer, createCustomerSchema } from '../src/services/create-customer';
import { createInvoice } from '../src/services/create-invoice';
import { startInboxRelay } from '../src/services/inbox-relay';
import { startServerProcess } from './bench/processes';
import { startBenchStack } from './bench/stack';
import type { LoadJob, LoadResult } from './bench/webhook-load';
import { reportLedgerCheck } from './bench/ledger';

// npm run bench:webhooks — signed Stripe events against POST /webhooks/stripe at a steady rate, then
// at peak, with a bare Express JSON endpoint measured the same way in the same run as the upper bound.
const RATE = Number(process.env.BENCH_RATE ?? 200);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 60);
const PEAK_SECONDS = Number(process.env.BENCH_PEAK_SECONDS ?? 10);
const WARMUP_SECONDS = 3;
// Enough invoices that each receives tens of payments, as invoices do, not thousands: a history that
// grows without bound measures Temporal's cost of long histories, not the webhook path.
const INVOICES = Number(process.env.BENCH_INVOICES ?? 400);
const SECRET = `whsec_bench_${randomUUID().replace(/-/g, '')}`;

/** Runs one load phase in a worker thread (scripts/bench/webhook-load) and returns its result. */
function load(url: string, o: Omit<LoadJob, 'url' | 'secret'>): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(path.join(__dirname, 'bench', `webhook-load${path.extname(__filename)}`), {
      workerData: { url, secret: SECRET, ...o } satisfies LoadJob,
    });
    worker.once('message', (result: LoadResult) => {
      resolve(result);
      void worker.terminate();
    });
    worker.once('error', reject);
  });
}

/** The p-th percentile of a phase's latencies (they arrive sorted). */
const percentile = (r: LoadResult, p: number) =>
  r.latenciesMs[Math.min(r.latenciesMs.length - 1, Math.ceil((p / 100) * r.latenciesMs.length) - 1)] ?? NaN;
const rps = (r: LoadResult) => (r.ok + r.non2xx) / r.seconds;
const fmt = (r: LoadResult) => {
  const ms = (p: number) => percentile(r, p).toFixed(1).padStart(6);
  return `${rps(r).toFixed(0).padStart(6)} req/s   p50 ${ms(50)} ms   p99 ${ms(99)} ms   max ${ms(100)} ms   2xx ${r.ok}   non-2xx ${r.non2xx}   errors ${r.errors}`;
};
const p99 = (r: LoadResult) => percentile(r, 99);

async function main() {
  const stack = await startBenchStack({ taskQueue: 'bench-webhooks', emailRatePerSecond: 1000 });
  const { sql, env, taskQueue, log } = stack;
  await insertPolicyVersion(sql, { name: 'bench-slow', steps: [{ offset: '30d', template: 'reminder_overdue' }] });

  // Invoices large enough that 1-cent payments never settle them.
  const customer = await createCustomer(
    sql,
    createCustomerSchema.parse({ name: 'Bench', email: 'ap@bench.test', timeZone: 'UTC', currency: 'USD' }),
    'bench',
  );
  const invoiceIds: string[] = [];
  for (let i = 0; i < INVOICES; i++) {
    const { invoice } = await createInvoice(
      { sql, client: env.client, taskQueue, now: () => new Date() },
      { customerId: customer.id, policy: 'bench-slow', lines: [{ description: 'Bench', quantity: 1, unitAmountCents: 100_000_000 }] },
      { actor: 'bench' },
    );
    invoiceIds.push(invoice.id);
  }

  // As deployed: the API role in its own process (the real entry point), the worker role (workers +
  // relay) in this one. The bare endpoint gets a process of its own too.
  const RELAY_CONCURRENCY = Number(process.env.BENCH_RELAY_CONCURRENCY ?? 4);
  const ours = await startServerProcess(path.join(__dirname, 'api.js'), {
    DATABASE_URL: stack.databaseUrl,
    TEMPORAL_ADDRESS: env.address,
    TASK_QUEUE: taskQueue,
    API_TOKEN: 'bench-token-0123456789',
    STRIPE_WEBHOOK_SECRET: SECRET,
    LOG_LEVEL: 'warn',
  });
  const bare = await startServerProcess(path.join(__dirname, 'bench', 'bare-server.js'), {});

  console.log(
    `bench:webhooks — Stripe payment_intent.succeeded events (distinct, validly signed) against POST /webhooks/stripe; ${INVOICES} invoices; ${process.env.DATABASE_URL ? 'PostgreSQL from DATABASE_URL' : 'embedded PostgreSQL'}, Temporal dev server; API role in its own process, workers + relay in the benchmark's`,
  );

  // The invoices' own start (PDF, issue email, projection) must be over before anything is measured:
  // wait for every issue email, then until the audit trail has not grown for 2 s.
  while ((await sql`SELECT count(*)::int AS n FROM email_log`)[0]!.n < INVOICES) await new Promise((r) => setTimeout(r, 200));
  for (let last = -1, quiet = 0; quiet < 4;) {
    const n = (await sql`SELECT count(*)::int AS n FROM audit_log`)[0]!.n as number;
    quiet = n === last ? quiet + 1 : 0;
    last = n;
    await new Promise((r) => setTimeout(r, 500));
  }

  // Each endpoint is warmed up (JIT, connection pools) at the steady rate before it is measured.
  const steadyPhase = (url: string, seconds: number, tag: string) =>
    load(`${url}/webhooks/stripe`, { mode: 'steady', rate: RATE, seconds, connections: 50, invoiceIds, tag });
  await steadyPhase(bare.url, WARMUP_SECONDS, 'barewarm');
  const steadyBare = await steadyPhase(bare.url, Math.min(SECONDS, 10), 'bare');
  const peakBare = await load(`${bare.url}/webhooks/stripe`, {
    mode: 'peak',
    seconds: PEAK_SECONDS,
    connections: 50,
    invoiceIds,
    tag: 'barepeak',
  });
  // Ours twice at the steady rate: the endpoint on its own (relay paused, events wait in the inbox),
  // then with the relay and the workflows applying payments flat out on the same two cores.
  const warm = await steadyPhase(ours.url, WARMUP_SECONDS, 'warm');
  const alone = await steadyPhase(ours.url, SECONDS, 'alone');
  const relay = await startInboxRelay({ sql, client: env.client, taskQueue, log, concurrency: RELAY_CONCURRENCY });
  const steady = await steadyPhase(ours.url, SECONDS, 'steady');
  const peak = await load(`${ours.url}/webhooks/stripe`, { mode: 'peak', seconds: PEAK_SECONDS, connections: 50, invoiceIds, tag: 'peak' });

  console.log('');
  const row = (phase: string, who: string, r: LoadResult) => console.log(`  ${phase.padEnd(46)} ${who.padEnd(5)} ${fmt(r)}`);
  row(`steady ${RATE} req/s, ${SECONDS} s, relay paused`, 'ours', alone);
  row(`steady ${RATE} req/s, ${SECONDS} s, relay applying`, 'ours', steady);
  row(`steady ${RATE} req/s, ${Math.min(SECONDS, 10)} s`, 'bare', steadyBare);
  row(`peak, 50 connections, ${PEAK_SECONDS} s, relay applying`, 'ours', peak);
  row(`peak, 50 connections, ${PEAK_SECONDS} s`, 'bare', peakBare);
  console.log('');
  console.log(
    `  steady p99 (target ≤ 50 ms), from each request's scheduled send time: ${p99(alone).toFixed(1)} ms alone, ${p99(steady).toFixed(1)} ms with the relay applying; bare ${p99(steadyBare).toFixed(1)} ms`,
  );
  console.log(`  peak ${rps(peak).toFixed(0)} req/s = ${(rps(peak) / rps(peakBare)).toFixed(3)} × bare Express`);
  console.log('  waiting until the relay has delivered everything …');

  // Every stored (acknowledged or in flight when the load stopped) event must end applied exactly once.
  const acknowledged = warm.ok + alone.ok + steady.ok + peak.ok;
  const drainStart = Date.now();
  let applied: number;
  let pending: number;
  let inbox: number;
  for (;;) {
    const [row] = await sql<{ applied: number; pending: number; inbox: number }[]>`
      SELECT (SELECT coalesce(sum(paid_cents), 0)::int FROM invoices) AS applied,
             (SELECT count(*)::int FROM webhook_inbox WHERE status = 'pending') AS pending,
             (SELECT count(*)::int FROM webhook_inbox) AS inbox`;
    ({ applied, pending, inbox } = row!);
    if ((applied >= inbox && pending === 0) || Date.now() - drainStart > 600_000) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  const drainSeconds = (Date.now() - drainStart) / 1000;
  const [counts] = await sql<{ inbox: number; payments: number; distinct: number }[]>`
    SELECT (SELECT count(*)::int FROM webhook_inbox) AS inbox,
           (SELECT count(*)::int FROM payments WHERE status = 'applied') AS payments,
           (SELECT count(DISTINCT id)::int FROM payments WHERE status = 'applied') AS distinct`;

  console.log(
    `  acknowledged (2xx) ${acknowledged}, stored in the inbox ${counts!.inbox} (2xx + in flight when the load stopped), 1-cent payments applied ${applied}, payment rows ${counts!.payments} (distinct ids ${counts!.distinct})`,
  );
  console.log(
    `  lost ${Math.max(0, inbox - applied)}, applied twice ${Math.max(0, applied - inbox) + (counts!.payments - counts!.distinct)}; relay (concurrency ${RELAY_CONCURRENCY}) caught up ${drainSeconds.toFixed(1)} s after the load ended`,
  );

  await reportLedgerCheck(stack.sql, stack.env.client);
  await relay.stop();
  await ours.stop();
  await bare.stop();
  await stack.stop();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
