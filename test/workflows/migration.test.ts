import { templatesSent } from '../helpers/emails';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { insertPolicyVersion } from '../../src/db/policies';
import { invoiceStateQuery, migratePolicyUpdate, recordPaymentUpdate } from '../../workflows/messages';
import { startApi, TEST_TOKEN, type ApiHarness } from '../helpers/api';
import { runTestCli } from '../helpers/cli';
import { eventually } from '../helpers/eventually';
import { recordHistory } from '../helpers/histories';
import { invoiceFixture } from '../helpers/fixtures';
import { useStack } from '../helpers/stack';

// Migration finds invoices through Temporal visibility, so it runs on the real dev server with a
// seconds-scale ladder.
const stack = useStack('dev-server');
let api: ApiHarness;
let dir: string;

const v1 = {
  name: 'mig',
  steps: [
    { offset: '1s', template: 'reminder_overdue', lateFee: { amountCents: 100, currency: 'USD' } },
    { offset: '2s', template: 'reminder_firm', lateFee: { amountCents: 150, currency: 'USD' } },
    { offset: '3s', template: 'late_fee_notice', lateFee: { amountCents: 200, currency: 'USD' } },
    { offset: '60s', template: 'final_notice', finalNotice: true },
  ],
} as const;
// Fewer steps before "now" than v1 performed: v2's next step reuses index 1, which v1 already used
// for an email and a fee. It must still go out and be charged, as a step of its own.
const v2 = {
  name: 'mig',
  steps: [
    { offset: '2s', template: 'reminder_overdue' },
    { offset: '12s', template: 'late_fee_notice', lateFee: { amountCents: 300, currency: 'USD' } },
    { offset: '15s', template: 'final_notice', finalNotice: true, creditHold: true },
  ],
} as const;

beforeAll(async () => {
  await insertPolicyVersion(stack.db.sql, v1 as never);
  await insertPolicyVersion(stack.db.sql, { name: 'other', steps: [{ offset: '60s', template: 'reminder_overdue' }] });
  api = await startApi(stack.db, stack.env, stack.workers.taskQueue);
  dir = await mkdtemp(path.join(os.tmpdir(), 'migrate-'));
});
afterAll(async () => {
  await api?.close();
});

const cli = (args: string[]) => runTestCli(api, dir, args);
const templates = (invoiceId: string) => templatesSent(stack.db.sql, invoiceId);
const fees = async (invoiceId: string) =>
  stack.db.sql<{ generation: number; stepIndex: number; amountCents: string }[]>`
    SELECT policy_generation AS generation, step_index AS "stepIndex", amount_cents AS "amountCents"
    FROM late_fees WHERE invoice_id = ${invoiceId} ORDER BY applied_at, policy_generation, step_index`;

