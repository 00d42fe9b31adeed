import { randomUUID } from 'node:crypto';
import { addDays, localDate } from '../../src/domain/schedule';
import { previousMonth } from '../../src/domain/statement';
import { statementScheduleId } from '../../src/temporal/statement-schedules';
import { type ApiHarness, startApi } from '../helpers/api';
import { eventually } from '../helpers/eventually';
import { recordHistory } from '../helpers/histories';
import { useStack } from '../helpers/stack';
import type { StatementSendResult } from '../../workflows/messages';

const stack = useStack('dev-server');
let api: ApiHarness;
beforeAll(async () => {
  api = await startApi(stack.db, stack.env, stack.workers.taskQueue);
});
afterAll(async () => {
  await api?.close();
});

const sql = () => stack.db.sql;
const ZONE = 'Europe/Berlin';
const today = () => localDate(Date.now(), ZONE);
async function newCustomer(extra: Record<string, unknown> = {}) {
  const res = await api.request('POST', '/api/customers', {
    body: { name: `Statement ${randomUUID().slice(0, 8)}`, email: 'ap@acme.test', timeZone: ZONE, currency: 'EUR', ...extra },
  });
  expect(res.status).toBe(201);
  return res.body as { id: string; name: string };
}
async function newInvoice(customerId: string, unitAmountCents: number) {
  const res = await api.request('POST', '/api/invoices', {
    body: { customerId, lines: [{ description: 'Work', quantity: 1, unitAmountCents }] },
  });
  expect(res.status).toBe(201);
  return res.body as { id: string; number: string };
}
const statementEmails = (customerId: string) =>
  sql()<
    {
      idempotencyKey: string;
      subject: string;
      text: string;
      recipients: { to: string[]; cc: string[] };
      attachments: { filename: string }[];
    }[]
  >`
    SELECT idempotency_key AS "idempotencyKey", subject, text, recipients, attachments FROM email_log
    WHERE customer_id = ${customerId} AND template = 'statement' ORDER BY created_at`;

/** A customer with this month's invoices: one part paid by hand, one voided, one open. */
async function customerWithActivity() {
  const c = await newCustomer({ contacts: [{ email: 'controller@acme.test', role: 'cc' }] });
  const a = await newInvoice(c.id, 10_000);
  const b = await newInvoice(c.id, 5_000);
  expect(
    (await api.request('POST', `/api/invoices/${a.id}/payments`, { body: { amountCents: 4_000, currency: 'EUR', reference: 'TRF 1' } }))
      .status,
  ).toBe(201);
  expect((await api.request('POST', `/api/invoices/${b.id}/void`, { body: { reason: 'duplicate' } })).status).toBe(200);
  await eventually(async () => {
    const [row] = await sql()<
      { n: number }[]
    >`SELECT count(*)::int AS n FROM invoices WHERE customer_id = ${c.id} AND (status = 'void' OR paid_cents > 0)`;
    expect(row!.n).toBe(2);
  });
  return { c, a, b };
}

describe('statement of account', () => {
  it("lists the period's invoices, payment and void with a running balance, and ages what is open", async () => {
    const { c, a, b } = await customerWithActivity();
    const res = await api.request('GET', `/api/customers/${c.id}/statement`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ customer: { id: c.id, name: c.name, timeZone: ZONE }, from: `${today().slice(0, 8)}01`, to: today() });
    const [eur] = res.body.currencies;
    expect(res.body.currencies).toHaveLength(1);
    expect(eur.opening).toEqual({ balanceCents: 0, owedCents: 0, creditCents: 0 });
    expect(eur.lines.map((l: any) => [l.kind, l.invoiceNumber, l.amountCents])).toEqual([
      ['invoice', a.number, 10_000],
      ['invoice', b.number, 5_000],
      ['payment', a.number, -4_000],
      ['void', b.number, -5_000],
    ]);
    expect(eur.lines.map((l: any) => l.balanceCents)).toEqual([10_000, 15_000, 11_000, 6_000]);
    expect(eur.lines[2].description).toBe(`Payment on ${a.number} (bank transfer, TRF 1)`);
    expect(eur.closing).toEqual({ balanceCents: 6_000, owedCents: 6_000, creditCents: 0 });
    expect(eur.aging).toEqual({ current: 6_000, '1-30': 0, '31-60': 0, '61-90': 0, '90+': 0 });
    expect(eur.openItems).toMatchObject([{ invoiceId: a.id, owedCents: 6_000, bucket: 'current' }]);

    const pdf = await api.request('GET', `/api/customers/${c.id}/statement?format=pdf&from=${today()}&to=${today()}`);
    expect(pdf.status).toBe(200);
    expect(pdf.headers.get('content-disposition')).toBe(`attachment; filename="statement-${today()}-${today()}.pdf"`);
    expect((pdf.body as Buffer).subarray(0, 5).toString()).toBe('%PDF-');
  });

  it.each([
    ['from', '?from=2026-13-01'],
    ['to', '?to=yesterday'],
    ['to', `?to=2999-01-01`],
    ['from', `?from=2999-01-01&to=2026-01-01`],
    ['from', '?from=2020-01-01&to=2026-01-01'],
    ['format', '?format=xml'],
    ['currency', '?currency=EUR'],
  ])('refuses a bad %s with 400 naming it', async (field, query) => {
    const c = await newCustomer();
    const res = await api.request('GET', `/api/customers/${c.id}/statement${query}`);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('VALIDATION');
    expect(res.body.error.message).toContain(field);
  });

  it('answers 404 for an unknown customer, and changes nothing when sending to one', async () => {
    const id = randomUUID();
    expect((await api.request('GET', `/api/customers/${id}/statement`)).status).toBe(404);
    expect((await api.request('POST', `/api/customers/${id}/statement/send`, { body: {} })).status).toBe(404);
    expect((await api.request('GET', `/api/customers/not-a-uuid/statement`)).status).toBe(404);
    const [row] = await sql()<{ n: number }[]>`SELECT count(*)::int AS n FROM email_log WHERE customer_id = ${id}`;
    expect(row!.n).toBe(0);
  });
});

