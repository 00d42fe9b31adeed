import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import { decodeHistory, HISTORIES_DIR } from '../helpers/histories';
import { quietRuntime } from '../helpers/temporal';

/**
 * Committed histories of representative runs must replay against today's workflow code. A change
 * that would break running invoices fails here; wrap such changes in `patched()`.
 */
async function histories() {
  const files = (await readdir(HISTORIES_DIR)).filter((f) => f.endsWith('.history.bin')).sort();
  return Promise.all(
    files.map(async (file) => ({
      workflowId: path.basename(file, '.history.bin'),
      history: decodeHistory(await readFile(path.join(HISTORIES_DIR, file))),
    })),
  );
}

async function replay(workflowBundle: { codePath: string } | { code: string }) {
  const results = [];
  for await (const result of Worker.runReplayHistories({ workflowBundle }, await histories())) results.push(result);
  return results;
}

beforeAll(() => quietRuntime());

it('replays every committed history without non-determinism', async () => {
  const results = await replay({ codePath: process.env.TEST_WORKFLOW_BUNDLE! });
  const scenarios = [
    'standard-ladder-handoff',
    'partial-then-full-payment',
    'catch-up-after-outage',
    'dispute-pause-resume',
    'promise-kept',
    'manual-payments-void-refused',
  ];
  // v1-*: recorded before the 'batched-projection' patch; v2-*: before 'local-projection'; v3-*: before
  // 'money-integrity'; v4-* before 'continue-as-new'; v5-* before 'parked-invoices'; v6-* before
  // 'customer-reminders'. They must keep replaying.
  expect(results.map((r) => r.workflowId)).toEqual(
    expect.arrayContaining([
      ...scenarios,
      ...['v1', 'v2', 'v3', 'v4', 'v5', 'v6'].flatMap((v) => scenarios.map((s) => `${v}-${s}`)),
      'policy-migrated',
      'v3-policy-migrated',
      'erp-imported',
      'v3-erp-imported',
      'recurring-firing-issued',
      'recurring-firing-skipped',
      'report-snapshots-refresh',
      'poison-event-healed',
      'refunds-checked-and-flagged',
      'refund-before-its-payment',
      ...['v4', 'v5', 'v6'].flatMap((v) =>
        ['policy-migrated', 'erp-imported', 'poison-event-healed', 'refunds-checked-and-flagged', 'refund-before-its-payment'].map(
          (s) => `${v}-${s}`,
        ),
      ),
      'endless-repetitions',
      'parked-until-paid',
      'v6-endless-repetitions',
      'v6-parked-until-paid',
      'customer-account-grouped',
      'statement-monthly-sent',
    ]),
  );
  expect(results.filter((r) => r.error).map((r) => `${r.workflowId}: ${r.error?.message}`)).toEqual([]);
});

it('detects an unpatched change to the workflow', async () => {
  const { code } = await bundleWorkflowCode({
    workflowsPath: path.join(__dirname, 'fixtures', 'changed-workflow.ts'),
    logger: { log() {}, info() {}, warn() {}, error() {}, debug() {}, trace() {} } as never,
  });
  const results = await replay({ code });
  expect(results.length).toBeGreaterThan(0);
  expect(results.every((r) => r.error)).toBe(true);
});
