import { Client, Connection } from '@temporalio/client';
import { createInvoice } from '../../src/services/create-invoice';
import { reconcileUnstartedInvoices } from '../../src/temporal/start-invoice';
import { type ApiHarness, startApi } from '../helpers/api';
import { eventually } from '../helpers/eventually';
import { useStack } from '../helpers/stack';
import { invoiceStateQuery } from '../../workflows/messages';

const stack = useStack('dev-server');
let api: ApiHarness;
beforeAll(async () => {
  api = await startApi(stack.db, stack.env, stack.workers.taskQueue);
});
afterAll(async () => {
  await api?.close();
});

const customerBody = { name: 'Initech', email: 'ap@initech.test', timeZone: 'America/Chicago', currency: 'usd', paymentTermsDays: 15 };
async function newCustomer(): Promise<string> {
  const res = await api.request('POST', '/api/customers', { body: customerBody });
  expect(res.status).toBe(201);
  return res.body.id;
}
async function newInvoice(customerId: string, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}) {
  return api.request('POST', '/api/invoices', {
    body: { customerId, lines: [{ description: 'Widgets', quantity: 3, unitAmountCents: 1999 }], ...extra },
    headers,
  });
}
const count = async (table: string) => (await stack.db.sql.unsafe(`SELECT count(*)::int AS n FROM ${table}`))[0]!.n as number;

describe('authentication', () => {
  it.each([
    ['no token', null],
    ['a wrong token', 'not-the-token-at-all'],
  ])('answers 401 with %s', async (_label, token) => {
    const res = await api.request('GET', '/api/outbox', { token });
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('UNAUTHORIZED');
  });
});

describe('customers', () => {
  it('creates and reads a customer', async () => {
    const id = await newCustomer();
    const res = await api.request('GET', `/api/customers/${id}`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id, currency: 'USD', timeZone: 'America/Chicago', paymentTermsDays: 15, creditHold: false });
  });

  it.each([
    ['name', { ...customerBody, name: '' }],
    ['email', { ...customerBody, email: 'not-an-email' }],
    ['timeZone', { ...customerBody, timeZone: 'Mars/Olympus' }],
    ['currency', { ...customerBody, currency: 'XYZ' }],
    ['paymentTermsDays', { ...customerBody, paymentTermsDays: 1.5 }],
    ['nickname', { ...customerBody, nickname: 'x' }],
  ])('rejects a bad %s with 400 naming the field, and stores nothing', async (field, body) => {
    const before = await count('customers');
    const res = await api.request('POST', '/api/customers', { body });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'VALIDATION' });
    expect(res.body.error.message).toContain(field === 'nickname' ? 'nickname' : field);
    expect(await count('customers')).toBe(before);
  });

  it('rejects an unknown policy override', async () => {
    const res = await api.request('POST', '/api/customers', { body: { ...customerBody, policy: 'nope' } });
    expect(res.status).toBe(400);
    expect(res.body.error.field).toBe('policy');
  });

  it.each(['00000000-0000-4000-8000-000000000000', 'not-a-uuid'])('answers 404 for customer %s', async (id) => {
    expect((await api.request('GET', `/api/customers/${id}`)).status).toBe(404);
  });
});

describe('policies', () => {
  it('creates versions and reads the latest or a given one', async () => {
    const doc = { name: 'gentle', steps: [{ offset: '1d', template: 'reminder_overdue' }] };
    expect((await api.request('POST', '/api/policies', { body: doc })).body).toEqual({ name: 'gentle', version: 1 });
    const v2 = {
      ...doc,
      steps: [...doc.steps, { offset: '10d', template: 'late_fee_notice', lateFee: { amountCents: 2500, currency: 'USD' } }],
    };
    expect((await api.request('POST', '/api/policies', { body: v2 })).body).toEqual({ name: 'gentle', version: 2 });
    const latest = await api.request('GET', '/api/policies/gentle');
    expect(latest.body).toMatchObject({ name: 'gentle', version: 2, versions: [1, 2] });
    expect(latest.body.steps).toHaveLength(2);
    expect((await api.request('GET', '/api/policies/gentle?version=1')).body.steps).toHaveLength(1);
    expect((await api.request('GET', '/api/policies/standard')).body.steps).toHaveLength(6);
  });

  it('refuses an invalid policy with 422 and every problem named', async () => {
    const before = await count('policies');
    const res = await api.request('POST', '/api/policies', {
      body: {
        name: 'bad',
        steps: [
          { offset: '7d', template: 'shout' },
          { offset: '1d', template: 'reminder_firm', lateFee: { percent: -2 } },
        ],
      },
    });
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('INVALID_POLICY');
    expect(res.body.error.message).toMatch(/steps\[0\]\.template: unknown template/);
    expect(res.body.error.message).toMatch(/steps\[1\]\.lateFee/);
    expect(await count('policies')).toBe(before);
  });

  it('answers 404 for an unknown policy or version', async () => {
    expect((await api.request('GET', '/api/policies/none')).status).toBe(404);
    expect((await api.request('GET', '/api/policies/standard?version=99')).status).toBe(404);
  });
});

