import { chromium, type Browser, type Page } from 'playwright-core';
import { findChromium } from '../helpers/browser';
import { listEmails } from '../../src/db/email-log';
import { createPortalToken } from '../../src/db/portal-tokens';
import { createInvoice } from '../../src/services/create-invoice';
import { invoiceStateQuery, paymentReceivedSignal } from '../../workflows/messages';
import { startApi, TEST_TOKEN, type ApiHarness } from '../helpers/api';
import { eventually } from '../helpers/eventually';
import { invoiceFixture } from '../helpers/fixtures';
import { useStack } from '../helpers/stack';
import { createLogger } from '../../src/log';
import { startInboxRelay } from '../../src/services/inbox-relay';

// The customer portal and the dashboard in a real browser (Debian's Chromium, headless), over the real
// app, database and Temporal dev server: the "next reminder" comes live from each invoice's workflow.
const stack = useStack('dev-server');
let api: ApiHarness;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  api = await startApi(stack.db, stack.env, stack.workers.taskQueue, { ownPublicUrl: true });
  browser = await chromium.launch({
    executablePath: findChromium(),
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking'],
  });
  page = await browser.newPage();
});
afterAll(async () => {
  await browser?.close();
  await api?.close();
});

const deps = () => ({ sql: stack.db.sql, client: stack.env.client, taskQueue: stack.workers.taskQueue });
const berlinDate = (ms: number) => new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Berlin' }).format(new Date(ms));
const row = (number: string) => page.locator(`tr[data-invoice="${number}"]`);

