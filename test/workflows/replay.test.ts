import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { Resource } from '@opentelemetry/resources';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { makeWorkflowExporter } from '@temporalio/interceptors-opentelemetry';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import { decodeHistory, HISTORIES_DIR } from '../helpers/histories';
import { quietRuntime } from '../helpers/temporal';
import { rotatedCodec } from '../helpers/codec';

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

/**
 * Replays with the payload codec after a key rotation: encrypted histories (`encrypted-*`, written
 * with the old key) decrypt, and the codec passes unencrypted ones through.
 */
async function replay(workflowBundle: { codePath: string } | { code: string }, o: { codec?: boolean; only?: RegExp } = {}) {
  const results = [];
  const all = (await histories()).filter((h) => !o.only || o.only.test(h.workflowId));
  const dataConverter = o.codec === false ? {} : { dataConverter: { payloadCodecs: [rotatedCodec()] } };
  // Spans of traced histories (`traced-*`) go to a collector, as a worker with tracing on would send them.
  const sinks = {
    exporter: makeWorkflowExporter(new SimpleSpanProcessor(new InMemorySpanExporter()), new Resource({ 'service.name': 'replay' })),
  };
  for await (const result of Worker.runReplayHistories({ workflowBundle, ...dataConverter, sinks }, all)) results.push(result);
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
  // 'customer-reminders'; v7-* before 'ops-visibility'. They must keep replaying.
  expect(results.map((r) => r.workflowId)).toEqual(
    expect.arrayContaining([
      ...scenarios,
      ...['v1', 'v2', 'v3', 'v4', 'v5', 'v6', 'v7'].flatMap((v) => scenarios.map((s) => `${v}-${s}`)),
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
      ...['v4', 'v5', 'v6', 'v7'].flatMap((v) =>
        ['policy-migrated', 'erp-imported', 'poison-event-healed', 'refunds-checked-and-flagged', 'refund-before-its-payment'].map(
          (s) => `${v}-${s}`,
        ),
      ),
      'endless-repetitions',
      'parked-until-paid',
      'v6-endless-repetitions',
      'v6-parked-until-paid',
      'v7-endless-repetitions',
      'v7-parked-until-paid',
      'customer-account-grouped',
      'v7-customer-account-grouped',
      'statement-monthly-sent',
      'aging-buckets',
      'encrypted-paid',
      'traced-invoice-paid',
      'short-payment-written-off',
      'written-off-by-hand',
    ]),
  );
  expect(results.filter((r) => r.error).map((r) => `${r.workflowId}: ${r.error?.message}`)).toEqual([]);
});

it('cannot replay an encrypted history without its key', async () => {
  const results = await replay({ codePath: process.env.TEST_WORKFLOW_BUNDLE! }, { codec: false, only: /^encrypted-/ });
  expect(results.length).toBeGreaterThan(0);
  expect(results.every((r) => r.error)).toBe(true);
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
