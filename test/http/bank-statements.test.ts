import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createLogger } from '../../src/log';
import { startInboxRelay, type InboxRelay } from '../../src/services/inbox-relay';
import { invoiceStateQuery } from '../../workflows/messages';
import { startApi, type ApiHarness } from '../helpers/api';
import { runTestCli } from '../helpers/cli';
import { eventually } from '../helpers/eventually';
import { recordHistory } from '../helpers/histories';
import { invoiceFixture } from '../helpers/fixtures';
import { expectLedgerConsistent } from '../helpers/ledger-check';
import { useStack } from '../helpers/stack';

// Bank statements through the API on the real stack: lines stored once, sure matches applied to
// their invoices' workflows exactly once through the gateway inbox, the rest left for review.
const stack = useStack('dev-server');
let api: ApiHarness;
let relay: InboxRelay | undefined;
const startRelay = () =>
  startInboxRelay({ sql: stack.db.sql, client: stack.env.client, taskQueue: stack.workers.taskQueue, log: createLogger('silent') });
beforeAll(async () => {
  api = await startApi(stack.db, stack.env, stack.workers.taskQueue);
});
const afterAllStop: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const stop of afterAllStop) await stop();
  await relay?.stop();
  await api?.close();
});

const fixture = (name: string, totalCents: number, currency = 'EUR') =>
  invoiceFixture(
    { sql: stack.db.sql, client: stack.env.client, taskQueue: stack.workers.taskQueue },
    { totalCents, customer: { name, currency, email: `ap@${name.split(' ')[0]!.toLowerCase()}.test` } },
  );
const state = (workflowId: string) => stack.env.client.workflow.getHandle(workflowId).query(invoiceStateQuery);
const count = async (table: string) => Number((await stack.db.sql.unsafe(`SELECT count(*)::int AS n FROM ${table}`))[0]!.n);

interface Entry {
  ref: string;
  amount: string;
  direction?: 'CRDT' | 'DBIT';
  payer?: string;
  iban?: string;
  text?: string;
}
function camt(entries: Entry[], account = 'DE89370400440532013000'): string {
  const ntry = entries
    .map(
      (e) => `
      <Ntry>
        <Amt Ccy="EUR">${e.amount}</Amt><CdtDbtInd>${e.direction ?? 'CRDT'}</CdtDbtInd><Sts>BOOK</Sts>
        <BookgDt><Dt>2026-12-01</Dt></BookgDt><AcctSvcrRef>${e.ref}</AcctSvcrRef>
        <NtryDtls><TxDtls>
          <RltdPties>${e.payer ? `<Dbtr><Nm>${e.payer}</Nm></Dbtr>` : ''}${e.iban ? `<DbtrAcct><Id><IBAN>${e.iban}</IBAN></Id></DbtrAcct>` : ''}</RltdPties>
          <RmtInf><Ustrd>${e.text ?? ''}</Ustrd></RmtInf>
        </TxDtls></NtryDtls>
      </Ntry>`,
    )
    .join('');
  return `<?xml version="1.0"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt><Stmt><Id>S1</Id>
    <Acct><Id><IBAN>${account}</IBAN></Id><Ccy>EUR</Ccy></Acct>${ntry}</Stmt></BkToCstmrStmt></Document>`;
}
const post = (body: string, o: { type?: string; query?: string } = {}) =>
  api.request('POST', `/api/bank-statements${o.query ?? ''}`, { raw: body, headers: { 'content-type': o.type ?? 'application/xml' } });