describe('policy simulation', () => {
  const simulate = (body: unknown) => api.request('POST', '/api/policies/simulate', { body });
  const hypothetical = {
    totalCents: 100_001,
    currency: 'usd',
    timeZone: 'America/Chicago',
    dueDate: '2026-12-31',
    issuedAt: '2026-12-01T15:00:00Z',
  };

  it('plays a stored policy on a hypothetical invoice: every action in the customer zone, fees and amounts', async () => {
    const res = await simulate({ policy: { name: 'standard' }, invoice: hypothetical });
    expect(res.status).toBe(200);
    expect(res.body.policy).toEqual({ name: 'standard', version: 1 });
    expect(res.body.invoice).toEqual({
      id: null,
      totalCents: 100_001,
      currency: 'USD',
      timeZone: 'America/Chicago',
      dueAt: '2027-01-01T05:59:59.999Z',
      issuedAt: '2026-12-01T15:00:00.000Z',
      paidCents: 0,
    });
    expect(
      res.body.actions.map((a: { template: string; actsAtLocal: string; lateFeeCents: number; amountDueCents: number }) => [
        a.template,
        a.actsAtLocal,
        a.lateFeeCents,
        a.amountDueCents,
      ]),
    ).toEqual([
      // Days on the customer's calendar, in business hours (the standard policy's window, Mon–Fri 09:00–17:00).
      ['reminder_upcoming', '2026-12-28T09:00:00.000-06:00', 0, 100_001],
      ['reminder_due_today', '2026-12-31T09:00:00.000-06:00', 0, 100_001],
      ['reminder_overdue', '2027-01-07T09:00:00.000-06:00', 0, 100_001],
      ['late_fee_notice', '2027-01-14T09:00:00.000-06:00', 1500, 101_501],
      ['final_notice', '2027-02-01T09:00:00.000-06:00', 0, 101_501], // 30 January is a Saturday
      ['handoff_notice', '2027-02-15T09:00:00.000-06:00', 0, 101_501], // 14 February, a Sunday
    ]);
    expect(res.body.final).toEqual({ status: 'uncollectible', dunningStage: 'handoff_notice', feesCents: 1500, amountDueCents: 101_501 });
  });

  it('plays a draft (unsaved) policy with a send window, and saves nothing', async () => {
    const before = await count('policies');
    const draft = {
      name: 'draft-window',
      steps: [
        { offset: '0d', template: 'reminder_due_today' },
        { offset: '3d', template: 'late_fee_notice', lateFee: { percent: 2 } },
      ],
      sendWindow: { days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '09:00', end: '17:00' },
    };
    const res = await simulate({ policy: draft, invoice: { ...hypothetical, dueDate: '2026-12-04' } }); // a Friday
    expect(res.status).toBe(200);
    expect(res.body.policy).toEqual({ name: 'draft-window', version: null });
    expect(res.body.actions.map((a: { actsAtLocal: string; lateFeeCents: number }) => [a.actsAtLocal, a.lateFeeCents])).toEqual([
      ['2026-12-04T09:00:00.000-06:00', 0], // due today: Friday's opening, on the due date
      ['2026-12-07T09:00:00.000-06:00', 2000], // +3d is a Monday
    ]);
    expect(await count('policies')).toBe(before);
  });

  it('plays a policy on an existing invoice, counting what it has been paid and marking what is past', async () => {
    const created = await newInvoice(await newCustomer(), { dueDate: '2027-03-01' });
    const paid = await api.request('POST', `/api/invoices/${created.body.id}/payments`, { body: { amountCents: 1997, currency: 'USD' } });
    expect(paid.status).toBe(201);
    const res = await simulate({ policy: { name: 'standard', version: 1 }, invoiceId: created.body.id });
    expect(res.status).toBe(200);
    expect(res.body.invoice).toMatchObject({ id: created.body.id, totalCents: 5997, paidCents: 1997, timeZone: 'America/Chicago' });
    expect(res.body.actions[0]).toMatchObject({
      template: 'reminder_upcoming',
      actsAtLocal: '2027-02-26T09:00:00.000-06:00',
      amountDueCents: 4000,
      past: false,
    });
    expect(res.body.actions[3]).toMatchObject({ lateFeeCents: 60 }); // 1.5 % of 40.00
  });

  it('marks the actions whose time has gone as past', async () => {
    const res = await simulate({
      policy: { name: 'standard' },
      invoice: { ...hypothetical, issuedAt: '2025-01-01T00:00:00Z', dueDate: '2099-01-31' },
    });
    expect(res.body.actions.map((a: { past: boolean }) => a.past)).toEqual([false, false, false, false, false, false]);
    const old = await simulate({
      policy: { name: 'standard' },
      invoice: { ...hypothetical, issuedAt: '2025-01-01T00:00:00Z', dueDate: '2025-01-31' },
    });
    expect(old.body.actions.map((a: { past: boolean }) => a.past)).toEqual([true, true, true, true, true, true]);
  });

  it.each([
    [
      'an invalid draft (422, each problem named)',
      { policy: { name: 'x', steps: [{ offset: 'soon', template: 'shout' }] }, invoice: hypothetical },
      422,
      'INVALID_POLICY',
      /steps\[0\]/,
    ],
    ['an unknown stored policy (404)', { policy: { name: 'nope' }, invoice: hypothetical }, 404, 'NOT_FOUND', /policy nope/],
    [
      'a policy reference that is neither (400)',
      { policy: { version: 1 }, invoice: hypothetical },
      400,
      'VALIDATION',
      /draft policy document/,
    ],
    [
      'both invoiceId and invoice (400)',
      { policy: { name: 'standard' }, invoice: hypothetical, invoiceId: '00000000-0000-4000-8000-000000000000' },
      400,
      'VALIDATION',
      /exactly one/,
    ],
    ['neither invoiceId nor invoice (400)', { policy: { name: 'standard' } }, 400, 'VALIDATION', /exactly one/],
    [
      'an unknown invoice (404)',
      { policy: { name: 'standard' }, invoiceId: '00000000-0000-4000-8000-000000000000' },
      404,
      'NOT_FOUND',
      /does not exist/,
    ],
    [
      'an unknown time zone (400)',
      { policy: { name: 'standard' }, invoice: { ...hypothetical, timeZone: 'Mars/Olympus' } },
      400,
      'VALIDATION',
      /IANA/,
    ],
    [
      'an unsupported currency (400)',
      { policy: { name: 'standard' }, invoice: { ...hypothetical, currency: 'XYZ' } },
      400,
      'VALIDATION',
      /unsupported currency/,
    ],
    [
      'a non-integer amount (400)',
      { policy: { name: 'standard' }, invoice: { ...hypothetical, totalCents: 10.5 } },
      400,
      'VALIDATION',
      /integer/,
    ],
    [
      'both dueDate and dueAt (400)',
      { policy: { name: 'standard' }, invoice: { ...hypothetical, dueAt: '2026-12-31T12:00:00Z' } },
      400,
      'VALIDATION',
      /dueDate or dueAt/,
    ],
    ['an unknown field (400)', { policy: { name: 'standard' }, invoice: hypothetical, extra: 1 }, 400, 'VALIDATION', /extra/],
  ] as const)('refuses %s', async (_label, body, status, code, message) => {
    const res = await simulate(body);
    expect(res.status).toBe(status);
    expect(res.body.error.code).toBe(code);
    expect(res.body.error.message).toMatch(message);
  });
});

