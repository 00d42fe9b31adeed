import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DateTime } from 'luxon';
import { listEmails } from '../../src/db/email-log';
import { insertPolicyVersion } from '../../src/db/policies';
import { invoiceStateQuery } from '../../workflows/messages';
import { startApi, type ApiHarness } from '../helpers/api';
import { runTestCli } from '../helpers/cli';
import { eventually } from '../helpers/eventually';
import { recordHistory } from '../helpers/histories';
import { useStack } from '../helpers/stack';

// The CLI against the real API, database and Temporal dev server; the ladder is days long, so the
// imported workflows only wait (nothing fires during the test).
const stack = useStack('dev-server');
let api: ApiHarness;
let dir: string;

const today = DateTime.now().setZone('Europe/Berlin');
const daysAgo = (n: number) => today.minus({ days: n }).toISODate()!;

beforeAll(async () => {
  await insertPolicyVersion(stack.db.sql, {
    name: 'erp',
    steps: [
      { offset: '3d', template: 'reminder_overdue' },
      { offset: '7d', template: 'late_fee_notice', lateFee: { amountCents: 4_000, currency: 'EUR' } },
      { offset: '14d', template: 'final_notice', finalNotice: true },
      { offset: '30d', template: 'handoff_notice', handOff: true },
    ],
  } as never);
  api = await startApi(stack.db, stack.env, stack.workers.taskQueue);
  dir = await mkdtemp(path.join(os.tmpdir(), 'import-'));
});
afterAll(async () => {
  await api?.close();
});

const cli = (args: string[]) => runTestCli(api, dir, args, { pollMs: 10 });
const file = async (name: string, lines: string[]) => {
  const p = path.join(dir, name);
  await writeFile(p, lines.join('\r\n') + '\r\n');
  return p;
};
const counts = async () => {
  const [row] = await stack.db.sql<{ customers: number; invoices: number }[]>`
    SELECT (SELECT count(*)::int FROM customers) AS customers, (SELECT count(*)::int FROM invoices) AS invoices`;
  return row!;
};

// A QuickBooks-style export: its own header names, a BOM, quoted commas.
const customersCsv = () =>
  file('customers.csv', [
    '\uFEFFCustomer ID,Company,Billing Email,Time Zone,Currency,Payment Terms',
    'C-001,"Wayne Enterprises, Inc.",ap@wayne.test,Europe/Berlin,EUR,30',
    'C-002,Tyrell KK,keiri@tyrell.test,Asia/Tokyo,JPY,45',
    'C-003,Broken Mail Ltd,not-an-email,Europe/Berlin,EUR,30',
    'C-004,Nowhere GmbH,ap@nowhere.test,Europe/Atlantis,EUR,thirty',
  ]);
const invoicesCsv = () =>
  file('invoices.csv', [
    'Invoice ID,Customer ID,Invoice Number,Currency,Invoice Date,Due Date,Total,Amount Paid,Memo,Policy',
    `I-1001,C-001,QB-1001,EUR,${daysAgo(40)},${daysAgo(10)},1200.50,200.00,Retainer October,erp`,
    `I-1002,C-002,QB-1002,JPY,${daysAgo(5)},${daysAgo(-25)},150000,,Licences,erp`,
    `I-1003,C-001,QB-1003,EUR,${daysAgo(60)},${daysAgo(30)},99.00,99.00,Paid already,erp`,
    `I-1004,C-001,QB-1004,EUR,${daysAgo(20)},${daysAgo(5)},"1,200.00",,Thousands separator,erp`,
    `I-1005,C-999,QB-1005,EUR,${daysAgo(20)},${daysAgo(5)},10.00,,Unknown customer,erp`,
    `I-1006,C-001,QB-1006,EUR,${daysAgo(20)},${daysAgo(25)},10.00,,Due before issue,erp`,
    `I-1007,C-001,QB-1007,EUR,${daysAgo(20)},${daysAgo(5)},10.005,,Too many decimals,erp`,
  ]);