it('imports a camt.053 file: sure matches paid on their invoices once, the rest for review, the same file again changing nothing', async () => {
  const a = await fixture('Globex GmbH', 123_456);
  const b = await fixture('Initech SARL', 10_000);
  const c = await invoiceFixture(
    { sql: stack.db.sql, client: stack.env.client, taskQueue: stack.workers.taskQueue },
    { totalCents: 20_000, customer: { name: 'Initech Two', currency: 'EUR' } },
  );
  const d = await fixture('Umbrella Corporation', 20_000);
  const file = camt([
    { ref: 'E1', amount: '1234.56', payer: 'Globex GmbH', iban: 'DE44500105175407324931', text: `Rechnung ${a.invoice.number}` },
    // One transfer for two invoices (of two customers: not one payment, so a suggestion).
    { ref: 'E2', amount: '300.00', payer: 'Initech SARL', text: `Facture ${b.invoice.number} et ${c.invoice.number}` },
    // A typo in the number and no payer to confirm it: a suggestion.
    { ref: 'E3', amount: '200.00', text: d.invoice.number.replace(/(\d)(\d)$/, '$2$1') },
    { ref: 'E4', amount: '15.00', direction: 'DBIT', text: 'fees' },
    { ref: 'E5', amount: '7.77', payer: 'Nobody Ltd', text: 'hello' },
  ]);
  const imported = await post(file);
  expect(imported.status).toBe(201);
  expect(imported.body).toMatchObject({
    format: 'camt053',
    lines: 5,
    credits: 4,
    autoApplied: 1,
    suggested: 2,
    unmatched: 1,
    duplicates: 0,
  });
  expect(imported.body.results.map((r: { outcome: string }) => r.outcome)).toEqual([
    'auto_applied',
    'suggested',
    'suggested',
    'ignored',
    'unmatched',
  ]);
  expect(imported.body.results[0]).toMatchObject({ invoices: [{ number: a.invoice.number, amountCents: 123_456 }], confidence: 0.99 });

  // The import committed with no relay running (as after a crash): two relays racing deliver the
  // allocation once; the invoice is paid by `bank:<line>:<invoice>`.
  relay = await startRelay();
  const racing = await startRelay();
  afterAllStop.push(() => racing.stop());
  await eventually(async () => expect((await state(a.invoice.workflowId)).status).toBe('paid'));
  await eventually(async () =>
    expect(await stack.db.sql`SELECT id, amount_cents FROM payments WHERE invoice_id = ${a.invoice.id}`).toEqual([
      { id: `bank:${imported.body.results[0].lineId}:${a.invoice.id}`, amount_cents: 123_456 },
    ]),
  );
  expect((await state(d.invoice.workflowId)).status).toBe('open');

  // The same file again, and an overlapping one: nothing twice.
  const again = await post(file);
  expect(again.status).toBe(200);
  expect(again.body).toMatchObject({ lines: 5, duplicates: 5, autoApplied: 0 });
  const e = await fixture('Soylent SA', 5_000);
  const overlapping = await post(
    camt([
      { ref: 'E1', amount: '1234.56', payer: 'Globex GmbH', text: `Rechnung ${a.invoice.number}` },
      { ref: 'E6', amount: '50.00', payer: 'Soylent SA', text: `${e.invoice.number}` },
    ]),
  );
  expect(overlapping.body).toMatchObject({ lines: 2, duplicates: 1, autoApplied: 1 });
  await eventually(async () => expect((await state(e.invoice.workflowId)).status).toBe('paid'));
  expect(await stack.db.sql`SELECT count(*)::int AS n FROM payments WHERE invoice_id = ${a.invoice.id}`).toEqual([{ n: 1 }]);
});

it('spreads one transfer over a customer’s invoices it names, takes an overpayment as credit, and counts money already put on an invoice by an earlier line', async () => {
  const first = await fixture('Hooli Inc', 40_000);
  const second = await invoiceFixture(
    { sql: stack.db.sql, client: stack.env.client, taskQueue: stack.workers.taskQueue },
    { totalCents: 60_000, customer: { currency: 'EUR' }, invoice: { customerId: first.customer.id } },
  );
  const result = await post(
    camt([
      { ref: 'H1', amount: '1050.00', payer: 'Hooli', text: `${first.invoice.number}, ${second.invoice.number}` },
      // Pays the first again: the earlier line settled it, so this is unmatched money, not a second payment.
      { ref: 'H2', amount: '400.00', text: `${first.invoice.number}` },
    ]),
  );
  expect(result.body.results[0]).toMatchObject({
    outcome: 'auto_applied',
    invoices: [
      { number: first.invoice.number, amountCents: 40_000 },
      { number: second.invoice.number, amountCents: 60_000 },
    ],
  });
  expect(result.body.results[1].outcome).not.toBe('auto_applied');
  await eventually(async () => {
    expect((await state(first.invoice.workflowId)).status).toBe('paid');
    expect((await state(second.invoice.workflowId)).status).toBe('paid');
  });
  // 50.00 over: the customer's credit, recorded by the invoice that took it.
  await eventually(async () =>
    expect(await stack.db.sql`SELECT amount_cents FROM customer_credits WHERE invoice_id = ${second.invoice.id}`).toEqual([
      { amount_cents: 5_000 },
    ]),
  );
});