describe('invoices', () => {
  it('creates an invoice, starts its workflow, issues the PDF and email', async () => {
    const customerId = await newCustomer();
    const res = await newInvoice(customerId);
    expect(res.status).toBe(201);
    const inv = res.body;
    expect(inv).toMatchObject({
      number: expect.stringMatching(/^INV-\d{6}$/),
      status: 'open',
      currency: 'USD',
      totalCents: 5997,
      amountDueCents: 5997,
      workflowId: `invoice-${inv.id}`,
    });
    expect(inv.temporalUrl).toBe(`http://localhost:8233/namespaces/default/workflows/invoice-${inv.id}`);
    // Net 15 in Chicago: due at the end of the customer's day.
    expect(new Date(inv.dueAt).toISOString()).toMatch(/T05:59:59\.999Z$/);

    const desc = await stack.env.client.workflow.getHandle(inv.workflowId).describe();
    expect(desc.status.name).toBe('RUNNING');
    expect(desc.searchAttributes).toMatchObject({
      CustomerId: [customerId],
      PolicyName: ['standard'],
      InvoiceStatus: ['open'],
      AmountDueCents: [5997],
    });

    const outbox = await eventually(async () => {
      const r = await api.request('GET', `/api/outbox?invoiceId=${inv.id}`);
      expect(r.body.emails).toHaveLength(1);
      return r.body.emails;
    });
    expect(outbox[0]).toMatchObject({
      template: 'invoice_issued',
      recipient: 'ap@initech.test',
      idempotencyKey: `invoice-${inv.id}/issue`,
      attachments: [{ filename: `${inv.number}.pdf`, contentType: 'application/pdf' }],
    });

    const pdf = await api.request('GET', `/api/invoices/${inv.id}/pdf`);
    expect(pdf.status).toBe(200);
    expect(pdf.headers.get('content-type')).toBe('application/pdf');
    expect((pdf.body as Buffer).subarray(0, 5).toString()).toBe('%PDF-');

    // Read from the projection, which trails the workflow by the events not yet written.
    await eventually(async () =>
      expect((await api.request('GET', `/api/invoices/${inv.id}`)).body).toMatchObject({
        id: inv.id,
        nextAction: { step: { index: 0, template: 'reminder_upcoming' } },
        dunningStage: 'none',
        disputed: false,
        promisedDate: null,
      }),
    );

    const list = await api.request('GET', `/api/invoices?status=open&customerId=${customerId}`);
    expect(list.body.invoices.map((i: { id: string }) => i.id)).toEqual([inv.id]);
  });

  it('honours Idempotency-Key: same key and body → same invoice, no second workflow', async () => {
    const customerId = await newCustomer();
    const first = await newInvoice(customerId, {}, { 'Idempotency-Key': 'order-42' });
    const again = await newInvoice(customerId, {}, { 'Idempotency-Key': 'order-42' });
    expect(first.status).toBe(201);
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(first.body.id);
    const rows = await stack.db.sql`SELECT count(*)::int AS n FROM invoices WHERE customer_id = ${customerId}`;
    expect(rows[0]!.n).toBe(1);
    const conflict = await newInvoice(
      customerId,
      { lines: [{ description: 'Other', quantity: 1, unitAmountCents: 1 }] },
      { 'Idempotency-Key': 'order-42' },
    );
    expect(conflict.status).toBe(409);
    expect(conflict.body.error.code).toBe('IDEMPOTENCY_CONFLICT');
  });

  it.each([
    ['lines', { lines: [] }],
    ['unitAmountCents', { lines: [{ description: 'x', quantity: 1, unitAmountCents: 19.99 }] }],
    ['unitAmountCents', { lines: [{ description: 'x', quantity: 1, unitAmountCents: -5 }] }],
    ['quantity', { lines: [{ description: 'x', quantity: 0, unitAmountCents: 100 }] }],
    ['dueDate', { dueDate: '09/12/2026' }],
    ['dueIn', { dueDate: '2030-01-01', dueIn: '30d' }],
    ['dueIn', { dueIn: 'soon' }],
    ['currency', { currency: 'ABC' }],
    ['customerId', { customerId: 'nope' }],
  ])('rejects a bad %s with 400 and creates nothing', async (field, extra) => {
    const customerId = await newCustomer();
    const before = await count('invoices');
    const res = await newInvoice(customerId, extra);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('VALIDATION');
    expect(res.body.error.message).toContain(field);
    expect(await count('invoices')).toBe(before);
  });

  it('rejects an unknown customer (404), an unknown policy and a past due date (400)', async () => {
    const customerId = await newCustomer();
    expect((await newInvoice('00000000-0000-4000-8000-000000000000')).status).toBe(404);
    const policy = await newInvoice(customerId, { policy: 'missing' });
    expect(policy.status).toBe(400);
    expect(policy.body.error.field).toBe('policy');
    expect((await newInvoice(customerId, { dueDate: '2001-01-01' })).body.error.field).toBe('dueDate');
  });

  it('rejects malformed JSON (400), a non-JSON body (415) and a body over 1 MB (413)', async () => {
    const before = await count('invoices');
    const bad = await api.request('POST', '/api/invoices', { raw: '{"customerId": ', headers: { 'content-type': 'application/json' } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/not valid JSON/);
    expect((await api.request('POST', '/api/invoices', { raw: 'customerId=1', headers: { 'content-type': 'text/plain' } })).status).toBe(
      415,
    );
    const huge = await api.request('POST', '/api/invoices', {
      raw: JSON.stringify({ pad: 'x'.repeat(1_100_000) }),
      headers: { 'content-type': 'application/json' },
    });
    expect(huge.status).toBe(413);
    expect(await count('invoices')).toBe(before);
  });

  it.each([
    ['GET', '/api/invoices/00000000-0000-4000-8000-000000000000'],
    ['GET', '/api/invoices/not-a-uuid/pdf'],
    ['POST', '/api/invoices/00000000-0000-4000-8000-000000000000/void'],
    ['GET', '/api/nowhere'],
  ])('answers 404 for %s %s', async (method, path) => {
    const res = await api.request(method, path, method === 'POST' ? { body: {} } : {});
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('NOT_FOUND');
  });

  it('answers what happens next from Postgres, as the workflow would, even with the workflow out of reach', async () => {
    const customerId = await newCustomer();
    const { body: inv } = await newInvoice(customerId);
    const handle = stack.env.client.workflow.getHandle(inv.workflowId);
    const projected = async () =>
      (await stack.db.sql`SELECT next_step_index, paused_ms, promise_deadline, disputed FROM invoices WHERE id = ${inv.id}`)[0]!;
    // An API whose workflow queries all fail: only the projection can answer it.
    const elsewhere = new Client({ connection: stack.env.client.connection, namespace: 'no-such-namespace' });
    const cut = await startApi(stack.db, stack.env, stack.workers.taskQueue, { client: elsewhere });
    try {
      const agree = async (check: (row: Record<string, unknown>) => void) => {
        await eventually(async () => check(await projected()));
        const live = await handle.query(invoiceStateQuery);
        const [one, list] = await Promise.all([
          cut.request('GET', `/api/invoices/${inv.id}`),
          cut.request('GET', `/api/invoices?customerId=${customerId}`),
        ]);
        expect(one.status).toBe(200);
        expect(one.body.nextAction).toEqual(live.nextAction);
        expect(one.body.needsAttention).toEqual(live.needsAttention);
        expect(list.body.invoices[0].nextAction).toEqual(live.nextAction);
        return live.nextAction;
      };
      expect(await agree((row) => expect(row.next_step_index).toBe(0))).toMatchObject({
        reason: 'step',
        step: { index: 0, template: 'reminder_upcoming' },
      });
      const inTwoWeeks = new Date(Date.now() + 14 * 86_400_000).toISOString().slice(0, 10);
      await api.request('POST', `/api/invoices/${inv.id}/promise`, { body: { date: inTwoWeeks } });
      expect(await agree((row) => expect(row.promise_deadline).not.toBeNull())).toMatchObject({ reason: 'promise_deadline' });
      await api.request('POST', `/api/invoices/${inv.id}/dispute`, { body: { reason: 'wrong quantity' } });
      expect(await agree((row) => expect(row.disputed).toBe(true))).toEqual({ at: null, step: null, reason: 'disputed' });
      await api.request('POST', `/api/invoices/${inv.id}/void`, { body: { reason: 'duplicate' } });
      await eventually(async () =>
        expect((await cut.request('GET', `/api/invoices/${inv.id}`)).body).toMatchObject({ status: 'void', nextAction: null }),
      );
    } finally {
      await cut.close();
    }
  });

  it('rejects bad list filters', async () => {
    const res = await api.request('GET', '/api/invoices?status=late');
    expect(res.status).toBe(400);
    expect(res.body.error.field).toBe('status');
  });
});

describe('invoice commands', () => {
  it('applies manual payments (idempotently), then refuses to void a paid invoice', async () => {
    const customerId = await newCustomer();
    const { body: inv } = await newInvoice(customerId);
    const path = `/api/invoices/${inv.id}/payments`;

    for (const [body, status, code] of [
      [{ amountCents: 1000, currency: 'EUR' }, 422, 'CURRENCY_MISMATCH'],
      [{ amountCents: 10.5, currency: 'USD' }, 400, 'VALIDATION'],
      [{ amountCents: -1, currency: 'USD' }, 400, 'VALIDATION'],
      [{ currency: 'USD' }, 400, 'VALIDATION'],
    ] as const) {
      const res = await api.request('POST', path, { body });
      expect([res.status, res.body.error.code]).toEqual([status, code]);
    }
    expect(await stack.db.sql`SELECT 1 FROM payments WHERE invoice_id = ${inv.id}`).toHaveLength(0);

    const partial = await api.request('POST', path, {
      body: { amountCents: 2000, currency: 'usd', reference: 'wire 881' },
      headers: { 'Idempotency-Key': 'wire-881' },
    });
    expect(partial.status).toBe(201);
    expect(partial.body).toMatchObject({ status: 'open', amountPaidCents: 2000, amountDueCents: 3997 });
    const replay = await api.request('POST', path, {
      body: { amountCents: 2000, currency: 'usd', reference: 'wire 881' },
      headers: { 'Idempotency-Key': 'wire-881' },
    });
    expect(replay.status).toBe(200);
    expect(replay.body.amountDueCents).toBe(3997);
    const paid = await api.request('POST', path, { body: { amountCents: 3997, currency: 'USD' } });
    expect(paid.body).toMatchObject({ status: 'paid', amountDueCents: 0 });
    const rows = await stack.db.sql`SELECT id, amount_cents, reference FROM payments WHERE invoice_id = ${inv.id} ORDER BY amount_cents`;
    expect(rows).toEqual([
      { id: 'manual_wire-881', amount_cents: 2000, reference: 'wire 881' },
      { id: expect.stringMatching(/^manual_/), amount_cents: 3997, reference: null },
    ]);

    await eventually(async () => expect((await api.request('GET', `/api/invoices/${inv.id}`)).body.status).toBe('paid'));
    const voided = await api.request('POST', `/api/invoices/${inv.id}/void`, { body: {} });
    expect(voided.status).toBe(409);
    expect(voided.body.error.code).toBe('INVOICE_PAID');
    const more = await api.request('POST', path, { body: { amountCents: 1, currency: 'USD' } });
    expect(more.body.error.code).toBe('INVOICE_PAID');
  });

  it('opens and resolves a dispute, refusing repeats, and refuses bad promises', async () => {
    const customerId = await newCustomer();
    const { body: inv } = await newInvoice(customerId);
    const disputed = await api.request('POST', `/api/invoices/${inv.id}/dispute`, { body: { reason: 'wrong quantity' } });
    expect(disputed.status).toBe(200);
    expect(disputed.body).toMatchObject({ disputed: true, nextAction: { at: null, reason: 'disputed' } });
    const twice = await api.request('POST', `/api/invoices/${inv.id}/dispute`, { body: {} });
    expect([twice.status, twice.body.error.code]).toEqual([409, 'ALREADY_DISPUTED']);
    const promiseWhileDisputed = await api.request('POST', `/api/invoices/${inv.id}/promise`, { body: { date: '2099-01-01' } });
    expect(promiseWhileDisputed.status).toBe(409);
    const resolved = await api.request('POST', `/api/invoices/${inv.id}/dispute/resolve`, { body: { reason: 'credit note agreed' } });
    expect(resolved.body.disputed).toBe(false);
    const again = await api.request('POST', `/api/invoices/${inv.id}/dispute/resolve`, { body: {} });
    expect([again.status, again.body.error.code]).toEqual([409, 'NOT_DISPUTED']);

    const past = await api.request('POST', `/api/invoices/${inv.id}/promise`, { body: { date: '2020-01-01' } });
    expect([past.status, past.body.error.code]).toEqual([422, 'INVALID_PROMISE_DATE']);
    const malformed = await api.request('POST', `/api/invoices/${inv.id}/promise`, { body: { date: 'next week' } });
    expect([malformed.status, malformed.body.error.field]).toEqual([400, 'date']);
    const inTwoWeeks = new Date(Date.now() + 14 * 86_400_000).toISOString().slice(0, 10);
    const promised = await api.request('POST', `/api/invoices/${inv.id}/promise`, { body: { date: inTwoWeeks } });
    expect(promised.body).toMatchObject({ promisedDate: inTwoWeeks, nextAction: { reason: 'promise_deadline' } });

    const voided = await api.request('POST', `/api/invoices/${inv.id}/void`, { body: { reason: 'duplicate' } });
    expect(voided.body.status).toBe('void');
    const timeline = await eventually(async () => {
      const r = await api.request('GET', `/api/invoices/${inv.id}/timeline`);
      expect(r.body.events.at(-1).action).toBe('invoice.voided');
      return r.body.events;
    });
    expect(timeline.map((e: { action: string }) => e.action)).toEqual(
      expect.arrayContaining([
        'invoice.created',
        'invoice.issued',
        'invoice.dispute_opened',
        'invoice.dispute_resolved',
        'invoice.promise_made',
        'invoice.voided',
      ]),
    );
    expect(timeline.find((e: { action: string }) => e.action === 'invoice.dispute_opened')).toMatchObject({
      actor: 'api',
      reason: 'wrong quantity',
    });
  });
});

describe('pay page and health', () => {
  it('serves the pay page without a token and 404s unknown links', async () => {
    const customerId = await newCustomer();
    const { body: inv } = await newInvoice(customerId);
    const page = await api.request('GET', `/pay/${inv.id}`, { token: null });
    expect(page.status).toBe(200);
    expect(page.body).toContain(inv.number);
    expect((await api.request('GET', '/pay/nope', { token: null })).status).toBe(404);
    expect((await api.request('GET', '/health', { token: null })).body).toEqual({ status: 'ok' });
  });
});

describe('Temporal unreachable when an invoice is created', () => {
  it('acknowledges the invoice, and the reconciler starts its workflow once Temporal is back', async () => {
    const customerId = await newCustomer();
    const dead = Connection.lazy({ address: '127.0.0.1:1', connectTimeout: 500 });
    const failures: unknown[] = [];
    const { invoice, created } = await dead.withDeadline(Date.now() + 1500, () =>
      createInvoice(
        {
          sql: stack.db.sql,
          client: new Client({ connection: dead }),
          taskQueue: stack.workers.taskQueue,
          now: () => new Date(),
          onStartFailure: (err) => failures.push(err),
        },
        { customerId, lines: [{ description: 'During an outage', quantity: 1, unitAmountCents: 700 }] },
        { actor: 'api' },
      ),
    );
    expect(created).toBe(true);
    expect(failures).toHaveLength(1);
    expect(invoice.workflowStarted).toBe(false);

    const started = await reconcileUnstartedInvoices(stack.db.sql, stack.env.client, stack.workers.taskQueue, new Date(Date.now() + 1000));
    expect(started).toContain(invoice.id);
    const desc = await stack.env.client.workflow.getHandle(invoice.workflowId).describe();
    expect(desc.status.name).toBe('RUNNING');
    const [row] = await stack.db.sql`SELECT workflow_started FROM invoices WHERE id = ${invoice.id}`;
    expect(row!.workflow_started).toBe(true);
    expect(
      await reconcileUnstartedInvoices(stack.db.sql, stack.env.client, stack.workers.taskQueue, new Date(Date.now() + 1000)),
    ).not.toContain(invoice.id);
    await dead.close();
  });
});