describe('import', () => {
  it('imports the good rows, reports every bad one by file and line, and starts open invoices where their policy stands', async () => {
    const report = path.join(dir, 'report.csv');
    const run = await cli(['import', await customersCsv(), await invoicesCsv(), '--report', report]);
    expect(run.code).toBe(1);
    expect(run.out.split('\n')).toEqual([
      'customers.csv: 4 rows — 2 imported, 0 already imported, 0 skipped, 2 with errors',
      'invoices.csv: 7 rows — 2 imported, 0 already imported, 1 skipped, 4 with errors',
      '',
      'customers.csv line 4 (C-003): email: must be an email address',
      'customers.csv line 5 (C-004): paymentTermsDays: "thirty" is not a whole number of days',
      'invoices.csv line 4 (I-1003): skipped — paid in full: nothing to collect',
      'invoices.csv line 5 (I-1004): total: "1,200.00" is not an amount: write digits with an optional decimal point, e.g. 1234.50',
      'invoices.csv line 6 (I-1005): customerExternalId: no customer with external id C-999 (import customers first)',
      'invoices.csv line 7 (I-1006): dueDate: is before the issue date',
      'invoices.csv line 8 (I-1007): total: "10.005" has more decimals than EUR allows (2)',
      '',
      `report written to ${report}`,
    ]);
    expect(run.progress).toMatch(/import \[.*\] 100% \| 11\/11/);
    const lines = (await readFile(report, 'utf8')).trim().split('\n');
    expect(lines[0]).toBe('file,line,external_id,status,id,number,field,message');
    expect(lines).toHaveLength(12);
    expect(lines[1]).toMatch(/^customers\.csv,2,C-001,created,[0-9a-f-]{36},,,$/);
    expect(await counts()).toEqual({ customers: 2, invoices: 2 });

    const [wayne] = await stack.db.sql`SELECT id, name, time_zone, payment_terms_days FROM customers WHERE external_id = 'C-001'`;
    expect(wayne).toMatchObject({ name: 'Wayne Enterprises, Inc.', time_zone: 'Europe/Berlin', payment_terms_days: 30 });

    // 10 days overdue on a 3d/7d/14d/30d ladder: the reminder and the fee had their time before the
    // import and are not performed now; the final notice (day 14) is next. No issue email goes out.
    const [inv] = await stack.db
      .sql`SELECT id, workflow_id, external_number, issue_date, total_cents FROM invoices WHERE external_id = 'I-1001'`;
    expect(inv).toMatchObject({ external_number: 'QB-1001', issue_date: daysAgo(40), total_cents: 120_050 });
    const view = await eventually(async () => {
      const v = await stack.env.client.workflow.getHandle(inv!.workflow_id).query(invoiceStateQuery);
      expect(v.timeline.map((e) => e.type)).toEqual(['imported']);
      return v;
    });
    expect(view.amountDueCents).toBe(100_050);
    expect(view.feesCents).toBe(0);
    expect(view.steps.map((s) => s.status)).toEqual(['superseded', 'superseded', 'pending', 'pending']);
    expect(view.nextAction).toMatchObject({ step: { index: 2, template: 'final_notice' } });
    expect(view.timeline[0]).toMatchObject({ actor: 'import', externalId: 'I-1001', paidBeforeCents: 20_000, resumeAtStep: 2 });
    await eventually(async () => {
      const [payment] = await stack.db.sql`SELECT amount_cents, method FROM payments WHERE invoice_id = ${inv!.id}`;
      expect(payment).toEqual({ amount_cents: 20_000, method: 'erp_import' });
    });
    expect(await listEmails(stack.db.sql, { invoiceId: inv!.id, limit: 10 })).toEqual([]);
    await recordHistory(stack.env.client.workflow.getHandle(inv!.workflow_id), 'erp-imported');

    // Not yet due: the whole ladder is ahead.
    const [jpy] = await stack.db.sql`SELECT workflow_id FROM invoices WHERE external_id = 'I-1002'`;
    const jpyView = await eventually(() => stack.env.client.workflow.getHandle(jpy!.workflow_id).query(invoiceStateQuery));
    expect(jpyView).toMatchObject({ currency: 'JPY', amountDueCents: 150_000, timeZone: 'Asia/Tokyo' });
    expect(jpyView.steps.map((s) => s.status)).toEqual(['pending', 'pending', 'pending', 'pending']);
  });

  it('is a no-op when re-run, and imports fixed rows on the next run', async () => {
    const again = await cli(['import', await customersCsv(), await invoicesCsv()]);
    expect(again.out).toContain('customers.csv: 4 rows — 0 imported, 2 already imported, 0 skipped, 2 with errors');
    expect(again.out).toContain('invoices.csv: 7 rows — 0 imported, 2 already imported, 1 skipped, 4 with errors');
    expect(await counts()).toEqual({ customers: 2, invoices: 2 });

    const fixedCustomers = await file('customers-fixed.csv', [
      'external_id,name,email,time_zone,currency',
      'C-003,Broken Mail Ltd,ap@brokenmail.test,Europe/Berlin,EUR',
    ]);
    const fixedInvoices = await file('invoices-fixed.csv', [
      'external_id,customer_external_id,currency,issue_date,due_date,total',
      `I-1004,C-003,EUR,${daysAgo(20)},${daysAgo(5)},1200.00`,
    ]);
    const fixed = await cli(['import', fixedCustomers, fixedInvoices, '--json']);
    expect(fixed.code).toBe(0);
    expect(JSON.parse(fixed.out).files).toEqual([
      { file: 'customers-fixed.csv', rows: 1, created: 1, exists: 0, skipped: 0, errors: 0 },
      { file: 'invoices-fixed.csv', rows: 1, created: 1, exists: 0, skipped: 0, errors: 0 },
    ]);
    expect(await counts()).toEqual({ customers: 3, invoices: 3 });
  });

  it('imports contacts, an escalation contact and a credit limit from their columns', async () => {
    const csv = await file('customers-contacts.csv', [
      'external_id,name,email,time_zone,currency,cc_emails,escalation_email,escalate_from,credit_limit,locale',
      'C-200,Stark Industries,ap@stark.test,America/New_York,USD,controller@stark.test; pepper@stark.test,cfo@stark.test,final_notice,25000.00,en-US',
      'C-201,Bad Limit Co,ap@badlimit.test,UTC,USD,,,,lots,',
    ]);
    const run = await cli(['import', csv]);
    expect(run.out).toContain('customers-contacts.csv line 3 (C-201): creditLimit:');
    const [row] = await stack.db.sql`SELECT id FROM customers WHERE external_id = 'C-200'`;
    const customer = (await api.request('GET', `/api/customers/${row!.id}`)).body;
    expect(customer).toMatchObject({
      locale: 'en-US',
      contacts: [
        { email: 'ap@stark.test', role: 'billing' },
        { email: 'controller@stark.test', role: 'cc' },
        { email: 'pepper@stark.test', role: 'cc' },
        { email: 'cfo@stark.test', role: 'escalation', escalateFrom: 'final_notice' },
      ],
      creditLimits: [{ currency: 'USD', limitCents: 2_500_000 }],
    });
  });

  it('refuses a file without a required column before importing anything', async () => {
    const before = await counts();
    const noEmail = await file('no-email.csv', ['external_id,name,time_zone,currency', 'C-100,Acme,UTC,USD']);
    const run = await cli(['import', noEmail]);
    expect(run).toMatchObject({
      code: 1,
      err: expect.stringContaining('no-email.csv: missing column email (found external_id, name, time_zone, currency)'),
    });
    expect((await cli(['import', path.join(dir, 'absent.csv')])).err).toContain('absent.csv: no such file');
    expect(await counts()).toEqual(before);
  });
});