it('settles a transfer short by bank charges: the shortfall is written off on the invoice, and its ledger adds up', async () => {
  relay ??= await startRelay();
  const inv = await fixture('Vandelay Industries', 80_000);
  const result = await post(camt([{ ref: 'V1', amount: '792.50', payer: 'Vandelay Industries', text: `Invoice ${inv.invoice.number}` }]));
  expect(result.body.results[0]).toMatchObject({
    outcome: 'auto_applied',
    invoices: [{ number: inv.invoice.number, amountCents: 79_250 }],
  });
  const lineId = result.body.results[0].lineId;
  await eventually(async () =>
    expect(await state(inv.invoice.workflowId)).toMatchObject({ status: 'paid', amountDueCents: 0, writtenOffCents: 750 }),
  );
  await eventually(async () =>
    expect(
      await stack.db.sql`SELECT i.status, i.amount_due_cents, i.written_off_cents, w.id, w.amount_cents, w.category
                         FROM invoices i JOIN write_offs w ON w.invoice_id = i.id WHERE i.id = ${inv.invoice.id}`,
    ).toEqual([
      {
        status: 'paid',
        amount_due_cents: 0,
        written_off_cents: 750,
        id: `bank:${lineId}:${inv.invoice.id}:write-off`,
        amount_cents: 750,
        category: 'bank_charges',
      },
    ]),
  );
  expect(await stack.db.sql`SELECT amount_cents FROM payments WHERE invoice_id = ${inv.invoice.id}`).toEqual([{ amount_cents: 79_250 }]);
  // Nothing became credit: what the customer paid plus what was written off is what they owed.
  expect(await stack.db.sql`SELECT count(*)::int AS n FROM customer_credits WHERE invoice_id = ${inv.invoice.id}`).toEqual([{ n: 0 }]);
  await expectLedgerConsistent(stack.db.sql, stack.env.client);

  await recordHistory(stack.env.client.workflow.getHandle(inv.invoice.workflowId), 'short-payment-written-off');

  // Not Vandelay's money after all: unapplied, the invoice owes all of it again, the bank charges included.
  const unapplied = await api.request('POST', `/api/cash-application/lines/${lineId}/unapply`, { body: { reason: 'not Vandelay' } });
  expect(unapplied.status).toBe(200);
  await eventually(async () => {
    const view = await stack.db.sql`SELECT status, amount_due_cents, written_off_cents FROM invoices WHERE id = ${inv.invoice.id}`;
    expect(view).toEqual([{ status: 'open', amount_due_cents: 80_000, written_off_cents: 0 }]);
  });
  expect(
    await stack.db.sql`SELECT reversed_by, reversed_on IS NOT NULL AS reversed FROM write_offs WHERE invoice_id = ${inv.invoice.id}`,
  ).toEqual([{ reversed_by: expect.any(String), reversed: true }]);
  await eventually(() => expectLedgerConsistent(stack.db.sql, stack.env.client));
});

