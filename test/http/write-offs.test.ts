import { randomUUID } from 'node:crypto';
import { addDays } from '../../src/domain/schedule';
import { invoiceStateQuery } from '../../workflows/messages';
import { startApi, type ApiHarness } from '../helpers/api';
import { eventually } from '../helpers/eventually';
import { recordHistory } from '../helpers/histories';
import { invoiceFixture } from '../helpers/fixtures';
import { expectLedgerConsistent } from '../helpers/ledger-check';
import { useStack } from '../helpers/stack';

// Writing off part or all of what an invoice owes, by hand, on the real stack: the workflow decides,
// the ledger entry lands in Postgres once, reports and the statement count it, refusals change nothing.
const stack = useStack('dev-server');
let api: ApiHarness;
beforeAll(async () => {
  api = await startApi(stack.db, stack.env, stack.workers.taskQueue);
});
afterAll(async () => {
  await api?.close();
});

// Francs: this file's invoices are the only ones in the currency, so the reports' CHF figures are theirs.
const fixture = (totalCents: number) =>
  invoiceFixture(
    { sql: stack.db.sql, client: stack.env.client, taskQueue: stack.workers.taskQueue },
    { totalCents, customer: { name: 'Kramerica AG', currency: 'CHF', email: `ap@${randomUUID().slice(0, 8)}.test` } },
  );
const writeOff = (invoiceId: string, body: Record<string, unknown>, key?: string) =>
  api.request('POST', `/api/invoices/${invoiceId}/write-off`, { body, ...(key ? { headers: { 'idempotency-key': key } } : {}) });
const writeOffs = (invoiceId: string) =>
  stack.db.sql`SELECT id, amount_cents, category, reason, actor FROM write_offs WHERE invoice_id = ${invoiceId} ORDER BY written_off_at`;
const state = (workflowId: string) => stack.env.client.workflow.getHandle(workflowId).query(invoiceStateQuery);

it('writes off part of the amount due, then the rest (settling the invoice), once per Idempotency-Key', async () => {
  const { invoice } = await fixture(10_000);
  const small = { amountCents: 300, currency: 'CHF', category: 'small_balance', reason: 'rounding agreed with their AP' };
  const first = await writeOff(invoice.id, small, 'wo-1');
  expect(first.status).toBe(201);
  expect(first.body).toMatchObject({ status: 'open', writtenOffCents: 300, amountDueCents: 9_700 });
  // The same request again: answered, nothing twice; the key with another body is a conflict.
  expect(await writeOff(invoice.id, small, 'wo-1')).toMatchObject({ status: 200, body: { writtenOffCents: 300 } });
  expect((await writeOff(invoice.id, { ...small, amountCents: 301 }, 'wo-1')).body.error.code).toBe('IDEMPOTENCY_CONFLICT');

  const rest = await writeOff(invoice.id, { amountCents: 9_700, currency: 'CHF', category: 'goodwill', reason: 'service outage' }, 'wo-2');
  expect(rest).toMatchObject({ status: 201, body: { status: 'paid', writtenOffCents: 10_000, amountDueCents: 0 } });
  await eventually(async () =>
    expect(await writeOffs(invoice.id)).toEqual([
      { id: 'api:wo-1', amount_cents: 300, category: 'small_balance', reason: 'rounding agreed with their AP', actor: 'api' },
      { id: 'api:wo-2', amount_cents: 9_700, category: 'goodwill', reason: 'service outage', actor: 'api' },
    ]),
  );
  // Retried after it settled (the workflow has completed): the same answer.
  expect(
    await writeOff(invoice.id, { amountCents: 9_700, currency: 'CHF', category: 'goodwill', reason: 'service outage' }, 'wo-2'),
  ).toMatchObject({
    status: 200,
    body: { status: 'paid' },
  });
  await recordHistory(stack.env.client.workflow.getHandle(invoice.workflowId), 'written-off-by-hand');
  const timeline = (await api.request('GET', `/api/invoices/${invoice.id}/timeline`)).body.events;
  expect(timeline.filter((e: { action: string }) => e.action === 'invoice.written_off').map((e: { reason: string }) => e.reason)).toEqual([
    'rounding agreed with their AP',
    'service outage',
  ]);

  // The statement shows both entries and closes at zero; the KPIs count them as written off.
  const today = new Date().toISOString().slice(0, 10);
  const statement = await api.request('GET', `/api/customers/${invoice.customerId}/statement?from=${today}&to=${today}`);
  const chf = statement.body.currencies.find((c: { currency: string }) => c.currency === 'CHF');
  expect(chf.lines.map((l: { kind: string; amountCents: number; description: string }) => [l.kind, l.amountCents, l.description])).toEqual([
    ['invoice', 10_000, `Invoice ${invoice.number}, due ${invoice.dueAt.toISOString().slice(0, 10)}`],
    ['write_off', -9_700, `Written off on ${invoice.number} (goodwill, service outage)`],
    ['write_off', -300, `Written off on ${invoice.number} (small balance, rounding agreed with their AP)`],
  ]);
  expect(chf.closing.balanceCents).toBe(0);
  const kpis = await api.request('GET', `/api/reports/kpis?from=${addDays(today, -1)}&to=${addDays(today, 1)}`);
  expect(kpis.body.currencies.find((c: { currency: string }) => c.currency === 'CHF')).toMatchObject({
    writtenOffCents: 10_000,
    collectedCents: 0,
  });
  await expectLedgerConsistent(stack.db.sql, stack.env.client);
});

