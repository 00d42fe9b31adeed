import { randomUUID } from 'node:crypto';
import { type ApiHarness, startApi } from '../helpers/api';
import { eventually } from '../helpers/eventually';
import { useStack } from '../helpers/stack';

const stack = useStack('dev-server');
let api: ApiHarness;
beforeAll(async () => {
  api = await startApi(stack.db, stack.env, stack.workers.taskQueue);
});
afterAll(async () => {
  await api?.close();
});

const sql = () => stack.db.sql;
const base = { email: 'ap@acme.test', timeZone: 'Europe/Berlin', currency: 'EUR', paymentTermsDays: 30 };
async function newCustomer(extra: Record<string, unknown> = {}) {
  const res = await api.request('POST', '/api/customers', { body: { name: `Acme ${randomUUID().slice(0, 8)}`, ...base, ...extra } });
  expect(res.status).toBe(201);
  return res.body;
}
const invoiceBody = (customerId: string, unitAmountCents = 5_997, extra: Record<string, unknown> = {}) => ({
  body: { customerId, lines: [{ description: 'Widgets', quantity: 1, unitAmountCents }], ...extra },
});
const countOf = async (query: string, ...params: unknown[]) => (await sql().unsafe(query, params as never[]))[0]!.n as number;
const invoicesOf = (customerId: string) => countOf('SELECT count(*)::int AS n FROM invoices WHERE customer_id = $1', customerId);
const audit = (id: string, action: string) =>
  sql()<{ actor: string; reason: string | null; data: any }[]>`
    SELECT actor, reason, data FROM audit_log WHERE entity_id = ${id} AND action = ${action} ORDER BY id`;
const outbound = (customerId: string) =>
  sql()<{ type: string; payload: any }[]>`
    SELECT type, payload FROM outbound_events WHERE payload -> 'data' -> 'customer' ->> 'id' = ${customerId} ORDER BY created_at, id`;

