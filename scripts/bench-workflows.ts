import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { insertPolicyVersion } from '../src/db/policies';
import { createCustomer, createCustomerSchema } from '../src/services/create-customer';
import { createInvoice } from '../src/services/create-invoice';
import { paymentReceivedSignal } from '../workflows/messages';
import { startBenchStack } from './bench/stack';
import type { BaselineShape } from './bench/workflows';
import { reportLedgerCheck } from './bench/ledger';
import { findPid, rssMiB } from './bench/processes-rss';

// npm run bench:workflows — a saturation run: N invoices at once through issue → 2 reminders →
// payment → completion on a seconds-scale policy, and N bare baseline workflows of the same shape,
// on the same server and worker, in ROUNDS rounds that alternate which phase goes first. The
// policy's timers (reminders 2 s and 3 s after creation) are short beside the time N workflows take
// on two cores, so the server, not the clock, sets the pace.
const N = Number(process.env.BENCH_INVOICES ?? 300);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 50);
const DUE_IN = '1s';
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
 * For the baseline: how late each post-timer email no-op completed against the instant its step was
 * meant for, counted from the workflow's start as an invoice's reminders are from its creation
 * (`timersMs` cumulated) — the same measure as an invoice reminder's lateness.
 */
async function baselineLateness(client: Client, workflowIds: readonly string[], timersMs: readonly number[]): Promise<number[]> {
  const out: number[] = [];
  await pool(workflowIds, 20, async (id) => {
    const { events } = await client.workflow.getHandle(id).fetchHistory();
    const ms = (t: any) => Number(t.seconds) * 1000 + Math.floor((t.nanos ?? 0) / 1e6);
    const intended: number[] = [];
    const emailScheduled = new Map<string, boolean>();
    // The issue email comes before the first timer: only the emails after a timer are steps.
    let timed = false;
    for (const e of events ?? []) {
      if (e.timerStartedEventAttributes) timed = true;
      if (e.workflowExecutionStartedEventAttributes) {
        let at = ms(e.eventTime);
        for (const t of timersMs) intended.push((at += t));
      }
      const scheduled = e.activityTaskScheduledEventAttributes;
      if (scheduled && String(scheduled.taskQueue?.name).endsWith('-email')) emailScheduled.set(String(e.eventId), true);
      const completed = e.activityTaskCompletedEventAttributes;
      if (completed && timed && emailScheduled.get(String(completed.scheduledEventId)) && intended.length > 0) {
        const target = intended.shift();
        if (target !== undefined) out.push(ms(e.eventTime) - target);
      }
    }
  });
  return out.sort((a, b) => a - b);
}

interface Phase {
  readonly seconds: number;
  readonly workflowIds: readonly string[];
}

