import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { insertPolicyVersion } from '../src/db/policies';
import { createCustomer, createCustomerSchema } from '../src/services/create-customer';
import { createInvoice } from '../src/services/create-invoice';
import { paymentReceivedSignal } from '../workflows/messages';
import { startBenchStack } from './bench/stack';
import type { BaselineShape } from './bench/workflows';
import { reportLedgerCheck } from './bench/ledger';

// npm run bench:workflows — N invoices through issue → 2 reminders → payment → completion on a
// seconds-scale policy, then N bare baseline workflows of the same shape, on the same server and worker.
const N = Number(process.env.BENCH_INVOICES ?? 200);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? N);
// Due at +5 s (so the creation burst is over before reminders fall due, as in real life), reminders
// at +7 s and +9 s, payment at +14 s.
const DUE_IN = '5s';
const PAY_AFTER_MS = 14_000;
const EMAIL_RATE = Number(process.env.EMAIL_RATE_PER_SECOND ?? 1000);

async function pool<T>(items: readonly T[], size: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: size }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;

async function historyShape(client: Client, workflowId: string) {
  const { events } = await client.workflow.getHandle(workflowId).fetchHistory();
  let main = 0,
    email = 0,
    timers = 0,
    signals = 0;
  for (const e of events ?? []) {
    if (e.activityTaskScheduledEventAttributes) {
      if (String(e.activityTaskScheduledEventAttributes.taskQueue?.name).endsWith('-email')) email++;
      else main++;
    }
    if (e.timerStartedEventAttributes) timers++;
    if (e.workflowExecutionSignaledEventAttributes) signals++;
  }
  return { main, email, timers, signals, events: events?.length ?? 0 };
}

/**
 * For the baseline: how late each post-timer email no-op completed against the timer's intended
 * fire instant — the same measure as an invoice reminder's lateness.
 */
async function baselineLateness(client: Client, workflowIds: readonly string[]): Promise<number[]> {
  const out: number[] = [];
  await pool(workflowIds, 20, async (id) => {
    const { events } = await client.workflow.getHandle(id).fetchHistory();
    const ms = (t: any) => Number(t.seconds) * 1000 + Math.floor((t.nanos ?? 0) / 1e6);
    const intended: number[] = [];
    const emailScheduled = new Map<string, boolean>();
    for (const e of events ?? []) {
      const started = e.timerStartedEventAttributes;
      if (started) intended.push(ms(e.eventTime) + ms(started.startToFireTimeout));
      const scheduled = e.activityTaskScheduledEventAttributes;
      if (scheduled && String(scheduled.taskQueue?.name).endsWith('-email')) emailScheduled.set(String(e.eventId), true);
      const completed = e.activityTaskCompletedEventAttributes;
      if (completed && emailScheduled.get(String(completed.scheduledEventId)) && intended.length > 0 && out.length < 1e9) {
        const target = intended.shift();
        if (target !== undefined) out.push(ms(e.eventTime) - target);
      }
    }
  });
  return out.sort((a, b) => a - b);
}