it('refuses a file it cannot read, or a CSV without its mapping, with a 4xx naming why, and stores nothing', async () => {
  const before = await count('bank_lines');
  const broken = await post(camt([{ ref: 'X1', amount: '12,30' }]));
  expect(broken).toMatchObject({ status: 400, body: { error: { code: 'VALIDATION', field: 'Stmt 1 / Ntry 1 / Amt' } } });
  expect((await post('', { type: 'text/plain' })).body.error).toMatchObject({ field: 'body' });
  expect((await post('hello', { type: 'text/plain' })).body.error.message).toMatch(/not a camt.053, BAI2 or MT940 file/);
  expect((await post('a,b\n1,2', { type: 'text/csv' })).body.error).toMatchObject({ code: 'VALIDATION', field: 'account' });
  expect((await post('a,b\n1,2', { type: 'text/csv', query: '?account=DE00NOPE' })).status).toBe(404);
  expect((await post('x', { query: '?format=ofx' })).body.error.field).toBe('format');
  expect(await count('bank_lines')).toBe(before);
});

it('reads a CSV export with the account’s saved mapping', async () => {
  const inv = await fixture('Wayne Enterprises', 25_000);
  const saved = await api.request('PUT', '/api/bank-statements/accounts/DE02 1203 0000 0000 2020 51/csv-mapping', {
    body: {
      delimiter: ';',
      decimal: ',',
      dateFormat: 'DD.MM.YYYY',
      currency: 'EUR',
      columns: { date: 'Datum', amount: 'Betrag', reference: 'Zweck', payerName: 'Name' },
    },
  });
  expect(saved).toMatchObject({ status: 200, body: { account: 'DE02120300000000202051' } });
  expect((await api.request('PUT', '/api/bank-statements/accounts/X/csv-mapping', { body: { columns: { date: 'D' } } })).status).toBe(400);
  const csv = `Datum;Name;Zweck;Betrag\n01.12.2026;Wayne Enterprises;${inv.invoice.number};250,00\n`;
  const result = await post(csv, { type: 'text/csv', query: '?account=DE02120300000000202051' });
  expect(result.body).toMatchObject({ format: 'csv', autoApplied: 1 });
  await eventually(async () => expect((await state(inv.invoice.workflowId)).status).toBe('paid'));
});

it('imports from the CLI with an upload progress bar, and says what became of each line', async () => {
  const inv = await fixture('Acme Corp', 150_000, 'USD');
  const dir = await mkdtemp(path.join(os.tmpdir(), 'bank-'));
  const file = path.join(dir, 'statement.bai');
  await writeFile(
    file,
    [
      '01,021000021,CUST0001,261202,0615,1,80,1,2/',
      '02,CUST0001,021000021,1,261201,2400,USD,2/',
      '03,000123456789,USD,010,2500000,,/',
      `16,165,150000,V,261201,,0000812345,,ACH CREDIT ACME CORP ${inv.invoice.number}/`,
      '16,475,12000,0,00000000471,CHK 1021,CHECK PAID/',
      '49,162000,4/',
      '98,162000,1,6/',
      '99,162000,1,8/',
    ].join('\n'),
  );
  const first = await runTestCli(api, dir, ['bank', 'import', file]);
  expect(first).toMatchObject({ code: 0, err: '' });
  expect(first.out).toMatch(/^bai2: 2 lines, 1 credits — 1 applied, 0 for review, 0 unmatched, 0 already imported/);
  expect(first.out).toContain(`applied   line 4`);
  expect(first.out).toContain(`${inv.invoice.number} USD 1,500.00`);
  expect(first.progress).toMatch(/upload statement.bai \[.*\] 100%/);
  await eventually(async () => expect((await state(inv.invoice.workflowId)).status).toBe('paid'));

  const again = await runTestCli(api, dir, ['bank', 'import', file, '--json']);
  expect(JSON.parse(again.out)).toMatchObject({ lines: 2, duplicates: 2, autoApplied: 0 });
  expect(await runTestCli(api, dir, ['bank', 'import', path.join(dir, 'missing.bai')])).toMatchObject({
    code: 1,
    err: expect.stringContaining('no such file'),
  });
  expect(await runTestCli(api, dir, ['bank', 'import', file, '--format', 'ofx'])).toMatchObject({
    code: 1,
    err: expect.stringContaining('--format must be one of'),
  });
  await writeFile(file, '01,x/\n16,abc/');
  expect(await runTestCli(api, dir, ['bank', 'import', file])).toMatchObject({
    code: 1,
    err: expect.stringMatching(/error VALIDATION: line \d+: /),
  });
});

