import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startApi, type ApiHarness } from '../helpers/api';
import { runTestCli } from '../helpers/cli';
import { invoiceFixture } from '../helpers/fixtures';
import { useStack } from '../helpers/stack';

const stack = useStack('dev-server');
let api: ApiHarness;
let dir: string;
beforeAll(async () => {
  api = await startApi(stack.db, stack.env, stack.workers.taskQueue);
  dir = await mkdtemp(path.join(os.tmpdir(), 'cli-'));
});
afterAll(async () => {
  await api?.close();
});

/** Runs `npm run cli -- <args>` in-process against the real API; returns exit code and output. */
const cli = (args: string[], env: Record<string, string> = {}) => runTestCli(api, dir, args, { env });
async function file(name: string, content: unknown): Promise<string> {
  const p = path.join(dir, name);
  await writeFile(p, typeof content === 'string' ? content : JSON.stringify(content));
  return p;
}

const v1 = {
  name: 'firm',
  description: 'Firm ladder',
  steps: [
    { offset: '0d', template: 'reminder_due_today' },
    { offset: '7d', template: 'late_fee_notice', lateFee: { percent: 1.5 } },
  ],
};
const v2 = {
  ...v1,
  steps: [
    v1.steps[0],
    { offset: '7d', template: 'late_fee_notice', lateFee: { percent: 2 } },
    { offset: '30d', template: 'handoff_notice', handOff: true },
  ],
};

describe('policy validate', () => {
  it('accepts a valid file without saving anything', async () => {
    const res = await cli(['policy', 'validate', await file('ok.json', v1)]);
    expect(res).toMatchObject({ code: 0, out: expect.stringContaining('valid policy firm with 2 steps') });
    expect((await cli(['policy', 'show', 'firm'])).code).toBe(1);
  });

  it('names every problem: unknown template, negative fee, steps out of order, offset syntax', async () => {
    const bad = {
      name: 'bad',
      steps: [
        { offset: '7d', template: 'shout' },
        { offset: '1d', template: 'reminder_firm', lateFee: { percent: -2 } },
        { offset: 'soon', template: 'final_notice' },
      ],
    };
    const res = await cli(['policy', 'validate', await file('bad.json', bad)]);
    expect(res.code).toBe(1);
    expect(res.err).toMatch(/^error INVALID_POLICY: /);
    expect(res.err).toMatch(/steps\[0\]\.template: unknown template/);
    expect(res.err).toMatch(/steps\[1\]\.lateFee/);
    expect(res.err).toMatch(/steps\[2\]\.offset: must be a duration/);
    const unordered = {
      name: 'unordered',
      steps: [
        { offset: '7d', template: 'reminder_overdue' },
        { offset: '1d', template: 'reminder_firm' },
      ],
    };
    expect(await cli(['policy', 'validate', await file('unordered.json', unordered)])).toMatchObject({
      code: 1,
      err: expect.stringMatching(/steps\[1\]\.offset: steps must be in strictly increasing offset order/),
    });
  });

  it('refuses a missing file and malformed JSON', async () => {
    expect(await cli(['policy', 'validate', path.join(dir, 'nope.json')])).toMatchObject({
      code: 1,
      err: expect.stringContaining('no such file'),
    });
    expect(await cli(['policy', 'validate', await file('broken.json', '{"name": ')])).toMatchObject({
      code: 1,
      err: expect.stringContaining('not valid JSON'),
    });
  });
});