it('refuses a write-off it cannot make, with a 4xx naming why, and changes nothing', async () => {
  const { invoice } = await fixture(5_000);
  const ok = { amountCents: 100, currency: 'CHF', category: 'small_balance', reason: 'small' };
  const refusals: [Record<string, unknown>, number, string, string?][] = [
    [{ ...ok, amountCents: 5_001 }, 409, 'EXCEEDS_AMOUNT_DUE', 'amountCents'],
    [{ ...ok, currency: 'EUR' }, 422, 'CURRENCY_MISMATCH', 'currency'],
    [{ ...ok, category: 'bad_debt' }, 400, 'VALIDATION', 'category'],
    [{ ...ok, amountCents: 0 }, 400, 'VALIDATION', 'amountCents'],
    [{ ...ok, amountCents: 1.5 }, 400, 'VALIDATION', 'amountCents'],
    [{ ...ok, reason: '  ' }, 400, 'VALIDATION', 'reason'],
    [{ amountCents: 100, currency: 'CHF', category: 'goodwill' }, 400, 'VALIDATION', 'reason'],
    [{ ...ok, extra: true }, 400, 'VALIDATION'],
  ];
  for (const [body, status, code, field] of refusals) {
    const res = await writeOff(invoice.id, body);
    expect([JSON.stringify(body), res.status, res.body.error?.code]).toEqual([JSON.stringify(body), status, code]);
    if (field) expect(res.body.error.field).toBe(field);
  }
  expect((await writeOff(randomUUID(), ok)).status).toBe(404);
  expect((await writeOff('not-an-id', ok)).status).toBe(404);
  expect(await writeOffs(invoice.id)).toEqual([]);
  expect(await state(invoice.workflowId)).toMatchObject({ amountDueCents: 5_000, writtenOffCents: 0 });

  // A paid invoice has nothing to write off.
  await api.request('POST', `/api/invoices/${invoice.id}/payments`, { body: { amountCents: 5_000, currency: 'CHF' } });
  await eventually(async () => expect((await api.request('GET', `/api/invoices/${invoice.id}`)).body.status).toBe('paid'));
  expect((await writeOff(invoice.id, ok)).body.error.code).toBe('INVOICE_PAID');
  expect(await writeOffs(invoice.id)).toEqual([]);
});