describe('the review queue', () => {
  const review = async () =>
    (await api.request('GET', '/api/cash-application/review?limit=200')).body.lines as {
      id: string;
      status: string;
      remittance: string;
      proposals: { allocations: { number: string }[] }[];
      why: string | null;
    }[];
  const lineOf = async (remittance: string) => (await review()).find((l) => l.remittance === remittance)!;

  it('confirms a suggestion (teaching the payer’s account, so the next payment from it applies itself), applies by hand across invoices, rejects', async () => {
    const inv = await fixture('Vandelay Industries', 45_000);
    const account = 'DE27100777770209299700';
    const file = camt([{ ref: 'R1', amount: '450.00', payer: 'V. Industries Export', iban: account, text: 'November services' }]);
    expect((await post(file)).body).toMatchObject({ suggested: 1, autoApplied: 0 });
    const line = await lineOf('November services');
    expect(line).toMatchObject({ status: 'suggested', why: expect.any(String) });
    expect(line.proposals[0]!.allocations).toEqual([expect.objectContaining({ number: inv.invoice.number })]);

    const confirmed = await api.request('POST', `/api/cash-application/lines/${line.id}/confirm`, {
      body: { reason: 'Vandelay pays from its export account' },
    });
    expect(confirmed).toMatchObject({ status: 200, body: { status: 'applied', decidedBy: 'api' } });
    await eventually(async () => expect((await state(inv.invoice.workflowId)).status).toBe('paid'));
    expect(await stack.db.sql`SELECT customer_id FROM payer_accounts WHERE account = ${account}`).toEqual([
      { customer_id: inv.customer.id },
    ]);
    expect(
      await stack.db.sql`SELECT action, actor, reason FROM audit_log WHERE entity_type = 'bank_line' AND entity_id = ${line.id}`,
    ).toEqual([{ action: 'bank_line.suggestion_confirmed', actor: 'api', reason: 'Vandelay pays from its export account' }]);
    // Decided once: a second decision changes nothing.
    expect((await api.request('POST', `/api/cash-application/lines/${line.id}/reject`, { body: { reason: 'x' } })).body.error.code).toBe(
      'LINE_ALREADY_DECIDED',
    );

    // Learned: the next payment from that account, without any reference, applies itself.
    const next = await invoiceFixture(
      { sql: stack.db.sql, client: stack.env.client, taskQueue: stack.workers.taskQueue },
      { totalCents: 12_300, customer: { currency: 'EUR' }, invoice: { customerId: inv.customer.id } },
    );
    const learned = await post(camt([{ ref: 'R2', amount: '123.00', payer: 'V. Industries Export', iban: account, text: 'December' }]));
    expect(learned.body).toMatchObject({ autoApplied: 1 });
    expect(learned.body.results[0].why).toContain(`payer account ${account} confirmed for this customer before`);
    await eventually(async () => expect((await state(next.invoice.workflowId)).status).toBe('paid'));
  });

  it('applies a line by hand across invoices with amounts, the rest as unapplied cash, and refuses what cannot be (changing nothing)', async () => {
    const x = await fixture('Kramerica', 10_000);
    const y = await invoiceFixture(
      { sql: stack.db.sql, client: stack.env.client, taskQueue: stack.workers.taskQueue },
      { totalCents: 30_000, customer: { currency: 'EUR' }, invoice: { customerId: x.customer.id } },
    );
    const usd = await fixture('Pendant Publishing', 5_000, 'USD');
    await post(camt([{ ref: 'M1', amount: '500.00', payer: 'K', text: 'see email' }]));
    const line = await lineOf('see email');
    const apply = (body: unknown) => api.request('POST', `/api/cash-application/lines/${line.id}/apply`, { body });
    const refusals = [
      [await apply({ allocations: [] }), 400, 'VALIDATION', 'allocations'],
      [await apply({ allocations: [{ invoiceId: 'nope', amountCents: 1 }] }), 400, 'VALIDATION', 'allocations.0.invoiceId'],
      [
        await apply({ allocations: [{ invoiceId: '2f0f8b55-1d3c-4e8e-9d8a-000000000000', amountCents: 1 }] }),
        404,
        'NOT_FOUND',
        'allocations.0.invoiceId',
      ],
      [await apply({ allocations: [{ invoiceId: usd.invoice.id, amountCents: 1 }] }), 422, 'CURRENCY_MISMATCH', 'allocations.0.invoiceId'],
      [await apply({ allocations: [{ invoiceId: x.invoice.id, amountCents: 60_000 }] }), 422, 'INVALID_AMOUNT', 'allocations'],
      [
        await apply({
          allocations: [
            { invoiceId: x.invoice.id, amountCents: 1 },
            { invoiceId: x.invoice.id, amountCents: 1 },
          ],
        }),
        400,
        'VALIDATION',
        'allocations.1.invoiceId',
      ],
      [await apply({ allocations: [{ invoiceId: x.invoice.id, amountCents: 1 }], extra: true }), 400, 'VALIDATION', undefined],
    ] as const;
    for (const [res, status, code, field] of refusals) {
      expect({ status: res.status, code: res.body.error.code }).toEqual({ status, code });
      if (field) expect(res.body.error.field).toBe(field);
    }
    expect((await lineOf('see email')).status).toBe('unmatched');
    expect(
      (
        await api.request('POST', `/api/cash-application/lines/2f0f8b55-1d3c-4e8e-9d8a-000000000000/apply`, {
          body: { allocations: [{ invoiceId: x.invoice.id, amountCents: 1 }] },
        })
      ).status,
    ).toBe(404);

    // Two at once: one decides, the other is told it was decided.
    const body = {
      allocations: [
        { invoiceId: x.invoice.id, amountCents: 10_000 },
        { invoiceId: y.invoice.id, amountCents: 30_000 },
      ],
    };
    const [one, two] = await Promise.all([apply(body), apply(body)]);
    expect([one.status, two.status].sort()).toEqual([200, 409]);
    await eventually(async () => {
      expect((await state(x.invoice.workflowId)).status).toBe('paid');
      expect((await state(y.invoice.workflowId)).status).toBe('paid');
    });
    expect(
      await stack.db.sql`SELECT amount_cents, currency FROM unapplied_payments WHERE source = 'bank' AND id = ${`${line.id}:rest`}`,
    ).toEqual([{ amount_cents: 10_000, currency: 'EUR' }]);
    expect(await stack.db.sql`SELECT count(*)::int AS n FROM bank_allocations WHERE line_id = ${line.id}`).toEqual([{ n: 2 }]);
  });

  it('rejects a line that is not a customer payment, with a reason', async () => {
    await post(camt([{ ref: 'J1', amount: '9.99', payer: 'Tax Office', text: 'refund VAT' }]));
    const line = await lineOf('refund VAT');
    expect((await api.request('POST', `/api/cash-application/lines/${line.id}/reject`, { body: {} })).body.error.field).toBe('reason');
    expect(
      (await api.request('POST', `/api/cash-application/lines/${line.id}/reject`, { body: { reason: 'a tax refund' } })).body.status,
    ).toBe('rejected');
    expect((await review()).some((l) => l.id === line.id)).toBe(false);
    expect((await api.request('GET', '/api/cash-application/review?after=nope')).body.error.field).toBe('after');
  });
});

