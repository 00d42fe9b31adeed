import { randomUUID } from 'node:crypto';
import { genericAdapter, signGeneric } from '../../src/gateways/generic';
import { createLogger } from '../../src/log';
import { startInboxRelay, type InboxRelay } from '../../src/services/inbox-relay';
import { invoiceStateQuery } from '../../workflows/messages';
import { startApi, type ApiHarness } from '../helpers/api';
import { eventually } from '../helpers/eventually';
import { invoiceFixture } from '../helpers/fixtures';
import { readOpenItems } from '../../src/db/customer-balance';
import { checkLedger } from '../../src/services/check-ledger';
import { expectLedgerConsistent } from '../helpers/ledger-check';
import { useStack } from '../helpers/stack';

// A customer's balance (unapplied cash and credit) on the real stack: applied to open invoices
// oldest first or as split by hand, refunded, paid into by a gateway that names only the customer,
// and fed by a wrong bank application taken back. Every payment reaches its invoice exactly once.
const stack = useStack('dev-server');
const SECRET = 'generic-' + randomUUID();
let api: ApiHarness;
let relay: InboxRelay;
beforeAll(async () => {
  api = await startApi(stack.db, stack.env, stack.workers.taskQueue, { gateways: [genericAdapter(SECRET)] });
  relay = await startInboxRelay({
    sql: stack.db.sql,
    client: stack.env.client,
    taskQueue: stack.workers.taskQueue,
    log: createLogger('silent'),
  });
});
afterAll(async () => {
  await relay?.stop();
  await api?.close();
});

const deps = () => ({ sql: stack.db.sql, client: stack.env.client, taskQueue: stack.workers.taskQueue });
const state = (workflowId: string) => stack.env.client.workflow.getHandle(workflowId).query(invoiceStateQuery);
const balance = async (customerId: string) => (await api.request('GET', `/api/customers/${customerId}/balance`)).body;
const pay = (invoiceId: string, amountCents: number, reference = randomUUID()) =>
  api.request('POST', `/api/invoices/${invoiceId}/payments`, { body: { amountCents, currency: 'EUR', reference } });
const webhook = (event: Record<string, unknown>) => {
  const raw = JSON.stringify({ occurredAt: new Date().toISOString(), currency: 'EUR', ...event });
  return api.request('POST', '/webhooks/generic', {
    raw,
    headers: { 'content-type': 'application/json', 'x-signature': signGeneric(raw, SECRET, Math.floor(Date.now() / 1000)) },
  });
};

/** A customer with three open EUR invoices due 10, 20 and 30 days from now (created out of order). */
async function customerWithInvoices(name: string) {
  const newest = await invoiceFixture(deps(), {
    totalCents: 30_000,
    customer: { name, currency: 'EUR', email: `ap@${randomUUID().slice(0, 8)}.test` },
    invoice: { dueIn: '30d' },
  });
  const more = (totalCents: number, dueIn: string) =>
    invoiceFixture(deps(), { totalCents, customer: { currency: 'EUR' }, invoice: { customerId: newest.customer.id, dueIn } });
  const oldest = await more(10_000, '10d');
  const middle = await more(20_000, '20d');
  return { customer: newest.customer, oldest, middle, newest };
}

