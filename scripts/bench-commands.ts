import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { insertPolicyVersion } from '../src/db/policies';
import { createCustomer, createCustomerSchema } from '../src/services/create-customer';
import { createInvoice } from '../src/services/create-invoice';
import { recordManualPayment } from '../src/services/invoice-commands';
import { reportLedgerCheck } from './bench/ledger';
import { startBenchStack } from './bench/stack';

// npm run bench:commands — what a command (an update such as a manual payment) costs since its events
// are projected by a regular activity, scheduled with the task that accepts it ('money-integrity'):
// N invoices each take C manual payments one after another, all invoices at once, against N bare
// workflows whose update handler has the commands' shape (validator, state change, projection, reply)
// with a local projection (before the patch) and with a regular one (since).
const N = Number(process.env.BENCH_INVOICES ?? 100);
const C = Number(process.env.BENCH_COMMANDS ?? 5);

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;

async function main() {
  const stack = await startBenchStack({
    taskQueue: 'bench-commands',
    emailRatePerSecond: 1000,
    workflowsPath: path.join(__dirname, 'bench', `workflows${path.extname(__filename)}`),
    extraActivities: { main: { noop: async () => undefined }, email: { noopEmail: async () => undefined } },
  });
  const { sql, env, taskQueue } = stack;
  await insertPolicyVersion(sql, { name: 'bench-slow', steps: [{ offset: '30d', template: 'reminder_overdue' }] });
  const customer = await createCustomer(
    sql,
    createCustomerSchema.parse({
      name: 'Bench',
      email: 'ap@bench.test',
      timeZone: 'UTC',
      currency: 'USD',
      reminders: { groupingWindow: '0s', minGap: '0s' },
    }),
    'bench',
  );
  console.log(
    `bench:commands — ${N} invoices × ${C} manual payments in sequence (all invoices at once), against ${N} bare workflows × ${C} updates; Temporal dev server, embedded PostgreSQL`,
  );

  const invoices = await Promise.all(
    Array.from(
      { length: N },
      async () =>
        (
          await createInvoice(
            { sql, client: env.client, taskQueue, now: () => new Date() },
            {
              customerId: customer.id,
              policy: 'bench-slow',
              dueIn: '30d',
              lines: [{ description: 'Bench', quantity: 1, unitAmountCents: 1_000_000 }],
            },
            { actor: 'bench' },
          )
        ).invoice,
    ),
  );
  // Issued (PDF, email, projection) before the clock starts.
  await new Promise((r) => setTimeout(r, 5_000));

  const bare = (regularProjection: boolean) =>
    Promise.all(
      Array.from({ length: N }, () =>
        env.client.workflow.start('baselineCommandWorkflow', {
          taskQueue,
          workflowId: `baseline-command-${randomUUID()}`,
          args: [{ regularProjection }],
        }),
      ),
    );
  const baselines = await bare(false);
  const timed = await bare(true);

  const run = async (label: string, one: (i: number, k: number) => Promise<unknown>) => {
    const latencies: number[] = [];
    const started = performance.now();
    await Promise.all(
      Array.from({ length: N }, async (_, i) => {
        for (let k = 0; k < C; k++) {
          const t = performance.now();
          await one(i, k);
          latencies.push(performance.now() - t);
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    latencies.sort((a, b) => a - b);
    return { label, seconds, perSecond: (N * C) / seconds, p50: quantile(latencies, 0.5), p99: quantile(latencies, 0.99) };
  };
  // Alternated, so that neither phase gets the fresher server.
  const baseline = await run('bare, local', (i) => baselines[i]!.executeUpdate('command', { args: [100] }));
  const withTimer = await run('bare, regular', (i) => timed[i]!.executeUpdate('command', { args: [100] }));
  const ours = await run('invoices', (i, k) =>
    recordManualPayment(
      { sql, client: env.client },
      invoices[i]!.id,
      { amountCents: 100, currency: 'USD', method: 'bank_transfer' },
      { actor: 'bench', idempotencyKey: `bench-${i}-${k}` },
    ),
  );
  const baselineAgain = await run('bare, local, again', (i) => baselines[i]!.executeUpdate('command', { args: [100] }));
  await Promise.all([...baselines, ...timed].map((b) => b.signal('done')));

  const cols = [ours, withTimer, baseline, baselineAgain];
  const row = (label: string, f: (r: (typeof cols)[number]) => string) =>
    console.log(`  ${label.padEnd(20)} ${cols.map((c) => f(c).padStart(24)).join('')}`);
  console.log('');
  row('', (r) => r.label);
  row('commands', () => String(N * C));
  row('wall time (s)', (r) => r.seconds.toFixed(1));
  row('commands/s', (r) => r.perSecond.toFixed(1));
  row('latency p50 (ms)', (r) => r.p50.toFixed(1));
  row('latency p99 (ms)', (r) => r.p99.toFixed(1));
  console.log(
    `\n  the regular projection alone: ${(withTimer.perSecond / baseline.perSecond).toFixed(3)} × the bare local one's commands/s (p50 ${(withTimer.p50 - baseline.p50).toFixed(1)} ms)`,
  );
  console.log(
    `  invoices (Postgres, idempotency key, the real rules): ${(ours.perSecond / baseline.perSecond).toFixed(3)} × bare local, ${(ours.perSecond / withTimer.perSecond).toFixed(3)} × bare regular`,
  );
  await reportLedgerCheck(sql, env.client);
  await stack.stop();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