it('unapplies a wrong application: the invoice is owed again and dunned where its policy says, the money joins the right customer’s balance, once', async () => {
  const wrong = await fixture('Bluth Company', 80_000);
  const right = await fixture('Sitwell Enterprises', 80_000);
  // Bluth's number in the text, and Bluth's amount: a sure match, but Sitwell paid (their AP mixed up the reference).
  const imported = await post(camt([{ ref: 'U1', amount: '800.00', payer: 'Bluth Company', text: `${wrong.invoice.number}` }]));
  const lineId = imported.body.results[0].lineId as string;
  expect(imported.body.results[0]).toMatchObject({ outcome: 'auto_applied' });
  await eventually(async () => expect((await state(wrong.invoice.workflowId)).status).toBe('paid'));
  await eventually(async () =>
    expect(await stack.db.sql`SELECT 1 FROM payments WHERE id = ${`bank:${lineId}:${wrong.invoice.id}`}`).toHaveLength(1),
  );

  const unapply = (body: unknown, id = lineId) => api.request('POST', `/api/cash-application/lines/${id}/unapply`, { body });
  expect((await unapply({})).body.error).toMatchObject({ code: 'VALIDATION', field: 'reason' });
  expect((await unapply({ reason: 'x' }, '2f0f8b55-1d3c-4e8e-9d8a-000000000000')).status).toBe(404);
  expect((await unapply({ reason: 'x', invoiceId: right.invoice.id })).body.error).toMatchObject({ code: 'NOT_FOUND', field: 'invoiceId' });
  expect((await unapply({ reason: 'x', customerId: '2f0f8b55-1d3c-4e8e-9d8a-000000000000' })).body.error.field).toBe('customerId');

  const reversed = await unapply({ reason: 'Sitwell paid this; wrong reference', customerId: right.customer.id });
  expect(reversed).toMatchObject({ status: 200, body: { reversed: [{ invoiceId: wrong.invoice.id, amountCents: 80_000 }] } });
  expect((await unapply({ reason: 'again' })).body.error.code).toBe('ALLOCATION_NOT_REVERSIBLE');

  // The paid invoice reopens: owed in full, its ladder running again.
  await eventually(async () => {
    const view = await state(wrong.invoice.workflowId);
    expect(view).toMatchObject({ status: 'open', amountDueCents: 80_000 });
    expect(view.nextAction).not.toBeNull();
  });
  expect(await stack.db.sql`SELECT action, actor, reason FROM audit_log WHERE entity_type = 'bank_line' AND entity_id = ${lineId}`).toEqual(
    [{ action: 'bank_line.unapplied', actor: 'api', reason: 'Sitwell paid this; wrong reference' }],
  );

  // The money is Sitwell's now: their balance pays their invoice.
  const balance = await api.request('GET', `/api/customers/${right.customer.id}/balance`);
  expect(balance.body.balances).toEqual([expect.objectContaining({ currency: 'EUR', cashCents: 80_000 })]);
  expect((await api.request('POST', `/api/customers/${right.customer.id}/balance/apply`, { body: {} })).status).toBe(201);
  await eventually(async () => expect((await state(right.invoice.workflowId)).status).toBe('paid'));
  await eventually(() => expectLedgerConsistent(stack.db.sql, stack.env.client));
});

it('reconciles each account and day: every cent of the statements applied, unapplied, in review or rejected', async () => {
  const res = await api.request('GET', '/api/reconciliation?from=2026-12-01&to=2026-12-01');
  expect(res.status).toBe(200);
  expect(res.body.balanced).toBe(true);
  expect(res.body.days.length).toBeGreaterThan(0);
  for (const d of res.body.days) {
    expect(d.creditsCents).toBe(d.appliedCents + d.unappliedCents + d.inReviewCents + d.rejectedCents);
    expect(d.unaccountedCents).toBe(0);
  }
  const eur = res.body.days.find(
    (d: { account: string; currency: string }) => d.account === 'DE89370400440532013000' && d.currency === 'EUR',
  );
  expect(eur).toMatchObject({ debitsCents: 1_500 });
  expect(eur.appliedCents).toBeGreaterThan(0);
  expect(eur.rejectedCents).toBe(999);
  expect((await api.request('GET', '/api/reconciliation?from=2026-12-02&to=2026-12-01')).body.error.field).toBe('to');
  expect((await api.request('GET', '/api/reconciliation?from=yesterday&to=2026-12-01')).body.error.field).toBe('from');
});