/** Workflow tasks completed by these workflows (their histories' WorkflowTaskCompleted events). */
async function workflowTasks(client: Client, workflowIds: readonly string[]): Promise<number> {
  let tasks = 0;
  await pool(workflowIds, 20, async (id) => {
    const { events } = await client.workflow.getHandle(id).fetchHistory();
    for (const e of events ?? []) if (e.workflowTaskCompletedEventAttributes) tasks++;
  });
  return tasks;
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
      { offset: '1s', template: 'reminder_overdue' },
      { offset: '2s', template: 'reminder_firm' },
    ],
  });
  const temporalPid = await findPid(['start-dev', env.address.split(':').pop()!]);
  let peakRss = 0;
  let peakTemporal = 0;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
    void rssMiB(temporalPid).then((v) => (peakTemporal = Math.max(peakTemporal, v ?? 0)));
  }, 250);

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
          // Each reminder as its step falls due (reminders falling due together still share an email).
          reminders: { groupingWindow: '0s', minGap: '0s' },
        }),
        'bench',
      ),
    );
  }
  console.log(
    `bench:workflows — saturation: ${ROUNDS} rounds of ${N} invoices and ${N} baseline workflows (alternating which runs first), ` +
      `creation concurrency ${CONCURRENCY}, email rate limit ${EMAIL_RATE}/s, Temporal dev server (in-memory), ` +
      `${process.env.DATABASE_URL ? 'PostgreSQL from DATABASE_URL' : 'embedded PostgreSQL'}`,
  );

  // Payments go out once an invoice's second reminder is logged: the whole ladder runs however late.
  const awaitingPayment = new Map<string, () => void>();
  let polling = true;
  const poller = (async () => {
    while (polling) {
      const ids = [...awaitingPayment.keys()];
      if (ids.length > 0) {
        const rows = await sql<{ invoiceId: string }[]>`
          SELECT invoice_id AS "invoiceId" FROM email_log_items WHERE invoice_id = ANY(${ids}::uuid[]) AND template = 'reminder_firm'`;
        for (const { invoiceId } of rows) {
          awaitingPayment.get(invoiceId)?.();
          awaitingPayment.delete(invoiceId);
        }
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  })();

  const invoicesPhase = async (count = N): Promise<Phase & { invoiceIds: string[] }> => {
    const invoiceIds: string[] = [];
    const workflowIds: string[] = [];
    const t0 = Date.now();
    await pool(
      Array.from({ length: count }, (_, i) => i),
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
        workflowIds.push(invoice.workflowId);
      },
    );
    await pool(invoiceIds, count, async (id) => {
      await new Promise<void>((resolve) => awaitingPayment.set(id, resolve));
      const handle = env.client.workflow.getHandle(`invoice-${id}`);
      await handle.signal(paymentReceivedSignal, { paymentId: `pi_${id}`, amountCents: 10_000, currency: 'USD', actor: 'bench' });
      await handle.result();
    });
    return { seconds: (Date.now() - t0) / 1000, workflowIds, invoiceIds };
  };

  const shape: BaselineShape = { timersMs: [2_000, 1_000], mainActivities: 0, emailActivities: 0 };
  const baselinePhase = async (): Promise<Phase> => {
    const workflowIds: string[] = [];
    const handles: WorkflowHandle[] = [];
    const t0 = Date.now();
    await pool(
      Array.from({ length: N }, (_, i) => i),
      CONCURRENCY,
      async () => {
        const handle = await env.client.workflow.start('baselineWorkflow', {
          taskQueue,
          workflowId: `baseline-${randomUUID()}`,
          args: [shape],
        });
        workflowIds.push(handle.workflowId);
        handles.push(handle);
      },
    );
    // Its one signal, as early as an invoice's could be: the shape waits for it after its timers.
    await pool(handles, N, async (handle) => {
      await handle.signal('paid');
      await handle.result();
    });
    return { seconds: (Date.now() - t0) / 1000, workflowIds };
  };

  // One warm-up invoice gives the exact shape (activities per queue, timers, signals) to mirror.
  const warm = await invoicesPhase(1);
  const invoiceShape = await historyShape(env.client, warm.workflowIds[0]!);
  Object.assign(shape, { mainActivities: invoiceShape.main, emailActivities: invoiceShape.email });

  const rounds: { invoices: Phase & { invoiceIds: string[] }; baseline: Phase }[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    let invoices: Phase & { invoiceIds: string[] };
    let baseline: Phase;
    if (r % 2 === 0) {
      baseline = await baselinePhase();
      invoices = await invoicesPhase();
    } else {
      invoices = await invoicesPhase();
      baseline = await baselinePhase();
    }
    rounds.push({ invoices, baseline });
    console.log(
      `  round ${r + 1} (${r % 2 === 0 ? 'baseline first' : 'invoices first'}): invoices ${(N / invoices.seconds).toFixed(2)}/s in ${invoices.seconds.toFixed(1)} s, baseline ${(N / baseline.seconds).toFixed(2)}/s in ${baseline.seconds.toFixed(1)} s, ratio ${(baseline.seconds / invoices.seconds).toFixed(3)}`,
    );
  }
  polling = false;
  await poller;
  clearInterval(sampler);

  // Every reminder of every invoice: sent (email logged) or merged into a later one by catch-up.
  const allInvoices = rounds.flatMap((r) => r.invoices.invoiceIds);
  const steps = await sql<{ invoiceId: string; action: string; stepIndex: number; sendAt: string; decidedAt: Date; sentAt: Date | null }[]>`
    SELECT a.entity_id AS "invoiceId", a.action, (a.data->>'stepIndex')::int AS "stepIndex", coalesce(a.data->>'sendAt', a.data->>'scheduledAt') AS "sendAt", a.at AS "decidedAt",
           e.created_at AS "sentAt"
    FROM audit_log a
    LEFT JOIN email_log_items i ON i.item_key = 'invoice-' || a.entity_id || '/step-' || (a.data->>'stepIndex')
    LEFT JOIN email_log e ON e.idempotency_key = i.idempotency_key
    WHERE a.entity_type = 'invoice' AND a.entity_id = ANY(${allInvoices}) AND a.action IN ('invoice.step_performed', 'invoice.step_skipped')`;
  const performed = steps.filter((s) => s.action === 'invoice.step_performed');
  const sent = performed.filter((s) => s.sentAt !== null);
  const late = sent.map((s) => s.sentAt!.getTime() - Date.parse(s.sendAt)).sort((a, b) => a - b);
  const decisionLate = steps.map((s) => s.decidedAt.getTime() - Date.parse(s.sendAt)).sort((a, b) => a - b);
  const merged = steps.length - performed.length;
  const baselineLate = await baselineLateness(
    env.client,
    rounds.flatMap((r) => r.baseline.workflowIds),
    shape.timersMs,
  );
  const invoiceTasks = await workflowTasks(
    env.client,
    rounds.flatMap((r) => r.invoices.workflowIds),
  );
  const baselineTasks = await workflowTasks(
    env.client,
    rounds.flatMap((r) => r.baseline.workflowIds),
  );
  const baselineShapeSeen = await historyShape(env.client, rounds[0]!.baseline.workflowIds[0]!);

  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  const spread = (xs: number[], digits = 2) =>
    `${(sum(xs) / xs.length).toFixed(digits)} (${Math.min(...xs).toFixed(digits)}–${Math.max(...xs).toFixed(digits)})`;
  const invoiceRates = rounds.map((r) => N / r.invoices.seconds);
  const baselineRates = rounds.map((r) => N / r.baseline.seconds);
  const ratios = rounds.map((r) => r.baseline.seconds / r.invoices.seconds);
  const invoiceSeconds = sum(rounds.map((r) => r.invoices.seconds));
  const baselineSeconds = sum(rounds.map((r) => r.baseline.seconds));
  const row = (label: string, a: string, b: string) => console.log(`  ${label.padEnd(34)} ${a.padStart(22)} ${b.padStart(22)}`);
  console.log('');
  row('', 'invoices', 'baseline');
  row('workflows completed', String(N * ROUNDS), String(N * ROUNDS));
  row('throughput, mean (min–max) /s', spread(invoiceRates), spread(baselineRates));
  row('workflow tasks/s', (invoiceTasks / invoiceSeconds).toFixed(1), (baselineTasks / baselineSeconds).toFixed(1));
  row('workflow tasks per wf', (invoiceTasks / (N * ROUNDS)).toFixed(1), (baselineTasks / (N * ROUNDS)).toFixed(1));
  row(
    'activities main / email per wf',
    `${invoiceShape.main} / ${invoiceShape.email}`,
    `${baselineShapeSeen.main} / ${baselineShapeSeen.email}`,
  );
  row(
    'timers / signals per wf',
    `${invoiceShape.timers} / ${invoiceShape.signals}`,
    `${baselineShapeSeen.timers} / ${baselineShapeSeen.signals}`,
  );
  console.log('');
  console.log(`  ratio invoices/baseline            ${spread(ratios, 3)} over ${ROUNDS} rounds   (target ≥ 0.8)`);
  console.log(
    `  reminder lateness p50 / p99        ${(quantile(late, 0.5) / 1000).toFixed(3)} s / ${(quantile(late, 0.99) / 1000).toFixed(3)} s over ${sent.length} reminders sent; ${merged} of ${steps.length} steps merged by catch-up (${2 * N * ROUNDS} expected)`,
  );
  console.log(
    `    of which decision (timer → workflow) p50/p99 ${(quantile(decisionLate, 0.5) / 1000).toFixed(3)} s / ${(quantile(decisionLate, 0.99) / 1000).toFixed(3)} s over every step`,
  );
  console.log(
    `  baseline step lateness (from its start) p50/p99 ${(quantile(baselineLate, 0.5) / 1000).toFixed(3)} s / ${(quantile(baselineLate, 0.99) / 1000).toFixed(3)} s over ${baselineLate.length} steps`,
  );
  console.log(
    `  peak RSS                           worker ${(peakRss / 2 ** 20).toFixed(0)} MiB (worker, driver and client share the process), Temporal server ${peakTemporal || 'n/a'} MiB`,
  );
  await reportLedgerCheck(sql, env.client);
  await stack.stop();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