describe('customer portal', () => {
  it('opens from the invoice email: open invoices, amount due, next reminder live from the workflow, PDF, payments, promise and dispute', async () => {
    const first = await invoiceFixture(deps(), {
      totalCents: 120_000,
      customer: { name: 'Portal GmbH', timeZone: 'Europe/Berlin', currency: 'EUR' },
    });
    const { invoice: second } = await createInvoice(
      {
        ...deps(),
        now: () => new Date(),
        onStartFailure: (e) => {
          throw e;
        },
      },
      { customerId: first.customer.id, lines: [{ description: 'Support', quantity: 2, unitAmountCents: 15_000 }], dueIn: '30d' },
      { actor: 'test' },
    );
    const other = await invoiceFixture(deps(), { customer: { name: 'Someone Else Ltd' } });

    // The issue email carries a personal portal link; the stored copy shows where, without the token
    // (test/hostile/security.test.ts follows the link the customer received). Ops can make another.
    const email = await eventually(async () => {
      const [sent] = await listEmails(stack.db.sql, { invoiceId: first.invoice.id, limit: 1 });
      expect(sent).toBeDefined();
      return sent!;
    });
    expect(email.text).toContain('/portal/[personal-link]');
    const link = await api.request('POST', `/api/customers/${first.customer.id}/portal-links`, { body: {} });
    const portal: string = link.body.url;
    const paid = await api.request('POST', `/api/invoices/${first.invoice.id}/payments`, {
      body: { amountCents: 20_000, currency: 'EUR', method: 'bank_transfer', reference: 'SEPA 1' },
    });
    expect(paid.status).toBe(201);

    await page.goto(portal);
    await expect(page.locator('h1').textContent()).resolves.toBe('Portal GmbH');
    await expect(page.locator('.due').textContent()).resolves.toBe('EUR 1,300.00'); // 1,200 − 200 paid + 300
    await expect(row(first.invoice.number).locator('td').nth(2).textContent()).resolves.toBe('EUR 1,000.00');
    await expect(page.locator('h2:has-text("Payments") + table tbody tr td').allTextContents()).resolves.toEqual([
      berlinDate(Date.now()),
      first.invoice.number,
      'EUR 200.00',
      'bank_transfer',
    ]);
    // Next reminder: the workflow's own next action, on the customer's clock.
    const view = await first.handle.query(invoiceStateQuery);
    const when = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Berlin', dateStyle: 'medium', timeStyle: 'short' }).format(
      new Date(view.nextAction!.at!),
    );
    await expect(row(first.invoice.number).locator('.next').textContent()).resolves.toBe(
      `Next: a reminder that payment is coming due on ${when} (Europe/Berlin).`,
    );

    // The PDF downloads; another customer's invoice does not exist here.
    const pdf = await page.request.get(`${portal}/invoices/${first.invoice.id}/pdf`);
    expect(pdf.headers()['content-type']).toBe('application/pdf');
    expect((await pdf.body()).subarray(0, 5).toString()).toBe('%PDF-');
    expect((await page.request.get(`${portal}/invoices/${other.invoice.id}/pdf`)).status()).toBe(404);
    expect((await page.request.post(`${portal}/invoices/${other.invoice.id}/dispute`, { form: { reason: 'not mine' } })).status()).toBe(
      404,
    );
    expect((await other.handle.query(invoiceStateQuery)).disputed).toBe(false);

    // Promise to pay by a date: reminders wait until the end of that day.
    const promised = berlinDate(Date.now() + 5 * 86_400_000);
    await row(first.invoice.number).locator('input[name=date]').fill(promised);
    await row(first.invoice.number).getByRole('button', { name: 'Promise to pay by' }).click();
    await expect(page.locator('[role=status]').textContent()).resolves.toContain(
      `We will not send reminders for ${first.invoice.number} until the date you promised.`,
    );
    await expect(row(first.invoice.number).locator('td').nth(3).textContent()).resolves.toContain(`Promised for ${promised}.`);
    await expect(row(first.invoice.number).locator('.next').textContent()).resolves.toMatch(/^Next: your promised date ends/);
    expect((await first.handle.query(invoiceStateQuery)).timeline.at(-1)).toMatchObject({
      type: 'promise_made',
      date: promised,
      actor: `customer:${first.customer.id}`,
    });

    // Dispute the second invoice: reminders pause.
    await row(second.number).locator('input[name=reason]').fill('We ordered one day of support, not two');
    await row(second.number).getByRole('button', { name: 'Dispute' }).click();
    await expect(page.locator('[role=status]').textContent()).resolves.toContain(`${second.number} is marked as disputed`);
    await expect(row(second.number).locator('.next').textContent()).resolves.toBe('Reminders are paused while the dispute is reviewed.');
    await expect(row(second.number).locator('form').count()).resolves.toBe(0);

    // Refusals change nothing and say why: an empty reason, a second dispute, a date in the past.
    const empty = await page.request.post(`${portal}/invoices/${first.invoice.id}/dispute`, { form: { reason: ' ' } });
    expect(empty.status()).toBe(400);
    expect(await empty.text()).toContain('please say what is wrong with the invoice');
    expect((await first.handle.query(invoiceStateQuery)).disputed).toBe(false);
    const again = await page.request.post(`${portal}/invoices/${second.id}/dispute`, { form: { reason: 'still wrong' } });
    expect(again.status()).toBe(409);
    expect(await again.text()).toContain('invoice is already disputed');
    const past = await page.request.post(`${portal}/invoices/${first.invoice.id}/promise`, { form: { date: '2020-01-01' } });
    expect(past.status()).toBe(422); // as the API answers INVALID_PROMISE_DATE: one code → status map;
    expect((await first.handle.query(invoiceStateQuery)).promisedDate).toBe(promised);
  });

  it('shows what the customer has on account and lets them use it on their oldest invoices', async () => {
    const relay = await startInboxRelay({ ...deps(), log: createLogger('silent') });
    try {
      const first = await invoiceFixture(deps(), {
        totalCents: 10_000,
        customer: { name: 'Balance Portal BV', timeZone: 'Europe/Amsterdam', currency: 'EUR' },
        invoice: { dueIn: '10d' },
      });
      const later = await invoiceFixture(deps(), {
        totalCents: 30_000,
        customer: { currency: 'EUR' },
        invoice: { customerId: first.customer.id, dueIn: '20d' },
      });
      // Paid 250.00 on a 100.00 invoice: 150.00 credit.
      await api.request('POST', `/api/invoices/${first.invoice.id}/payments`, { body: { amountCents: 25_000, currency: 'EUR' } });
      await eventually(async () =>
        expect((await api.request('GET', `/api/customers/${first.customer.id}/balance`)).body.balances[0]?.creditCents).toBe(15_000),
      );
      const portal: string = (await api.request('POST', `/api/customers/${first.customer.id}/portal-links`, { body: {} })).body.url;
      await page.goto(portal);
      await expect(page.locator('.balance').textContent()).resolves.toContain(
        'On your account: EUR 150.00 (EUR 150.00 credit from overpayments).',
      );
      if (process.env.SCREENSHOTS) await page.screenshot({ path: `${process.env.SCREENSHOTS}/portal-balance.png`, fullPage: true });
      await page.getByRole('button', { name: 'Use it to pay my oldest invoices' }).click();
      await expect(page.locator('[role=status]').textContent()).resolves.toContain(`Your balance now pays ${later.invoice.number}`);
      await eventually(async () => expect((await later.handle.query(invoiceStateQuery)).amountDueCents).toBe(15_000));
      await eventually(async () => {
        await page.goto(portal);
        await expect(page.locator('.due').textContent()).resolves.toBe('EUR 150.00');
      });
      await expect(page.locator('.balance').count()).resolves.toBe(0);
      const [audit] = await stack.db
        .sql`SELECT actor FROM audit_log WHERE entity_id = ${first.customer.id} AND action = 'customer.balance_applied'`;
      expect(audit).toEqual({ actor: `customer:${first.customer.id}` });
    } finally {
      await relay.stop();
    }
  });

  it('refuses unknown and expired links, and issues new ones through the API', async () => {
    const { customer } = await invoiceFixture(deps(), { customer: { name: 'Expired Co' } });
    const { token } = await createPortalToken(stack.db.sql, {
      customerId: customer.id,
      createdFor: 'test',
      now: new Date(Date.now() - 2 * 86_400_000),
      ttlDays: 1,
    });
    const expired = await page.goto(`${api.url}/portal/${token}`);
    expect(expired!.status()).toBe(410);
    await expect(page.locator('.alert').textContent()).resolves.toContain('This link has expired');
    expect((await page.goto(`${api.url}/portal/${'x'.repeat(43)}`))!.status()).toBe(404);

    const link = await api.request('POST', `/api/customers/${customer.id}/portal-links`, { body: { ttlDays: 7 } });
    expect(link.status).toBe(201);
    expect(Date.parse(link.body.expiresAt) - Date.now()).toBeGreaterThan(6.9 * 86_400_000);
    expect((await page.goto(link.body.url))!.status()).toBe(200);
    await expect(page.locator('h1').textContent()).resolves.toBe('Expired Co');
    expect((await api.request('POST', `/api/customers/${customer.id}/portal-links`, { body: { ttlDays: 0 } })).body.error.code).toBe(
      'VALIDATION',
    );
    expect((await api.request('POST', `/api/customers/${customer.id}/portal-links`, { body: { ttlDays: 7 }, token: null })).status).toBe(
      401,
    );
    expect((await api.request('POST', '/api/customers/2f0f8b55-1d3c-4e8e-9d8a-000000000000/portal-links', { body: {} })).status).toBe(404);
  });
});