describe('policy create, list, show, diff', () => {
  it('creates versions, lists and shows them, and diffs two versions step by step', async () => {
    expect(await cli(['policy', 'create', await file('v1.json', v1)])).toMatchObject({
      code: 0,
      out: expect.stringContaining('created firm v1'),
    });
    expect(await cli(['policy', 'create', await file('v2.json', v2)])).toMatchObject({
      code: 0,
      out: expect.stringContaining('created firm v2'),
    });

    const list = await cli(['policy', 'list']);
    expect(list.code).toBe(0);
    expect(list.out).toMatch(/^firm\s+v2\s+3 steps\s+Firm ladder$/m);
    expect(list.out).toMatch(/^standard\s+v1\s+6 steps/m);

    const show = await cli(['policy', 'show', 'firm', '--version', '1']);
    expect(show.out).toContain('firm v1 (versions 1, 2) — Firm ladder');
    expect(show.out).toMatch(/1\s+7d\s+late_fee_notice\s+fee \{"percent":1.5\}/);
    expect(JSON.parse((await cli(['policy', 'show', 'firm', '--json'])).out)).toMatchObject({ name: 'firm', version: 2 });

    const diff = await cli(['policy', 'diff', 'firm', '1', '2']);
    expect(diff.code).toBe(0);
    expect(diff.out.split('\n')).toEqual(['~ step 1 lateFee: {"percent":1.5} → {"percent":2}', '+ step 2: 30d handoff_notice']);
    expect((await cli(['policy', 'diff', 'firm', '2', '2'])).out).toBe('firm v2 and v2 are the same');
  });

  it('refuses what does not exist and bad arguments, with the exit code saying which', async () => {
    expect(await cli(['policy', 'show', 'ghost'])).toMatchObject({ code: 1, err: 'error NOT_FOUND: policy ghost does not exist' });
    expect(await cli(['policy', 'diff', 'standard', '1', '9'])).toMatchObject({
      code: 1,
      err: 'error NOT_FOUND: policy standard version 9 does not exist',
    });
    expect(await cli(['policy', 'diff', 'standard', '1', 'two'])).toMatchObject({
      code: 2,
      err: expect.stringContaining('to must be a positive integer'),
    });
    expect((await cli(['policy', 'show', 'standard', '--version', 'x'])).code).toBe(2);
    expect((await cli(['policy', 'frobnicate'])).code).toBe(2);
  });

  it('names a bad setting instead of failing with a stack trace', async () => {
    expect(await cli(['policy', 'list'], { PORT: 'abc' })).toMatchObject({ code: 2, err: expect.stringContaining('PORT') });
  });

  it('says clearly when the API cannot be reached or refuses the token', async () => {
    expect(await cli(['policy', 'list'], { API: 'http://127.0.0.1:1' })).toMatchObject({
      code: 1,
      err: expect.stringContaining('cannot reach the API at http://127.0.0.1:1'),
    });
    expect(await cli(['policy', 'list'], { TOKEN: 'wrong-token-0123456789' })).toMatchObject({
      code: 1,
      err: expect.stringMatching(/^error UNAUTHORIZED/),
    });
  });
});

describe('policy simulate', () => {
  it('prints the timeline of a stored policy on a hypothetical invoice in the customer zone', async () => {
    const res = await cli([
      'policy',
      'simulate',
      'standard',
      '--amount',
      '100001',
      '--currency',
      'USD',
      '--tz',
      'America/Chicago',
      '--due',
      '2026-12-31',
      '--issued',
      '2026-12-01T15:00:00Z',
    ]);
    expect(res.code).toBe(0);
    expect(res.out).toContain('standard v1 on a hypothetical invoice: USD 1,000.01 due 2027-01-01T05:59:59.999Z (America/Chicago)');
    expect(res.out).toMatch(/2027-01-14T09:00:00\.000-06:00\s+step 3 late_fee_notice\s+\+USD 15\.00\s+due USD 1,015\.01/);
    expect(res.out).toContain('→ uncollectible, USD 1,015.01 due (fees USD 15.00)');
  });

  it('plays a draft file on an existing invoice', async () => {
    const { invoice } = await invoiceFixture(
      { sql: stack.db.sql, client: stack.env.client, taskQueue: stack.workers.taskQueue },
      { totalCents: 20_000 },
    );
    const res = await cli(['policy', 'simulate', await file('draft.json', v2), '--invoice', invoice.id, '--json']);
    expect(res.code).toBe(0);
    const sim = JSON.parse(res.out);
    expect(sim).toMatchObject({ policy: { name: 'firm', version: null }, invoice: { id: invoice.id, totalCents: 20_000 } });
    expect(sim.actions.map((a: { lateFeeCents: number }) => a.lateFeeCents)).toEqual([0, 400, 0]);
  });

  it('refuses an incomplete hypothetical invoice with the field named', async () => {
    const res = await cli(['policy', 'simulate', 'standard', '--amount', '100', '--tz', 'Mars/Olympus', '--due', '2026-12-31']);
    expect(res).toMatchObject({ code: 1, err: expect.stringMatching(/^error VALIDATION: .*IANA/) });
  });
});