describe('POST /api/imports', () => {
  it('refuses a malformed batch as a whole (400) and answers row by row otherwise', async () => {
    expect((await api.request('POST', '/api/imports/customers', { body: { rows: [] } })).status).toBe(400);
    expect((await api.request('POST', '/api/imports/invoices', { body: { rows: Array(501).fill({}) } })).status).toBe(400);
    expect((await api.request('POST', '/api/imports/invoices', { body: [] })).status).toBe(400);
    const res = await api.request('POST', '/api/imports/invoices', {
      body: {
        rows: [
          {
            externalId: 'X-1',
            customerExternalId: 'C-001',
            currency: 'EUR',
            issueDate: daysAgo(1),
            dueDate: daysAgo(-10),
            totalCents: 12.5,
          },
        ],
      },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ errors: 1, results: [{ status: 'error', error: { code: 'VALIDATION', field: 'totalCents' } }] });
    const future = await api.request('POST', '/api/imports/invoices', {
      body: {
        rows: [
          {
            externalId: 'X-2',
            customerExternalId: 'C-001',
            currency: 'EUR',
            issueDate: daysAgo(-2),
            dueDate: daysAgo(-10),
            totalCents: 100,
          },
        ],
      },
    });
    expect(future.body.results[0]).toMatchObject({ status: 'error', error: { field: 'issueDate' } });
  });
});