describe('dashboard', () => {
  it('signs in with the API token and shows aging, KPIs and the invoices needing attention, linked to Temporal', async () => {
    const { invoice, handle } = await invoiceFixture(deps(), {
      totalCents: 50_000,
      customer: { name: 'Attention AG', currency: 'EUR', timeZone: 'Europe/Berlin' },
    });
    await api.request('POST', `/api/invoices/${invoice.id}/dispute`, { body: { reason: 'wrong rate' } });
    await eventually(async () => expect((await handle.query(invoiceStateQuery)).disputed).toBe(true));
    // Money the invoice would not take (another currency) waits for a human, on the dashboard too.
    await handle.signal(paymentReceivedSignal, {
      paymentId: 'pi_wrong_currency',
      amountCents: 9_900,
      currency: 'JPY',
      actor: 'gateway:stripe',
    });
    await eventually(async () => expect((await handle.query(invoiceStateQuery)).needsAttention).toEqual(['payment_flagged']));

    await page.goto(`${api.url}/dashboard`);
    await page.getByLabel('API token').fill('wrong-token-0123456789');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.locator('[role=alert]').textContent()).resolves.toBe('That is not the API token.');
    await page.getByLabel('API token').fill(TEST_TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.locator('h1').textContent()).resolves.toBe('Collections dashboard');

    await expect(page.locator('svg[aria-label="Aging by currency"] rect').count()).resolves.toBeGreaterThan(0);
    const eur = page.locator('#aging tr', { hasText: 'EUR' });
    await expect(eur.locator('td').last().textContent()).resolves.toMatch(/^EUR [\d,]+\.\d\d$/);
    await expect(page.locator('#kpis tbody tr').count()).resolves.toBeGreaterThan(0);
    const flagged = page.locator('#ledger-attention tr', { hasText: invoice.number });
    await expect(flagged.locator('td').first().textContent()).resolves.toBe('Payment flagged');
    await expect(flagged.locator('td').nth(2).textContent()).resolves.toBe('in another currency than the invoice');
    await expect(flagged.locator('td').nth(3).textContent()).resolves.toBe('JPY 9,900');
    if (process.env.SCREENSHOTS) await page.screenshot({ path: `${process.env.SCREENSHOTS}/dashboard.png`, fullPage: true });
    const attention = page.locator('#attention tr', { hasText: invoice.number });
    await expect(attention.locator('td').nth(4).textContent()).resolves.toBe('disputed');
    await expect(attention.locator('a').last().getAttribute('href')).resolves.toBe(
      `http://localhost:8233/namespaces/default/workflows/invoice-${invoice.id}`,
    );
    // Saved views of the Temporal UI, this week's dates in them.
    const usd = page.locator('#saved-views a', { hasText: 'Disputed, in USD, over $1,000 due' });
    await expect(usd.getAttribute('href')).resolves.toMatch(
      /^http:\/\/localhost:8233\/namespaces\/default\/workflows\?query=.*Currency%20%3D%20%27USD%27/,
    );
    await expect(page.locator('#saved-views li').count()).resolves.toBe(5);

    // The invoice's own page (where its workflow's details in the Temporal UI link).
    await attention.locator('a').first().click();
    await expect(page.locator('h1').textContent()).resolves.toBe(`${invoice.number} · Attention AG`);
    await expect(page.locator('#invoice tr', { hasText: 'Status' }).locator('td').textContent()).resolves.toBe('open · disputed');
    await expect(page.locator('#invoice tr', { hasText: 'Next' }).locator('td').textContent()).resolves.toBe(
      'nothing until the dispute is resolved',
    );
    await expect(page.locator('#lines tbody tr').count()).resolves.toBe(1);
    await expect(page.locator('#timeline tbody tr', { hasText: 'dispute_opened' }).count()).resolves.toBe(1);
    if (process.env.SCREENSHOTS) await page.screenshot({ path: `${process.env.SCREENSHOTS}/dashboard-invoice.png`, fullPage: true });
    expect((await page.request.get(`${api.url}/dashboard/invoices/not-an-id`)).status()).toBe(404);
    await page.goBack();

    await page.getByRole('button', { name: 'Sign out' }).click();
    await expect(page.getByLabel('API token').count()).resolves.toBe(1);
    expect((await page.request.get(`${api.url}/dashboard`, { headers: { cookie: 'ce_dashboard=forged' } })).url()).toContain('/dashboard');
    await expect(
      (await page.request.get(`${api.url}/dashboard`, { headers: { cookie: 'ce_dashboard=forged' } })).text(),
    ).resolves.toContain('name="token"');
  });
});
