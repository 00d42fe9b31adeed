import { insertPolicyVersion } from '../src/db/policies';
import { createCustomer, createCustomerSchema } from '../src/services/create-customer';
import { createInvoice } from '../src/services/create-invoice';
import { findPid, rssMiB } from './bench/processes-rss';
import { reportLedgerCheck } from './bench/ledger';
import { startBenchStack } from './bench/stack';

// npm run bench:customers — a wave: BENCH_CUSTOMERS customers × BENCH_INVOICES_PER_CUSTOMER invoices
// whose reminders fall due in the same second. With grouping every customer gets one email for all
// of its invoices. The baseline from the same run: the same customers with one invoice each (one
// reminder, one email each), so the cost of carrying ten invoices in an email shows against carrying one.
const CUSTOMERS = Number(process.env.BENCH_CUSTOMERS ?? 1_000);
const PER_CUSTOMER = Number(process.env.BENCH_INVOICES_PER_CUSTOMER ?? 10);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
const WINDOW_S = Number(process.env.BENCH_GROUPING_WINDOW_S ?? 60);
/** Invoices the local stack issues per second on two cores (bench:scale): how far ahead the wave is set. */
const ISSUE_RATE = Number(process.env.BENCH_ISSUE_RATE ?? 8);

const quantile = (sorted: readonly number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

async function main() {
  const started = Date.now();
  const stack = await startBenchStack({ taskQueue: 'customers', emailRatePerSecond: 1000 });
  const { sql, env } = stack;
  await insertPolicyVersion(sql, { name: 'bench-wave', steps: [{ offset: '0s', template: 'reminder_overdue' }] });
  const worker = process.pid;
  const temporal = await findPid(['start-dev']);
  const samples: number[] = [];
  const sampler = setInterval(() => void rssMiB(worker).then((v) => v !== null && samples.push(v)), 2_000);
  console.log(
    `bench:customers — ${CUSTOMERS.toLocaleString('en')} customers × ${PER_CUSTOMER} invoices whose reminders fall due in the same second ` +
      `(grouping window ${WINDOW_S} s, no gap), then the baseline: the same number of customers with one invoice each; ` +
      `Temporal dev server (in-memory) and the worker in this process`,
  );

  async function wave(label: string, perCustomer: number) {
    const customers: string[] = [];
    for (let i = 0; i < CUSTOMERS; i++) {
      const c = await createCustomer(
        sql,
        createCustomerSchema.parse({
          name: `${label} ${i}`,
          email: `ap${i}@${label}.test`,
          timeZone: 'UTC',
          currency: 'USD',
          reminders: { groupingWindow: `${WINDOW_S}s`, minGap: '0s' },
        }),
        'bench',
      );
      customers.push(c.id);
    }
    const n = CUSTOMERS * perCustomer;
    // The wave's instant: far enough ahead that the stack issues every invoice first.
    const dueAt = Date.now() + Math.max(30_000, (n / ISSUE_RATE) * 1000);
    const ids: string[] = [];
    let next = 0;
    const createStart = Date.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < n) {
          const i = next++;
          const { invoice } = await createInvoice(
            { sql, client: env.client, taskQueue: stack.taskQueue, now: () => new Date() },
            {
              customerId: customers[i % CUSTOMERS]!,
              policy: 'bench-wave',
              dueIn: `${Math.max(1, Math.round((dueAt - Date.now()) / 1000))}s`,
              lines: [{ description: 'Service', quantity: 1, unitAmountCents: 10_000 + i }],
            },
            { actor: 'bench' },
          );
          ids.push(invoice.id);
        }
      }),
    );
    const created = (Date.now() - createStart) / 1000;
    const late = Date.now() > dueAt;
    // Done when every invoice's reminder is recorded as sent.
    const recorded = async () =>
      (
        await sql<{ n: number }[]>`
        SELECT count(*)::int AS n FROM audit_log WHERE entity_type = 'invoice' AND entity_id = ANY(${ids}) AND action = 'invoice.email_sent'
          AND data->>'stepIndex' IS NOT NULL`
      )[0]!.n;
    while ((await recorded()) < n) await new Promise((r) => setTimeout(r, 1_000));
    const emails = await sql<{ at: Date; items: number }[]>`
      SELECT e.created_at AS at, count(i.item_key)::int AS items
      FROM email_log e JOIN email_log_items i ON i.idempotency_key = e.idempotency_key
      WHERE e.customer_id = ANY(${customers}::uuid[]) GROUP BY e.idempotency_key, e.created_at`;
    // Lateness against the instant a batch was due to close: the first reminder's due second plus the window.
    const close = dueAt + WINDOW_S * 1000;
    const lateness = emails.map((e) => e.at.getTime() - close).sort((a, b) => a - b);
    return {
      n,
      created,
      late,
      emails: emails.length,
      items: emails.reduce((a, e) => a + e.items, 0),
      lateness,
      recorded: await recorded(),
    };
  }

  const grouped = await wave('grouped', PER_CUSTOMER);
  const baseline = await wave('single', 1);
  clearInterval(sampler);
  const row = (label: string, a: string, b: string) => console.log(`  ${label.padEnd(44)} ${a.padStart(26)}   ${b}`);
  console.log('');
  row('', `${PER_CUSTOMER} invoices per customer`, 'baseline: 1 invoice per customer (same run)');
  row('invoices (created in)', `${grouped.n} (${grouped.created.toFixed(0)} s)`, `${baseline.n} (${baseline.created.toFixed(0)} s)`);
  row('emails sent in the wave (target: one per customer)', `${grouped.emails}`, `${baseline.emails}`);
  row('invoices whose step was recorded as sent', `${grouped.recorded}`, `${baseline.recorded}`);
  row('reminders carried by those emails', `${grouped.items}`, `${baseline.items}`);
  row(
    'email lateness vs window close p50 / p99 / max',
    `${s(quantile(grouped.lateness, 0.5))} / ${s(quantile(grouped.lateness, 0.99))} / ${s(grouped.lateness.at(-1) ?? NaN)}`,
    `${s(quantile(baseline.lateness, 0.5))} / ${s(quantile(baseline.lateness, 0.99))} / ${s(baseline.lateness.at(-1) ?? NaN)}`,
  );
  if (grouped.late || baseline.late)
    console.log('  (creation ran past the wave instant: raise BENCH_ISSUE_RATE lower, e.g. 5, for a clean wave)');
  row('worker (this process) RSS peak', `${Math.max(...samples)} MiB`, `Temporal ${(await rssMiB(temporal)) ?? 'n/a'} MiB after the run`);
  await reportLedgerCheck(sql, env.client);
  console.log(`  total run ${((Date.now() - started) / 1000).toFixed(0)} s`);
  await stack.stop();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
