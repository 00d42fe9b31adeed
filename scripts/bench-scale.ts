import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { configSchema } from '../src/config';
import { createCustomer, createCustomerSchema } from '../src/services/create-customer';
import { createInvoice } from '../src/services/create-invoice';
import { devServerExecutable } from '../src/temporal/binaries';
import { DEV_SERVER_SQLITE_ARGS } from '../src/temporal/dev-server';
import { SEARCH_ATTRIBUTES } from '../src/temporal/search-attributes';
import { reportLedgerCheck } from './bench/ledger';
import { createBenchDatabase } from './bench/database';
import { startServerProcess } from './bench/processes';
import { findPid, rssMiB } from './bench/processes-rss';

// npm run bench:scale — loads BENCH_SCALE_INVOICES (100,000) open invoices, due in 90 days, on the
// local stack as separate processes (Temporal dev server on a SQLite file, the worker role, the API
// role), then measures what an engine with that many open invoices costs and how fast it answers.
const N = Number(process.env.BENCH_SCALE_INVOICES ?? 100_000);
const CONCURRENCY = Number(process.env.BENCH_SCALE_CONCURRENCY ?? 16);
// Invoices created but not yet issued and projected, at most: a load the stack can absorb instead of
// a flood that overloads the dev server ("context deadline exceeded") and makes everything slower.
const IN_FLIGHT = Number(process.env.BENCH_SCALE_IN_FLIGHT ?? 400);
const CACHE = process.env.WORKFLOW_CACHE_SIZE ?? String(configSchema.shape.WORKFLOW_CACHE_SIZE.parse(undefined));
const TOKEN = 'bench-scale-token-0123456789';
const TASK_QUEUE = 'scale';
const ZONES = ['UTC', 'America/New_York', 'Europe/Berlin', 'Asia/Tokyo', 'Pacific/Auckland', 'America/Los_Angeles'];

const quantile = (sorted: readonly number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
const ms = (v: number) => `${v < 10 ? v.toFixed(1) : v.toFixed(0)} ms`;
const mib = (v: number | null) => (v === null ? 'n/a' : `${v} MiB`);

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await fn();
  return performance.now() - started;
}

/** `count` calls of `fn` by `concurrency` callers; the latencies, sorted. */
async function latencies(count: number, concurrency: number, fn: (i: number) => Promise<unknown>): Promise<number[]> {
  const out: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const i = next++;
        out.push(await timed(() => fn(i)));
      }
    }),
  );
  return out.sort((a, b) => a - b);
}

