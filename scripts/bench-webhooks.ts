import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import { Worker } from 'node:worker_threads';
import path from 'node:path';
import autocannon from 'autocannon';
import express from 'express';
import { insertPolicyVersion } from '../src/db/policies';
import { stripeAdapter } from '../src/gateways/stripe';
import { createApp } from '../src/http/app';
import { createCustomer, createCustomerSchema } from '../src/services/create-customer';
import { createInvoice } from '../src/services/create-invoice';
import { startInboxRelay } from '../src/services/inbox-relay';
import { startBenchStack } from './bench/stack';

// npm run bench:webhooks — signed Stripe events against POST /webhooks/stripe at a steady rate, then
// at peak, with a bare Express JSON endpoint measured the same way in the same run as the upper bound.
const RATE = Number(process.env.BENCH_RATE ?? 200);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 60);
const PEAK_SECONDS = Number(process.env.BENCH_PEAK_SECONDS ?? 10);
const INVOICES = 40;
const SECRET = `whsec_bench_${randomUUID().replace(/-/g, '')}`;

function listen(app: express.Express): Promise<{ server: Server; url: string }> {
  return new Promise((resolve) => {
    const server = app.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${(server.address() as { port: number }).port}` }));
  });
}

/** Runs autocannon in a worker thread (scripts/bench/webhook-load) and returns its result. */
function load(url: string, o: { rate?: number; seconds: number; connections: number; invoiceIds: string[]; tag: string }): Promise<autocannon.Result & { seconds: number }> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(path.join(__dirname, 'bench', `webhook-load${path.extname(__filename)}`), { workerData: { url, secret: SECRET, ...o } });
    // In a worker thread autocannon returns encoded histograms; aggregate them here.
    worker.once('message', (raw: unknown) => {
      const result = (autocannon as unknown as { aggregateResult(r: unknown[], o: object): autocannon.Result }).aggregateResult([raw], { url, connections: o.connections });
      resolve({ ...result, seconds: o.seconds });
      void worker.terminate();
    });
    worker.once('error', reject);
  });
}

/** Answered requests per second over the run (the aggregated result carries no usable duration). */
const rps = (r: autocannon.Result & { seconds: number }) => (r['2xx'] + r.non2xx) / r.seconds;
const fmt = (r: autocannon.Result & { seconds: number }) =>
  `${rps(r).toFixed(0).padStart(6)} req/s   p50 ${String(r.latency.p50).padStart(3)} ms   p99 ${String(r.latency.p99).padStart(4)} ms   2xx ${r['2xx']}   non-2xx ${r.non2xx}   errors ${r.errors}   timeouts ${r.timeouts}`;

async function main() {
  const stack = await startBenchStack({ taskQueue: 'bench-webhooks', emailRatePerSecond: 1000 });
  const { sql, env, taskQueue, log } = stack;
  await insertPolicyVersion(sql, { name: 'bench-slow', steps: [{ offset: '30d', template: 'reminder_overdue' }] });

  // Invoices large enough that 1-cent payments never settle them.
  const customer = await createCustomer(sql, createCustomerSchema.parse({ name: 'Bench', email: 'ap@bench.test', timeZone: 'UTC', currency: 'USD' }), 'bench');
  const invoiceIds: string[] = [];
  for (let i = 0; i < INVOICES; i++) {
    const { invoice } = await createInvoice({ sql, client: env.client, taskQueue, now: () => new Date() }, { customerId: customer.id, policy: 'bench-slow', lines: [{ description: 'Bench', quantity: 1, unitAmountCents: 100_000_000 }] }, { actor: 'bench' });
    invoiceIds.push(invoice.id);
  }

  const RELAY_CONCURRENCY = Number(process.env.BENCH_RELAY_CONCURRENCY ?? 4);
  const relay = startInboxRelay({ sql, client: env.client, taskQueue, log, intervalMs: 200, concurrency: RELAY_CONCURRENCY });
  const ours = await listen(createApp({
    sql, client: env.client, taskQueue, namespace: 'default', apiToken: 'bench-token-0123456789', publicUrl: 'http://localhost:3000',
    temporalUiUrl: 'http://localhost:8233', log, now: () => new Date(), relay,
  }, [stripeAdapter(SECRET)]));
  const bareApp = express();
  bareApp.post('/webhooks/stripe', express.json({ limit: '1mb' }), (_req, res) => void res.json({ received: true }));
  const bare = await listen(bareApp);

  console.log(`bench:webhooks — Stripe payment_intent.succeeded events (distinct, validly signed) against POST /webhooks/stripe; ${INVOICES} invoices; ${process.env.DATABASE_URL ? 'PostgreSQL from DATABASE_URL' : 'embedded PostgreSQL'}, Temporal dev server, relay in-process`);

  // The bare endpoint first, on an idle machine; then ours, whose relay and workflows keep working after.
  const steadyBare = await load(`${bare.url}/webhooks/stripe`, { rate: RATE, seconds: Math.min(SECONDS, 10), connections: 20, invoiceIds, tag: 'bare' });
  const peakBare = await load(`${bare.url}/webhooks/stripe`, { seconds: PEAK_SECONDS, connections: 50, invoiceIds, tag: 'barepeak' });
  const steady = await load(`${ours.url}/webhooks/stripe`, { rate: RATE, seconds: SECONDS, connections: 20, invoiceIds, tag: 'steady' });
  const peak = await load(`${ours.url}/webhooks/stripe`, { seconds: PEAK_SECONDS, connections: 50, invoiceIds, tag: 'peak' });

  // Every stored (acknowledged or in flight when the load stopped) event must end applied exactly once.
  const acknowledged = steady['2xx'] + peak['2xx'];
  const drainStart = Date.now();
  let applied = 0;
  let pending = 0;
  let inbox = 0;
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

  console.log('');
  console.log(`  steady ${RATE} req/s for ${SECONDS} s   ours  ${fmt(steady)}`);
  console.log(`  steady ${RATE} req/s for ${Math.min(SECONDS, 10)} s   bare  ${fmt(steadyBare)}`);
  console.log(`  peak, 50 connections, ${PEAK_SECONDS} s    ours  ${fmt(peak)}`);
  console.log(`  peak, 50 connections, ${PEAK_SECONDS} s    bare  ${fmt(peakBare)}`);
  console.log('');
  console.log(`  steady p99 ${steady.latency.p99} ms (target ≤ 50 ms); peak ${rps(peak).toFixed(0)} req/s = ${(rps(peak) / rps(peakBare)).toFixed(3)} × bare Express`);
  console.log(`  acknowledged (2xx) ${acknowledged}, stored in the inbox ${counts!.inbox} (2xx + in flight when the load stopped), 1-cent payments applied ${applied}, payment rows ${counts!.payments} (distinct ids ${counts!.distinct})`);
  console.log(`  lost ${Math.max(0, inbox - applied)}, applied twice ${Math.max(0, applied - inbox) + (counts!.payments - counts!.distinct)}; relay (concurrency ${RELAY_CONCURRENCY}) caught up ${drainSeconds.toFixed(1)} s after the load ended`);

  await relay.stop();
  ours.server.close();
  bare.server.close();
  await stack.stop();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