async function main() {
  const stack = await startBenchStack({
    taskQueue: 'bench',
    emailRatePerSecond: EMAIL_RATE,
    workflowsPath: path.join(__dirname, 'bench', `workflows${path.extname(__filename)}`),
    extraActivities: { main: { noop: async () => undefined }, email: { noopEmail: async () => undefined } },
  });
  const { sql, env, taskQueue } = stack;
  await insertPolicyVersion(sql, {
    name: 'bench',
    steps: [
      { offset: '2s', template: 'reminder_overdue' },
      { offset: '4s', template: 'reminder_firm' },
    ],
  });
  let peakRss = 0;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, 100);

  const customers: { id: string }[] = [];
  for (let i = 0; i < Math.ceil(N / 50); i++) {
    customers.push(
      await createCustomer(
        sql,
        createCustomerSchema.parse({
          name: `Bench ${i}`,
          email: `ap${i}@bench.test`,
          timeZone: 'UTC',
          currency: 'USD',
          paymentTermsDays: 30,
        }),
        'bench',
      ),
    );
  }

  console.log(
    `bench:workflows — ${N} invoices and ${N} baseline workflows, concurrency ${CONCURRENCY}, email rate limit ${EMAIL_RATE}/s, Temporal dev server (in-memory), ${process.env.DATABASE_URL ? 'PostgreSQL from DATABASE_URL' : 'embedded PostgreSQL'}`,
  );

  // One warm-up invoice gives the exact shape (activities per queue, timers, signals) to mirror.
  const { invoice: warmup } = await createInvoice(
    { sql, client: env.client, taskQueue, now: () => new Date() },
    {
      customerId: customers[0]!.id,
      policy: 'bench',
      dueIn: DUE_IN,
      lines: [{ description: 'Warm-up', quantity: 1, unitAmountCents: 10_000 }],
    },
    { actor: 'bench' },
  );
  await new Promise((r) => setTimeout(r, PAY_AFTER_MS));
  await env.client.workflow
    .getHandle(warmup.workflowId)
    .signal(paymentReceivedSignal, { paymentId: `pi_${warmup.id}`, amountCents: 10_000, currency: 'USD', actor: 'bench' });
  await env.client.workflow.getHandle(warmup.workflowId).result();
  const invoiceShape = await historyShape(env.client, warmup.workflowId);

  // Baseline first (a fresher server favours it): the invoice's shape with no-op activities.
  const shape: BaselineShape = { timersMs: [7_000, 2_000], mainActivities: invoiceShape.main, emailActivities: invoiceShape.email };
  const baselineIds: string[] = [];
  const t1 = Date.now();
  await pool(
    Array.from({ length: N }, (_, i) => i),
    CONCURRENCY,
    async () => {
      const started = Date.now();
      const handle = await env.client.workflow.start('baselineWorkflow', {
        taskQueue,
        workflowId: `baseline-${randomUUID()}`,
        args: [shape],
      });
      baselineIds.push(handle.workflowId);
      await new Promise((r) => setTimeout(r, Math.max(0, started + PAY_AFTER_MS - Date.now())));
      await handle.signal('paid');
      await handle.result();
    },
  );
  const baselineSeconds = (Date.now() - t1) / 1000;
  const baselineShape = await historyShape(env.client, baselineIds[0]!);
  const baselineLate = await baselineLateness(env.client, baselineIds);
  // Invoices: create (Postgres + workflow start), pay after the second reminder, wait for completion.
  const invoiceIds: string[] = [];
  const t0 = Date.now();
  await pool(
    Array.from({ length: N }, (_, i) => i),
    CONCURRENCY,
    async (i) => {
      const { invoice } = await createInvoice(
        { sql, client: env.client, taskQueue, now: () => new Date() },
        {
          customerId: customers[i % customers.length]!.id,
          policy: 'bench',
          dueIn: DUE_IN,
          lines: [{ description: 'Bench', quantity: 1, unitAmountCents: 10_000 }],
        },
        { actor: 'bench' },
      );
      invoiceIds.push(invoice.id);
      const handle = env.client.workflow.getHandle(invoice.workflowId);
      await new Promise((r) => setTimeout(r, Math.max(0, invoice.createdAt.getTime() + PAY_AFTER_MS - Date.now())));
      await handle.signal(paymentReceivedSignal, { paymentId: `pi_${invoice.id}`, amountCents: 10_000, currency: 'USD', actor: 'bench' });
      await handle.result();
    },
  );
  const invoiceSeconds = (Date.now() - t0) / 1000;

  const lateness = await sql<{ ms: number; decision: number }[]>`
    SELECT extract(epoch FROM (e.created_at - (a.data->>'sendAt')::timestamptz)) * 1000 AS ms,
           extract(epoch FROM (a.at - (a.data->>'sendAt')::timestamptz)) * 1000 AS decision
    FROM audit_log a JOIN email_log e ON e.idempotency_key = 'invoice-' || a.entity_id || '/step-' || (a.data->>'stepIndex')
    WHERE a.action = 'invoice.step_performed' AND a.entity_id <> ${warmup.id}`;
  const late = lateness.map((r) => Number(r.ms)).sort((a, b) => a - b);
  const decisionLate = lateness.map((r) => Number(r.decision)).sort((a, b) => a - b);
  const [skipped] = await sql<{ merged: number }[]>`
    SELECT count(*)::int AS merged FROM audit_log WHERE action = 'invoice.step_skipped' AND entity_id <> ${warmup.id}`;
  const merged = skipped!.merged;

  clearInterval(sampler);

  const invoicesPerSecond = N / invoiceSeconds;
  const baselinePerSecond = N / baselineSeconds;
  const row = (label: string, a: string, b: string) => console.log(`  ${label.padEnd(34)} ${a.padStart(14)} ${b.padStart(14)}`);
  console.log('');
  row('', 'invoices', 'baseline');
  row('workflows completed', String(N), String(N));
  row('wall time (s)', invoiceSeconds.toFixed(1), baselineSeconds.toFixed(1));
  row('throughput (workflows/s)', invoicesPerSecond.toFixed(2), baselinePerSecond.toFixed(2));
  row('activities main / email per wf', `${invoiceShape.main} / ${invoiceShape.email}`, `${baselineShape.main} / ${baselineShape.email}`);
  row('timers / signals per wf', `${invoiceShape.timers} / ${invoiceShape.signals}`, `${baselineShape.timers} / ${baselineShape.signals}`);
  console.log('');
  console.log(`  ratio invoices/baseline            ${(invoicesPerSecond / baselinePerSecond).toFixed(3)}   (target ≥ 0.8)`);
  console.log(
    `  reminder lateness p50 / p99        ${(quantile(late, 0.5) / 1000).toFixed(3)} s / ${(quantile(late, 0.99) / 1000).toFixed(3)} s over ${late.length} reminders sent; ${merged} of ${2 * N} steps merged by catch-up   (target p99 ≤ 5 s)`,
  );
  console.log(
    `    of which timer→workflow decision p50/p99 ${(quantile(decisionLate, 0.5) / 1000).toFixed(3)} s / ${(quantile(decisionLate, 0.99) / 1000).toFixed(3)} s`,
  );
  console.log(
    `  baseline timer→email lateness p50/p99 ${(quantile(baselineLate, 0.5) / 1000).toFixed(3)} s / ${(quantile(baselineLate, 0.99) / 1000).toFixed(3)} s over ${baselineLate.length} steps (same burst, no-op activities)`,
  );
  console.log(`  worker process peak RSS            ${(peakRss / 2 ** 20).toFixed(0)} MiB (worker, driver and client share the process)`);
  await reportLedgerCheck(sql, env.client);

  await stack.stop();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