describe('customer records', () => {
  it('creates a customer with contacts and limits, and reads its account', async () => {
    const c = await newCustomer({
      locale: 'de-ch',
      contacts: [
        { email: 'controller@acme.test', name: 'Con Troller', role: 'cc' },
        { email: 'cfo@acme.test', role: 'escalation', escalateFrom: 'final_notice' },
      ],
      creditLimits: [{ currency: 'EUR', limitCents: 1_000_000 }],
    });
    expect(c).toMatchObject({
      email: 'ap@acme.test',
      locale: 'de-CH',
      creditHold: false,
      contacts: [
        { email: 'ap@acme.test', role: 'billing', escalateFrom: null },
        { email: 'controller@acme.test', name: 'Con Troller', role: 'cc' },
        { email: 'cfo@acme.test', role: 'escalation', escalateFrom: 'final_notice' },
      ],
      creditLimits: [{ currency: 'EUR', limitCents: 1_000_000 }],
    });
    const inv = await api.request('POST', '/api/invoices', invoiceBody(c.id, 12_000));
    expect(inv.status).toBe(201);
    const read = await eventually(async () => {
      const r = await api.request('GET', `/api/customers/${c.id}`);
      expect(r.body.account.nextStep).not.toBeNull();
      return r;
    });
    expect(read.status).toBe(200);
    expect(read.body.account).toMatchObject({
      receivables: [{ currency: 'EUR', openCents: 12_000, overdueCents: 0, handedOffCents: 0 }],
      openInvoices: 1,
      overdueInvoices: 0,
      credit: [],
      unappliedCash: [],
      creditHold: null,
      nextStep: { invoiceId: inv.body.id, number: inv.body.number },
    });
  });

  it.each([
    ['contacts.0.email', { contacts: [{ email: 'nope', role: 'cc' }] }],
    ['contacts.0.role', { contacts: [{ email: 'x@acme.test', role: 'boss' }] }],
    ['contacts.0.escalateFrom', { contacts: [{ email: 'x@acme.test', role: 'escalation' }] }],
    ['contacts.0.escalateFrom', { contacts: [{ email: 'x@acme.test', role: 'cc', escalateFrom: 'final_notice' }] }],
    ['creditLimits.0.limitCents', { creditLimits: [{ currency: 'EUR', limitCents: -1 }] }],
    [
      'creditLimits',
      {
        creditLimits: [
          { currency: 'EUR', limitCents: 1 },
          { currency: 'eur', limitCents: 2 },
        ],
      },
    ],
    ['locale', { locale: 'not a locale!' }],
    ['reminders.minGap', { reminders: { minGap: '90d' } }],
  ])('refuses a bad %s with 400 naming it, and stores nothing', async (field, extra) => {
    const before = await countOf('SELECT count(*)::int AS n FROM customers');
    const res = await api.request('POST', '/api/customers', { body: { name: 'Bad', ...base, ...extra } });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'VALIDATION', field });
    expect(await countOf('SELECT count(*)::int AS n FROM customers')).toBe(before);
  });

  it('lists customers by name, searches name, contact address and external id, and pages without gaps', async () => {
    const tag = randomUUID().slice(0, 8);
    const made = [];
    for (const name of ['delta', 'Alpha', 'charlie', 'bravo', 'echo']) {
      made.push(await newCustomer({ name: `${tag} ${name}`, contacts: [{ email: `${name}.cc@${tag}.test`, role: 'cc' }] }));
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const r: { status: number; body: any } = await api.request(
        'GET',
        `/api/customers?query=${tag}&limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      );
      expect(r.status).toBe(200);
      expect(r.body.customers.length).toBeLessThanOrEqual(2);
      seen.push(...r.body.customers.map((c: { name: string }) => c.name));
      cursor = r.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual(['alpha', 'bravo', 'charlie', 'delta', 'echo'].map((n) => `${tag} ${n === 'alpha' ? 'Alpha' : n}`));

    const byContact = await api.request('GET', `/api/customers?query=${encodeURIComponent(`charlie.cc@${tag}`)}`);
    expect(byContact.body.customers.map((c: { id: string }) => c.id)).toEqual([made[2].id]);
    // LIKE wildcards in the query are plain characters.
    expect((await api.request('GET', `/api/customers?query=${encodeURIComponent(`${tag}%`)}`)).body.customers).toEqual([]);

    const imported = await api.request('POST', '/api/imports/customers', {
      body: { rows: [{ externalId: `ERP-${tag}`, name: `Imported ${tag}`, ...base }] },
    });
    expect(imported.body.created).toBe(1);
    const byExternal = await api.request('GET', `/api/customers?query=ERP-${tag}`);
    expect(byExternal.body.customers).toMatchObject([{ externalId: `ERP-${tag}` }]);
  });

  it.each([
    ['cursor', 'cursor=garbage'],
    ['limit', 'limit=0'],
    ['limit', 'limit=201'],
    ['color', 'color=red'],
  ])('refuses a bad list parameter (%s) with 400', async (field, query) => {
    const res = await api.request('GET', `/api/customers?${query}`);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('VALIDATION');
    expect(res.body.error.message + (res.body.error.field ?? '')).toContain(field);
  });

  it('changes a customer and audits each changed field before and after, with the actor', async () => {
    const c = await newCustomer();
    const res = await api.request('PATCH', `/api/customers/${c.id}`, {
      body: { name: 'Acme Renamed', email: 'billing@acme.test', paymentTermsDays: 45, reason: 'new AP mailbox' },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ name: 'Acme Renamed', email: 'billing@acme.test', paymentTermsDays: 45 });
    expect(res.body.changed.sort()).toEqual(['contacts', 'name', 'paymentTermsDays']);
    expect(res.body.contacts).toEqual([{ email: 'billing@acme.test', name: null, role: 'billing', escalateFrom: null }]);
    const [row] = await audit(c.id, 'customer.updated');
    expect(row).toMatchObject({
      actor: 'api',
      reason: 'new AP mailbox',
      data: {
        before: { name: c.name, paymentTermsDays: 30, contacts: [{ email: 'ap@acme.test' }] },
        after: { name: 'Acme Renamed', paymentTermsDays: 45, contacts: [{ email: 'billing@acme.test' }] },
      },
    });
    // The same values again change nothing and audit nothing.
    const again = await api.request('PATCH', `/api/customers/${c.id}`, { body: { name: 'Acme Renamed' } });
    expect(again.body.changed).toEqual([]);
    expect(await audit(c.id, 'customer.updated')).toHaveLength(1);
  });

  it.each([
    ['timeZone', { timeZone: 'Mars/Olympus' }],
    ['contacts', { contacts: [{ email: 'x@acme.test', role: 'cc' }] }],
    ['email', { email: 'a@acme.test', contacts: [{ email: 'b@acme.test', role: 'billing' }] }],
    ['nickname', { nickname: 'x' }],
    ['policy', { policy: 'no-such-policy' }],
  ])('refuses a bad change (%s) with 400 and changes nothing', async (field, body) => {
    const c = await newCustomer();
    const res = await api.request('PATCH', `/api/customers/${c.id}`, { body });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('VALIDATION');
    expect(res.body.error.message + (res.body.error.field ?? '')).toContain(field);
    expect((await api.request('GET', `/api/customers/${c.id}`)).body).toMatchObject({ name: c.name, email: c.email, timeZone: c.timeZone });
    expect(await audit(c.id, 'customer.updated')).toHaveLength(0);
  });

  it('answers 404 for an unknown customer on every route', async () => {
    const id = randomUUID();
    for (const [method, path, body] of [
      ['GET', `/api/customers/${id}`, undefined],
      ['PATCH', `/api/customers/${id}`, { name: 'x' }],
      ['POST', `/api/customers/${id}/credit-hold`, { reason: 'x' }],
      ['DELETE', `/api/customers/${id}/credit-hold`, undefined],
      ['PATCH', '/api/customers/not-a-uuid', { name: 'x' }],
    ] as const) {
      const res = await api.request(method, path, body ? { body } : {});
      expect([method, path, res.status]).toEqual([method, path, 404]);
    }
  });

  it('keeps the currency once the customer has invoices', async () => {
    const c = await newCustomer();
    expect((await api.request('PATCH', `/api/customers/${c.id}`, { body: { currency: 'USD' } })).body.currency).toBe('USD');
    expect((await api.request('POST', '/api/invoices', invoiceBody(c.id))).status).toBe(201);
    const res = await api.request('PATCH', `/api/customers/${c.id}`, { body: { currency: 'EUR', name: 'Also renamed' } });
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('CURRENCY_LOCKED');
    expect((await api.request('GET', `/api/customers/${c.id}`)).body).toMatchObject({ currency: 'USD', name: c.name });
  });
});

describe('credit control', () => {
  it('a hold placed through the API refuses new invoices until released; an override is audited', async () => {
    const c = await newCustomer();
    const held = await api.request('POST', `/api/customers/${c.id}/credit-hold`, { body: { reason: 'cheque bounced' } });
    expect(held.status).toBe(201);
    expect(held.body).toMatchObject({ creditHold: true, placed: true, hold: { source: 'api', reason: 'cheque bounced' } });
    expect((await api.request('POST', `/api/customers/${c.id}/credit-hold`, { body: { reason: 'again' } })).body).toMatchObject({
      placed: false,
      hold: { reason: 'cheque bounced' },
    });

    const refused = await api.request('POST', '/api/invoices', invoiceBody(c.id));
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatchObject({ code: 'CREDIT_HOLD' });
    expect(refused.body.error.message).toContain('cheque bounced');
    expect(await invoicesOf(c.id)).toBe(0);

    const overridden = await api.request(
      'POST',
      '/api/invoices',
      invoiceBody(c.id, 5_997, { override: { reason: 'CFO approved the order' } }),
    );
    expect(overridden.status).toBe(201);
    expect(await audit(overridden.body.id, 'invoice.credit_override')).toMatchObject([
      { actor: 'api', reason: 'CFO approved the order', data: { code: 'CREDIT_HOLD' } },
    ]);

    const released = await api.request('DELETE', `/api/customers/${c.id}/credit-hold`);
    expect(released.status).toBe(200);
    expect(released.body).toMatchObject({ creditHold: false, hold: null });
    expect((await api.request('DELETE', `/api/customers/${c.id}/credit-hold`)).body.error.code).toBe('NOT_ON_HOLD');
    expect((await api.request('POST', '/api/invoices', invoiceBody(c.id))).status).toBe(201);

    expect((await outbound(c.id)).map((e) => e.type)).toEqual(['customer.credit_hold_placed', 'customer.credit_hold_released']);
    expect((await outbound(c.id))[0]!.payload.data).toMatchObject({ hold: { source: 'api', reason: 'cheque bounced' }, actor: 'api' });
  });

  it('refuses a hold without a reason, with 400 and no hold', async () => {
    const c = await newCustomer();
    const res = await api.request('POST', `/api/customers/${c.id}/credit-hold`, { body: {} });
    expect(res.status).toBe(400);
    expect(res.body.error.field).toBe('reason');
    expect((await api.request('GET', `/api/customers/${c.id}`)).body.creditHold).toBe(false);
  });

  it('a credit limit refuses what would pass it, holds the customer when an override does, and releases once within it', async () => {
    const c = await newCustomer({ creditLimits: [{ currency: 'EUR', limitCents: 10_000 }] });
    const first = await api.request('POST', '/api/invoices', invoiceBody(c.id, 6_000));
    expect(first.status).toBe(201);
    const refused = await api.request('POST', '/api/invoices', invoiceBody(c.id, 6_000));
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('CREDIT_LIMIT_EXCEEDED');
    expect(refused.body.error.message).toContain('100.00');
    expect(await invoicesOf(c.id)).toBe(1);

    const second = await api.request('POST', '/api/invoices', invoiceBody(c.id, 6_000, { override: { reason: 'year-end order' } }));
    expect(second.status).toBe(201);
    const held = (await api.request('GET', `/api/customers/${c.id}`)).body;
    expect(held.hold).toMatchObject({ source: 'limit' });
    expect(held.hold.reason).toContain('over the credit limit');
    expect((await outbound(c.id)).map((e) => e.type)).toEqual(['customer.credit_hold_placed', 'customer.credit_limit_exceeded']);

    // Paying the first invoice takes the exposure back within the limit: the limit's hold clears itself.
    const paid = await api.request('POST', `/api/invoices/${first.body.id}/payments`, { body: { amountCents: 6_000, currency: 'EUR' } });
    expect(paid.status).toBeLessThan(300);
    await eventually(async () => expect((await api.request('GET', `/api/customers/${c.id}`)).body.creditHold).toBe(false));
    expect((await outbound(c.id)).map((e) => e.type)).toEqual([
      'customer.credit_hold_placed',
      'customer.credit_limit_exceeded',
      'customer.credit_hold_released',
    ]);
  });

  it('a lower limit holds a customer already past it at once', async () => {
    const c = await newCustomer();
    expect((await api.request('POST', '/api/invoices', invoiceBody(c.id, 6_000))).status).toBe(201);
    const res = await api.request('PATCH', `/api/customers/${c.id}`, { body: { creditLimits: [{ currency: 'EUR', limitCents: 5_000 }] } });
    expect(res.status).toBe(200);
    expect((await api.request('GET', `/api/customers/${c.id}`)).body.hold).toMatchObject({ source: 'limit' });
  });

  it('the portal says the account is on hold', async () => {
    const c = await newCustomer();
    await api.request('POST', `/api/customers/${c.id}/credit-hold`, { body: { reason: 'review' } });
    const link = await api.request('POST', `/api/customers/${c.id}/portal-links`, { body: {} });
    const page = await fetch(link.body.url.replace(/^https?:\/\/[^/]+/, api.url));
    expect(await page.text()).toContain('on credit hold');
  });
});

describe('dunning pause', () => {
  it("pauses and resumes a customer's reminders through its account workflow, audited", async () => {
    const c = await newCustomer();
    const until = new Date(Date.now() + 7 * 86_400_000).toISOString();
    const paused = await api.request('POST', `/api/customers/${c.id}/dunning/pause`, { body: { until, reason: 'restructuring talks' } });
    expect(paused.status).toBe(200);
    const read = await eventually(async () => {
      const r = await api.request('GET', `/api/customers/${c.id}`);
      expect(r.body.account.reminders?.paused).toMatchObject({ until, reason: 'restructuring talks', actor: 'api' });
      return r;
    });
    expect(read.body.account.reminders).toMatchObject({ pending: 0, nextContact: null });
    await eventually(async () => {
      const described = await stack.env.client.workflow.getHandle(`customer-${c.id}`).describe();
      expect(described.searchAttributes).toMatchObject({ CustomerId: [c.id], DunningPaused: [true] });
    });

    expect((await api.request('POST', `/api/customers/${c.id}/dunning/resume`, { body: {} })).status).toBe(200);
    await eventually(async () => expect((await api.request('GET', `/api/customers/${c.id}`)).body.account.reminders.paused).toBeNull());
    expect((await audit(c.id, 'customer.dunning_paused')).map((a) => a.reason)).toEqual(['restructuring talks']);
    expect(await audit(c.id, 'customer.dunning_resumed')).toHaveLength(1);
  });

  it.each([
    ['until', { until: '2020-01-01T00:00:00Z', reason: 'x' }],
    ['until', { until: 'next week', reason: 'x' }],
    ['reason', {}],
  ])('refuses a bad pause (%s) with 400 and pauses nothing', async (field, body) => {
    const c = await newCustomer();
    const res = await api.request('POST', `/api/customers/${c.id}/dunning/pause`, { body });
    expect(res.status).toBe(400);
    expect(res.body.error.field).toBe(field);
    expect(await audit(c.id, 'customer.dunning_paused')).toHaveLength(0);
  });

  it('answers 404 for an unknown customer', async () => {
    expect((await api.request('POST', `/api/customers/${randomUUID()}/dunning/pause`, { body: { reason: 'x' } })).status).toBe(404);
    expect((await api.request('POST', `/api/customers/${randomUUID()}/dunning/resume`, { body: {} })).status).toBe(404);
  });
});

describe('recipients', () => {
  it('sends to the billing contacts with the CC contacts copied, and records them all', async () => {
    const c = await newCustomer({
      contacts: [
        { email: 'ap2@acme.test', role: 'billing' },
        { email: 'controller@acme.test', role: 'cc' },
        { email: 'cfo@acme.test', role: 'escalation', escalateFrom: 'final_notice' },
      ],
    });
    const inv = await api.request('POST', '/api/invoices', invoiceBody(c.id));
    const [email] = await eventually(async () => {
      const r = await api.request('GET', `/api/outbox?invoiceId=${inv.body.id}`);
      expect(r.body.emails).toHaveLength(1);
      return r.body.emails;
    });
    expect(email).toMatchObject({
      recipient: 'ap@acme.test, ap2@acme.test',
      recipients: { to: ['ap@acme.test', 'ap2@acme.test'], cc: ['controller@acme.test'] },
    });
  });
});