it('moves running invoices to a new version for their future steps only, reports progress, and is safe to re-run', async () => {
  const fixture = (policy: string) =>
    invoiceFixture(
      { sql: stack.db.sql, client: stack.env.client, taskQueue: stack.workers.taskQueue },
      { invoice: { policy, dueIn: '1s' } },
    );
  const running = await Promise.all([fixture('mig'), fixture('mig'), fixture('mig')]);
  const paid = await fixture('mig');
  const elsewhere = await fixture('other');
  await paid.handle.executeUpdate(recordPaymentUpdate, {
    args: [{ paymentId: 'pay-mig-1', amountCents: 100_000, currency: 'USD', actor: 'api' }],
  });
  await paid.handle.result();
  // v1's first three steps (emails and fees) are done on every running invoice.
  for (const { invoice } of running) {
    await eventually(
      async () => expect(await templates(invoice.id)).toEqual(['invoice_issued', 'reminder_overdue', 'reminder_firm', 'late_fee_notice']),
      20_000,
    );
  }

  const created = await cli(['policy', 'create', await writeJson('v2.json', v2)]);
  expect(created).toMatchObject({ code: 0, out: expect.stringContaining('created mig v2') });
  const first = await cli(['policy', 'migrate', 'mig', '--to', '2', '--reason', 'shorter ladder from Q4']);
  expect(first.err).toBe('');
  expect(first.code).toBe(0);
  expect(first.out).toContain('moved 3 running invoices on mig to v2');
  expect(first.out).toContain('already on v2: 0, skipped (closed meanwhile): 0, failed: 0');
  expect(first.progress).toMatch(/mig → v2 \[.*\] 100% \| 3\/3/);

  for (const { invoice, handle } of running) {
    const view = await handle.query(invoiceStateQuery);
    expect(view.policy).toEqual({ name: 'mig', version: 2 });
    expect(view.steps.map((s) => [s.index, s.template, s.status])).toEqual([
      [0, 'reminder_overdue', 'superseded'],
      [1, 'late_fee_notice', 'pending'],
      [2, 'final_notice', 'pending'],
    ]);
    expect(view.timeline.find((e) => e.type === 'policy_migrated')).toMatchObject({
      from: 'mig@1',
      to: 'mig@2',
      resumeAtStep: 1,
      actor: 'api',
      reason: 'shorter ladder from Q4',
    });
    const [row] = await stack.db.sql`SELECT policy_version FROM invoices WHERE id = ${invoice.id}`;
    expect(row!.policy_version).toBe(2);
  }
  // Untouched: the paid (completed) invoice and the invoice on another policy.
  expect((await elsewhere.handle.query(invoiceStateQuery)).policy).toEqual({ name: 'other', version: 1 });
  const [paidRow] = await stack.db.sql`SELECT policy_version FROM invoices WHERE id = ${paid.invoice.id}`;
  expect(paidRow!.policy_version).toBe(1);

  // Re-running moves nothing and changes nothing.
  const again = await cli(['policy', 'migrate', 'mig', '--to', '2', '--json']);
  expect(again.code).toBe(0);
  expect(JSON.parse(again.out)).toMatchObject({
    state: 'completed',
    total: 3,
    examined: 3,
    migrated: 0,
    already: 3,
    skipped: 0,
    failed: 0,
  });

  // The new version's future steps run; nothing v1 did is sent or charged again, v1's 60s step never comes.
  for (const { invoice, handle } of running) {
    await eventually(async () => expect((await handle.query(invoiceStateQuery)).dunningStage).toBe('final_notice'), 30_000);
    await eventually(async () =>
      expect(await templates(invoice.id)).toEqual([
        'invoice_issued',
        'reminder_overdue',
        'reminder_firm',
        'late_fee_notice',
        'late_fee_notice',
        'final_notice',
      ]),
    );
    expect((await fees(invoice.id)).map((f) => [f.generation, f.stepIndex, Number(f.amountCents)])).toEqual([
      [0, 0, 100],
      [0, 1, 150],
      [0, 2, 200],
      [1, 1, 300],
    ]);
    const view = await handle.query(invoiceStateQuery);
    expect(view.feesCents).toBe(750);
    expect(view.creditHold).toBe(true);
    expect(view.steps.map((s) => s.status)).toEqual(['superseded', 'done', 'done']);
  }
  await recordHistory(running[0]!.handle, 'policy-migrated');
});

it('refuses a closed invoice, another policy, and unknown versions; the report reads back', async () => {
  const { handle } = await invoiceFixture(
    { sql: stack.db.sql, client: stack.env.client, taskQueue: stack.workers.taskQueue },
    { invoice: { policy: 'other', dueIn: '1s' } },
  );
  const policy = { ...v2, version: 2 } as never;
  await expect(handle.executeUpdate(migratePolicyUpdate, { args: [{ policy, migrationId: 'm', actor: 'test' }] })).rejects.toMatchObject({
    cause: { type: 'VALIDATION', message: 'invoice follows policy other, not mig' },
  });
  expect((await handle.query(invoiceStateQuery)).timeline.some((e) => e.type === 'policy_migrated')).toBe(false);

  expect(await cli(['policy', 'migrate', 'mig', '--to', '9'])).toMatchObject({
    code: 1,
    err: 'error NOT_FOUND: policy mig version 9 does not exist',
  });
  expect(await cli(['policy', 'migrate', 'mig'])).toMatchObject({ code: 2 });
  expect(await cli(['policy', 'migration', 'other', '1'])).toMatchObject({
    code: 1,
    err: 'error NOT_FOUND: no migration of other to version 1 was started',
  });
  const res = await fetch(`${api.url}/api/policies/mig/migrations`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TEST_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ toVersion: 'two' }),
  });
  expect(res.status).toBe(400);
  expect(await res.json()).toMatchObject({ error: { code: 'VALIDATION', field: 'toVersion' } });
  const report = await cli(['policy', 'migration', 'mig', '2', '--json']);
  expect(JSON.parse(report.out)).toMatchObject({ state: 'completed', migrated: 0, already: 3, workflowId: 'policy-migration-mig-v2' });
});

async function writeJson(name: string, content: unknown): Promise<string> {
  const p = path.join(dir, name);
  await writeFile(p, JSON.stringify(content));
  return p;
}