describe('sending statements', () => {
  it('emails the statement with its PDF to the billing and CC contacts, once per Idempotency-Key', async () => {
    const { c } = await customerWithActivity();
    const key = randomUUID();
    const first = await api.request('POST', `/api/customers/${c.id}/statement/send`, { body: {}, headers: { 'idempotency-key': key } });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ outcome: 'sent', to: today(), recipients: { to: ['ap@acme.test'], cc: ['controller@acme.test'] } });
    const again = await api.request('POST', `/api/customers/${c.id}/statement/send`, { body: {}, headers: { 'idempotency-key': key } });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ outcome: 'already_sent', emailKey: first.body.emailKey });
    const emails = await statementEmails(c.id);
    expect(emails).toHaveLength(1);
    expect(emails[0]).toMatchObject({
      idempotencyKey: first.body.emailKey,
      recipients: { to: ['ap@acme.test'], cc: ['controller@acme.test'] },
      attachments: [{ filename: `statement-${first.body.from}-${today()}.pdf` }],
    });
    expect(emails[0]!.subject).toBe(`Statement of account ${first.body.from} to ${today()} from Acme Test Ltd`);
    expect(emails[0]!.text).toContain('Balance due: EUR 60.00');
    expect(emails[0]!.text).toContain('Pay everything at once: http://localhost:3000/portal/[personal-link]');

    // The same key for another period is a conflict; without a key each request sends one.
    const conflict = await api.request('POST', `/api/customers/${c.id}/statement/send`, {
      body: { from: addDays(today(), -40), to: today() },
      headers: { 'idempotency-key': key },
    });
    expect(conflict.status).toBe(409);
    expect(conflict.body.error.code).toBe('IDEMPOTENCY_CONFLICT');
    expect((await api.request('POST', `/api/customers/${c.id}/statement/send`, { body: {} })).status).toBe(201);
    expect(await statementEmails(c.id)).toHaveLength(2);
  });

  it('refuses a bad period or body with 400 and sends nothing', async () => {
    const c = await newCustomer();
    for (const body of [{ from: 'soon' }, { to: '2999-01-01' }, { period: 'month' }]) {
      const res = await api.request('POST', `/api/customers/${c.id}/statement/send`, { body });
      expect([res.status, res.body.error.code]).toEqual([400, 'VALIDATION']);
    }
    expect(await statementEmails(c.id)).toHaveLength(0);
  });

  it('a monthly statement states the month before its firing, once, and skips an account with nothing to state', async () => {
    // An ERP invoice issued last month and due in it, part paid before the import.
    const month = previousMonth(today());
    const ext = randomUUID();
    const imported = await api.request('POST', '/api/imports/customers', {
      body: { rows: [{ externalId: ext, name: `Monthly ${ext.slice(0, 8)}`, email: 'ap@monthly.test', timeZone: ZONE, currency: 'EUR' }] },
    });
    const id = imported.body.results[0].id as string;
    const invoice = await api.request('POST', '/api/imports/invoices', {
      body: {
        rows: [
          {
            externalId: `inv-${ext}`,
            customerExternalId: ext,
            currency: 'EUR',
            issueDate: month.from,
            dueDate: addDays(month.from, 10),
            totalCents: 20_000,
            amountPaidCents: 5_000,
            catchUp: 'none',
          },
        ],
      },
    });
    expect(invoice.body.results[0].status).toBe('created');
    await eventually(async () => {
      const [row] = await sql()<{ paid: number }[]>`SELECT paid_cents::int AS paid FROM invoices WHERE customer_id = ${id}`;
      expect(row?.paid).toBe(5_000);
    });
    const run = (workflowId: string) =>
      stack.env.client.workflow.execute('statementWorkflow', {
        workflowId,
        taskQueue: stack.workers.taskQueue,
        args: [{ customerId: id }],
      }) as Promise<StatementSendResult>;
    // Fired this month (no scheduled time: its start): the statement of last month.
    const first = await run(`statement-monthly-${id}-1`);
    expect(first).toMatchObject({ outcome: 'sent', ...month, emailKey: `customer-${id}/statement-${month.from.slice(0, 7)}` });
    expect((await run(`statement-monthly-${id}-2`)).outcome).toBe('already_sent');
    await recordHistory(stack.env.client.workflow.getHandle(`statement-monthly-${id}-1`), 'statement-monthly-sent');
    const emails = await statementEmails(id);
    expect(emails).toHaveLength(1);
    // What the ERP had been paid is booked on the day of the import (this month), so all of it was owed then.
    expect(emails[0]!.text).toContain('Balance due: EUR 200.00, of which EUR 200.00 is overdue.');

    const quiet = await newCustomer();
    expect(
      await stack.env.client.workflow.execute('statementWorkflow', {
        workflowId: `statement-monthly-${quiet.id}`,
        taskQueue: stack.workers.taskQueue,
        args: [{ customerId: quiet.id }],
      }),
    ).toMatchObject({
      outcome: 'nothing_to_state',
    });
    expect(await statementEmails(quiet.id)).toHaveLength(0);
  });

  it('opting in creates a Schedule on the day of the month in the customer zone; opting out removes it', async () => {
    const c = await newCustomer();
    const on = await api.request('PATCH', `/api/customers/${c.id}`, { body: { statements: { monthly: true, dayOfMonth: 5 } } });
    expect(on.status).toBe(200);
    expect(on.body).toMatchObject({ statements: { monthly: true, dayOfMonth: 5 }, changed: ['statementDay'] });
    const handle = stack.env.client.schedule.getHandle(statementScheduleId(c.id));
    const d = await handle.describe();
    expect(d.spec.timezone).toBe(ZONE);
    expect(d.spec.calendars).toMatchObject([{ dayOfMonth: [{ start: 5, end: 5, step: 1 }], hour: [{ start: 8, end: 8, step: 1 }] }]);
    expect(d.action).toMatchObject({ type: 'startWorkflow', workflowType: 'statementWorkflow', args: [{ customerId: c.id }] });
    const next = new Date(d.info.nextActionTimes[0]!);
    expect(localDate(next.getTime(), ZONE).slice(8)).toBe('05');
    expect(new Intl.DateTimeFormat('en-GB', { timeZone: ZONE, hour: '2-digit', minute: '2-digit' }).format(next)).toBe('08:00');
    expect((await api.request('GET', `/api/customers/${c.id}`)).body.account.nextStatements[0]).toBe(next.toISOString());

    // A new time zone moves it; opting out deletes it.
    await api.request('PATCH', `/api/customers/${c.id}`, { body: { timeZone: 'America/New_York' } });
    expect((await handle.describe()).spec.timezone).toBe('America/New_York');
    const off = await api.request('PATCH', `/api/customers/${c.id}`, { body: { statements: { monthly: false } } });
    expect(off.body.statements).toEqual({ monthly: false, dayOfMonth: null });
    await expect(handle.describe()).rejects.toThrow(/not found/i);
  });

  it.each([
    [{ monthly: true, dayOfMonth: 29 }, 'statements.dayOfMonth'],
    [{ monthly: false, dayOfMonth: 3 }, 'statements.dayOfMonth'],
    [{ dayOfMonth: 3 }, 'statements.monthly'],
  ])('refuses statement settings %j with 400 naming %s, and changes nothing', async (statements, field) => {
    const c = await newCustomer();
    const res = await api.request('PATCH', `/api/customers/${c.id}`, { body: { statements } });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain(field);
    expect((await api.request('GET', `/api/customers/${c.id}`)).body.statements).toEqual({ monthly: false, dayOfMonth: null });
  });
});

describe('portal', () => {
  it('shows the statement with a PDF link, and the PDF itself', async () => {
    const { c, a } = await customerWithActivity();
    const link = await api.request('POST', `/api/customers/${c.id}/portal-links`, { body: {} });
    const base = link.body.url.replace(/^https?:\/\/[^/]+/, api.url);
    expect(await (await fetch(base)).text()).toContain('Statement of account');
    const page = await fetch(`${base}/statement`);
    expect(page.status).toBe(200);
    const body = await page.text();
    expect(body).toContain(`Payment on ${a.number}`);
    expect(body).toMatch(/<strong class="closing">EUR 60\.00<\/strong>/);
    const pdf = await fetch(`${base}/statement?format=pdf`);
    expect(pdf.headers.get('content-type')).toBe('application/pdf');
    const bad = await fetch(`${base}/statement?from=2999-01-01`);
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('must not be after');
  });
});