it('applies credit and unapplied cash to the oldest invoices first, once per Idempotency-Key, and the books agree everywhere', async () => {
  const { customer, oldest, middle, newest } = await customerWithInvoices('Balance One GmbH');
  // 50.00 overpaid on the newest: credit on account.
  expect((await pay(newest.invoice.id, 35_000)).status).toBe(201);
  await eventually(async () => expect((await balance(customer.id)).balances).toEqual([expect.objectContaining({ creditCents: 5_000 })]));

  const key = randomUUID();
  const applied = await api.request('POST', `/api/customers/${customer.id}/balance/apply`, {
    body: {},
    headers: { 'idempotency-key': key },
  });
  expect(applied.status).toBe(201);
  expect(applied.body.movement).toMatchObject({
    kind: 'applied',
    currency: 'EUR',
    amountCents: 5_000,
    creditCents: 5_000,
    cashCents: 0,
    allocations: [{ invoiceId: oldest.invoice.id, amountCents: 5_000, payments: [{ funding: 'credit', amountCents: 5_000 }] }],
  });
  expect(applied.body.balances).toEqual([]);
  const again = await api.request('POST', `/api/customers/${customer.id}/balance/apply`, { body: {}, headers: { 'idempotency-key': key } });
  expect(again).toMatchObject({ status: 200, body: { repeated: true, movement: { id: applied.body.movement.id } } });
  await eventually(async () => expect((await state(oldest.invoice.workflowId)).amountDueCents).toBe(5_000));

  // A gateway payment to the account (no invoice): the oldest first, then the next, the rest kept.
  const event = {
    id: `evt_${randomUUID()}`,
    type: 'payment.succeeded',
    customerId: customer.id,
    amountCents: 40_000,
    reference: 'ACH 991',
  };
  expect((await webhook(event)).status).toBe(200);
  expect((await webhook(event)).status).toBe(200);
  await eventually(async () => {
    expect((await state(oldest.invoice.workflowId)).status).toBe('paid');
    expect((await state(middle.invoice.workflowId)).status).toBe('paid');
    expect((await state(newest.invoice.workflowId)).status).toBe('paid');
  });
  // 5,000 + 20,000 paid the oldest two; the newest had been paid. 15,000 stays in the balance.
  await eventually(async () =>
    expect((await balance(customer.id)).balances).toEqual([
      expect.objectContaining({ currency: 'EUR', cashCents: 15_000, creditCents: 0 }),
    ]),
  );
  const movements = (await balance(customer.id)).movements;
  expect(movements).toHaveLength(2);
  expect(movements[0]).toMatchObject({ actor: 'gateway:generic', cashCents: 25_000, reference: 'ACH 991' });
  expect(await stack.db.sql`SELECT count(*)::int AS n FROM payments WHERE invoice_id = ${middle.invoice.id}`).toEqual([{ n: 1 }]);

  // Credit moved between invoices is not money collected, and the statement counts it once.
  const statement = (await api.request('GET', `/api/customers/${customer.id}/statement?format=json`)).body;
  const eur = statement.currencies.find((c: { currency: string }) => c.currency === 'EUR');
  expect(eur.closing).toMatchObject({ owedCents: 0, creditCents: 0 });
  expect(eur.lines.map((l: { description: string }) => l.description)).toEqual(
    expect.arrayContaining([
      `Credit applied to ${oldest.invoice.number}`,
      `Credit from ${newest.invoice.number} applied to ${oldest.invoice.number}`,
    ]),
  );
  await eventually(() => expectLedgerConsistent(stack.db.sql, stack.env.client));
});

it('splits the balance by hand, refuses what it cannot cover or an invoice does not owe, and changes nothing then', async () => {
  const { customer, oldest, middle } = await customerWithInvoices('Balance Two BV');
  const paid = await webhook({ id: `evt_${randomUUID()}`, type: 'payment.succeeded', customerId: customer.id, amountCents: 100_000 });
  expect(paid.status).toBe(200);
  // 60,000 pays everything open; 40,000 is left.
  await eventually(async () => expect((await balance(customer.id)).balances[0]?.cashCents).toBe(40_000));
  await eventually(async () => expect((await state(middle.invoice.workflowId)).status).toBe('paid'));

  const more = await invoiceFixture(deps(), { totalCents: 50_000, customer: { currency: 'EUR' }, invoice: { customerId: customer.id } });
  const before = await balance(customer.id);
  const refusals: [unknown, number, string][] = [
    [{ allocations: [{ invoiceId: more.invoice.id, amountCents: 50_000 }] }, 409, 'INSUFFICIENT_BALANCE'],
    [{ allocations: [{ invoiceId: oldest.invoice.id, amountCents: 1_000 }] }, 409, 'INVOICE_NOT_OPEN'],
    [
      {
        allocations: [
          { invoiceId: more.invoice.id, amountCents: 100 },
          { invoiceId: more.invoice.id, amountCents: 100 },
        ],
      },
      400,
      'VALIDATION',
    ],
    [{ amountCents: 100, allocations: [{ invoiceId: more.invoice.id, amountCents: 100 }] }, 400, 'VALIDATION'],
    [{ amountCents: -5 }, 400, 'VALIDATION'],
    [{ currency: 'USD' }, 409, 'INVOICE_NOT_OPEN'],
    [{ surprise: true }, 400, 'VALIDATION'],
  ];
  for (const [body, status, code] of refusals) {
    const r = await api.request('POST', `/api/customers/${customer.id}/balance/apply`, { body });
    expect({ body, status: r.status, code: r.body.error?.code }).toEqual({ body, status, code });
  }
  expect((await api.request('POST', `/api/customers/${randomUUID()}/balance/apply`, { body: {} })).status).toBe(404);
  expect((await api.request('GET', `/api/customers/nope/balance`)).status).toBe(404);
  expect(await balance(customer.id)).toEqual(before);

  const split = await api.request('POST', `/api/customers/${customer.id}/balance/apply`, {
    body: { allocations: [{ invoiceId: more.invoice.id, amountCents: 30_000 }], reason: 'as the customer asked' },
  });
  expect(split).toMatchObject({ status: 201, body: { movement: { cashCents: 30_000, reason: 'as the customer asked' } } });
  expect(split.body.balances[0].cashCents).toBe(10_000);
  await eventually(async () => expect((await state(more.invoice.workflowId)).amountDueCents).toBe(20_000));
});