async function main() {
  const started = Date.now();
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'bench-scale-'));
  const db = await createBenchDatabase({ max: CONCURRENCY + 8 });
  const { sql } = db;
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: devServerExecutable(),
      dbFilename: path.join(tmp, 'temporal.sqlite'),
      searchAttributes: [...SEARCH_ATTRIBUTES],
      // BENCH_TEMPORAL_ARGS replaces the SQLite pragmas, e.g. with `--log-level error` alone for the server's defaults.
      extraArgs: process.env.BENCH_TEMPORAL_ARGS?.split(' ').filter(Boolean) ?? ['--log-level', 'error', ...DEV_SERVER_SQLITE_ARGS],
    },
  });
  const port = env.address.split(':').pop()!;
  const temporalPid = await findPid(['start-dev', port]);
  const roleEnv = {
    DATABASE_URL: db.url,
    TEMPORAL_ADDRESS: env.address,
    TASK_QUEUE,
    DATA_DIR: tmp,
    LOG_LEVEL: 'warn',
    // The email queue's provider limit is not what this measures.
    EMAIL_RATE_PER_SECOND: '1000',
    WORKFLOW_CACHE_SIZE: CACHE,
    API_TOKEN: TOKEN,
    SDK_METRICS_ADDRESS: 'off',
  };
  const ext = path.extname(__filename);
  // BENCH_WORKER_NODE_ARGS: e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` to see where the worker's time goes.
  const nodeArgs = (process.env.BENCH_WORKER_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const worker = await startServerProcess(path.join(__dirname, `worker${ext}`), roleEnv, 120_000, { health: false, nodeArgs });
  const api = await startServerProcess(path.join(__dirname, `api${ext}`), roleEnv, 120_000);
  const get = async (route: string) => {
    const res = await fetch(api.url + route, { headers: { authorization: `Bearer ${TOKEN}` } });
    if (!res.ok) throw new Error(`GET ${route}: ${res.status} ${await res.text()}`);
    return res.json();
  };

  console.log(
    `bench:scale — ${N.toLocaleString('en')} open invoices (due in 90 days), creation concurrency ${CONCURRENCY}, at most ${IN_FLIGHT} in flight, WORKFLOW_CACHE_SIZE ${CACHE}; ` +
      `Temporal dev server (SQLite file), worker and API as their own processes, ${process.env.DATABASE_URL ? 'PostgreSQL from DATABASE_URL' : 'embedded PostgreSQL'}`,
  );
  const customers: string[] = [];
  for (let i = 0; i < 200; i++) {
    const c = await createCustomer(
      sql,
      createCustomerSchema.parse({
        name: `Scale ${i}`,
        email: `ap${i}@scale.test`,
        timeZone: ZONES[i % ZONES.length],
        currency: 'USD',
        paymentTermsDays: 30,
      }),
      'bench',
    );
    customers.push(c.id);
  }

  // Idle figures first: the baseline the loaded ones are read against.
  const idle = { worker: await rssMiB(worker.pid), temporal: await rssMiB(temporalPid), api: await rssMiB(api.pid) };

  const ids: string[] = [];
  let loading = true;
  const samples: { t: number; created: number; settled: number; worker: number | null; temporal: number | null; api: number | null }[] = [];
  const settledCount = async () =>
    (await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM invoices WHERE next_step_index IS NOT NULL`)[0]!.n;
  const sample = async () => {
    const s = {
      t: (Date.now() - loadStart) / 1000,
      created: ids.length,
      settled: await settledCount(),
      worker: await rssMiB(worker.pid),
      temporal: await rssMiB(temporalPid),
      api: await rssMiB(api.pid),
    };
    samples.push(s);
    return s;
  };
  // Reads while the worker is busiest: what a collector sees during a month-end run.
  const busyReads: number[] = [];
  const reader = (async () => {
    while (loading) {
      if (ids.length > 0) busyReads.push(await timed(() => get(`/api/invoices/${ids[Math.floor(Math.random() * ids.length)]}`)));
      await new Promise((r) => setTimeout(r, 200));
    }
  })();

  const loadStart = Date.now();
  let lastPrint = 0;
  const sampler = setInterval(() => {
    void sample().then((s) => {
      if (s.t - lastPrint < 30) return;
      lastPrint = s.t;
      console.log(
        `  ${s.t.toFixed(0).padStart(5)} s  created ${s.created.toLocaleString('en').padStart(7)}  settled ${s.settled.toLocaleString('en').padStart(7)}  worker ${mib(s.worker)}  Temporal ${mib(s.temporal)}  API ${mib(s.api)}`,
      );
    });
  }, 5_000);

  let next = 0;
  let settled = 0;
  const gate = async () => {
    while (next - settled > IN_FLIGHT) {
      await new Promise((r) => setTimeout(r, 250));
      settled = await settledCount();
    }
  };
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < N) {
        await gate();
        if (next >= N) break;
        const i = next++;
        const { invoice } = await createInvoice(
          { sql, client: env.client, taskQueue: TASK_QUEUE, now: () => new Date() },
          {
            customerId: customers[i % customers.length]!,
            dueIn: '90d',
            lines: [{ description: 'Subscription', quantity: 1, unitAmountCents: 10_000 + (i % 997) }],
          },
          { actor: 'bench' },
        );
        ids.push(invoice.id);
      }
    }),
  );
  const createdSeconds = (Date.now() - loadStart) / 1000;
  // Loaded = every invoice issued (PDF, email) and projected with its next step.
  while ((await settledCount()) < N) await new Promise((r) => setTimeout(r, 1_000));
  const loadSeconds = (Date.now() - loadStart) / 1000;
  loading = false;
  await reader;
  // Worker memory once the load is over (does it fall back, or stay with the cache?).
  await new Promise((r) => setTimeout(r, 15_000));
  clearInterval(sampler);
  const after = await sample();
  busyReads.sort((a, b) => a - b);

  const health = await latencies(1_000, 4, () => get('/health'));
  const one = await latencies(2_000, 4, () => get(`/api/invoices/${ids[Math.floor(Math.random() * ids.length)]}`));
  const list = await latencies(200, 4, () => get('/api/invoices?status=open&limit=100'));
  const count = await latencies(5, 1, () => env.client.workflow.count(`InvoiceStatus = 'open'`));
  const page = await latencies(5, 1, async () => {
    for await (const _ of env.client.workflow.list({ query: `InvoiceStatus = 'open' AND AmountDueCents > 10500`, pageSize: 100 })) break;
  });
  const visible = await env.client.workflow.count(`InvoiceStatus = 'open'`);

  const peak = (key: 'worker' | 'temporal' | 'api') => Math.max(...samples.map((s) => s[key] ?? 0));
  const row = (label: string, value: string, baseline = '') => console.log(`  ${label.padEnd(44)} ${value.padStart(22)}   ${baseline}`);
  console.log('');
  row('', 'measured', 'baseline (same run)');
  row('invoices created', `${N.toLocaleString('en')} in ${createdSeconds.toFixed(0)} s`, `${(N / createdSeconds).toFixed(1)} invoices/s`);
  row('loaded (issued and projected)', `${loadSeconds.toFixed(0)} s`, `${(N / loadSeconds).toFixed(1)} invoices/s`);
  row(
    'worker RSS peak / after the load',
    `${mib(peak('worker'))} / ${mib(after.worker)}`,
    `idle ${mib(idle.worker)}; cache ${CACHE} workflows (target ≤ 400 MiB, flat)`,
  );
  row('Temporal server RSS peak / after', `${mib(peak('temporal'))} / ${mib(after.temporal)}`, `idle ${mib(idle.temporal)}`);
  row('API RSS peak / after', `${mib(peak('api'))} / ${mib(after.api)}`, `idle ${mib(idle.api)}`);
  row(
    'GET /api/invoices/:id during the load p50/p99',
    `${ms(quantile(busyReads, 0.5))} / ${ms(quantile(busyReads, 0.99))}`,
    `${busyReads.length} reads`,
  );
  row(
    'GET /api/invoices/:id p50/p99',
    `${ms(quantile(one, 0.5))} / ${ms(quantile(one, 0.99))}`,
    `GET /health ${ms(quantile(health, 0.5))} / ${ms(quantile(health, 0.99))}`,
  );
  row('GET /api/invoices?status=open&limit=100 p50/p99', `${ms(quantile(list, 0.5))} / ${ms(quantile(list, 0.99))}`);
  row(
    'visibility count(open) p50 / max',
    `${ms(quantile(count, 0.5))} / ${ms(count[count.length - 1]!)}`,
    `${visible.count.toLocaleString('en')} open`,
  );
  row('visibility list, first page of 100, p50 / max', `${ms(quantile(page, 0.5))} / ${ms(page[page.length - 1]!)}`);
  console.log('');
  console.log('  RSS over the load (MiB):      t (s)  created  settled   worker  Temporal   API');
  const step = Math.max(1, Math.floor(samples.length / 12));
  for (const s of samples.filter((_, i) => i % step === 0 || i === samples.length - 1)) {
    console.log(
      `  ${''.padEnd(28)} ${s.t.toFixed(0).padStart(6)} ${String(s.created).padStart(8)} ${String(s.settled).padStart(8)} ${String(s.worker ?? '-').padStart(8)} ${String(s.temporal ?? '-').padStart(9)} ${String(s.api ?? '-').padStart(5)}`,
    );
  }
  await reportLedgerCheck(sql, null);
  console.log(`  total run ${((Date.now() - started) / 1000).toFixed(0)} s`);

  await api.stop();
  await worker.stop();
  await env.teardown();
  await db.drop();
  await rm(tmp, { recursive: true, force: true });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