it('refunds the balance with an outbound event, and two requests at once never spend the same money', async () => {
  const { customer } = await customerWithInvoices('Balance Three SA');
  expect(
    (await webhook({ id: `evt_${randomUUID()}`, type: 'payment.succeeded', customerId: customer.id, amountCents: 75_000 })).status,
  ).toBe(200);
  await eventually(async () => expect((await balance(customer.id)).balances[0]?.cashCents).toBe(15_000));

  expect((await api.request('POST', `/api/customers/${customer.id}/balance/refund`, { body: {} })).body.error).toMatchObject({
    field: 'reason',
  });
  const tooMuch = await api.request('POST', `/api/customers/${customer.id}/balance/refund`, { body: { amountCents: 15_001, reason: 'x' } });
  expect(tooMuch).toMatchObject({ status: 409, body: { error: { code: 'INSUFFICIENT_BALANCE' } } });

  const refunds = await Promise.all(
    [1, 2, 3].map(() =>
      api.request('POST', `/api/customers/${customer.id}/balance/refund`, {
        body: { amountCents: 10_000, reason: 'customer asked for the overpayment back', reference: 'SEPA OUT 1' },
      }),
    ),
  );
  expect(refunds.map((r) => r.status).sort()).toEqual([201, 409, 409]);
  const after = await balance(customer.id);
  expect(after.balances).toEqual([expect.objectContaining({ cashCents: 5_000 })]);
  const [event] = await stack.db.sql`SELECT payload FROM outbound_events WHERE type = 'customer.balance_refunded'
                                     AND payload->'data'->'customer'->>'id' = ${customer.id}`;
  expect(event!.payload.data).toMatchObject({ amountCents: 10_000, cashCents: 10_000, reference: 'SEPA OUT 1', actor: 'api' });
  const [audit] = await stack.db
    .sql`SELECT actor, reason FROM audit_log WHERE entity_id = ${customer.id} AND action = 'customer.balance_refunded'`;
  expect(audit).toEqual({ actor: 'api', reason: 'customer asked for the overpayment back' });
  await eventually(() => expectLedgerConsistent(stack.db.sql, stack.env.client));
});

it('counts a payment already delivered to an invoice, but not yet in its Postgres row, as paid (the balance does not pay it again)', async () => {
  const { customer, oldest } = await customerWithInvoices('Balance Four Oy');
  const eventId = `evt_${randomUUID()}`;
  const fact = { kind: 'payment', invoiceId: oldest.invoice.id, paymentId: eventId, amountCents: 4_000, currency: 'EUR' };
  await stack.db.sql`INSERT INTO webhook_inbox (gateway, event_id, event_type, invoice_id, fact, status)
                     VALUES ('test', ${eventId}, 'payment.succeeded', ${oldest.invoice.id}, ${stack.db.sql.json(fact)}, 'delivered')`;
  try {
    const items = await readOpenItems(stack.db.sql, customer.id, 'EUR');
    expect(items.find((i) => i.invoiceId === oldest.invoice.id)?.amountDueCents).toBe(6_000);
  } finally {
    await stack.db.sql`DELETE FROM webhook_inbox WHERE gateway = 'test' AND event_id = ${eventId}`;
  }
});

it('the ledger check notices a balance movement that does not add up', async () => {
  const [m] = await stack.db.sql`SELECT id, cash_cents FROM balance_movements WHERE kind = 'refunded' LIMIT 1`;
  await stack.db.sql`UPDATE balance_movements SET cash_cents = cash_cents + 1 WHERE id = ${m!.id}`;
  try {
    const report = await checkLedger({ sql: stack.db.sql, client: null });
    expect(report.differences).toEqual([
      expect.objectContaining({ field: `balance:${m!.id}`, message: expect.stringContaining(`says ${Number(m!.cash_cents) + 1} cash`) }),
    ]);
  } finally {
    await stack.db.sql`UPDATE balance_movements SET cash_cents = ${m!.cash_cents} WHERE id = ${m!.id}`;
  }
});
