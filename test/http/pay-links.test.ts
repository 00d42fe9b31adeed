import { randomUUID } from 'node:crypto';
import Stripe from 'stripe';
import { stripeAdapter } from '../../src/gateways/stripe';
import { stripeCheckout } from '../../src/gateways/stripe-checkout';
import { createLogger } from '../../src/log';
import { startInboxRelay, type InboxRelay } from '../../src/services/inbox-relay';
import { startApi, type ApiHarness } from '../helpers/api';
import { eventually } from '../helpers/eventually';
import { invoiceFixture } from '../helpers/fixtures';
import { invoiceStateQuery } from '../../workflows/messages';
import { startRecorder, type RecordedRequest } from '../helpers/recorder';
import { useStack } from '../helpers/stack';

const STRIPE_KEY = 'sk_test_' + randomUUID().replace(/-/g, '');
const WEBHOOK_SECRET = 'whsec_test_' + randomUUID().replace(/-/g, '');

const stack = useStack('dev-server');
let stripeApi: Awaited<ReturnType<typeof startRecorder>>;
let withStripe: ApiHarness;
let withoutProvider: ApiHarness;
let relay: InboxRelay;
let sessions = 0;

/** What Stripe answers to POST /v1/checkout/sessions and /expire: a session object. */
function stripeAnswers(req: RecordedRequest) {
  const expire = /^\/v1\/checkout\/sessions\/([^/]+)\/expire$/.exec(req.path);
  if (expire)
    return {
      status: 200,
      body: { id: expire[1], object: 'checkout.session', status: 'expired', url: null, expires_at: Math.floor(Date.now() / 1000) },
    };
  const id = `cs_test_${++sessions}_${randomUUID().slice(0, 8)}`;
  return {
    status: 200,
    body: {
      id,
      object: 'checkout.session',
      status: 'open',
      mode: 'payment',
      url: `https://checkout.stripe.com/c/pay/${id}`,
      expires_at: Math.floor(Date.now() / 1000) + 24 * 3600,
    },
  };
}

beforeAll(async () => {
  stripeApi = await startRecorder(stripeAnswers);
  relay = await startInboxRelay({
    sql: stack.db.sql,
    client: stack.env.client,
    taskQueue: stack.workers.taskQueue,
    log: createLogger('silent'),
    intervalMs: 60_000,
  });
  withStripe = await startApi(stack.db, stack.env, stack.workers.taskQueue, {
    checkout: stripeCheckout({ secretKey: STRIPE_KEY, baseUrl: stripeApi.url }),
    gateways: [stripeAdapter(WEBHOOK_SECRET)],
  });
  withoutProvider = await startApi(stack.db, stack.env, stack.workers.taskQueue);
});
afterAll(async () => {
  await relay?.stop();
  await withStripe?.close();
  await withoutProvider?.close();
  await stripeApi?.close();
});

const invoice = (totalCents = 50_000, currency = 'USD') =>
  invoiceFixture(
    { sql: stack.db.sql, client: stack.env.client, taskQueue: stack.workers.taskQueue },
    { totalCents, customer: { currency, email: 'ap@initech.test' } },
  );
const sessionCreations = () => stripeApi.requests.filter((r) => r.method === 'POST' && r.path === '/v1/checkout/sessions');
const form = (req: RecordedRequest) => Object.fromEntries(new URLSearchParams(String(req.body)));
const clickPay = (api: ApiHarness, invoiceId: string) =>
  api.request('POST', `/pay/${invoiceId}/checkout`, { token: null, redirect: 'manual' });
const storedSessions = (invoiceId: string) =>
  stack.db
    .sql`SELECT id, seq, amount_cents, closed_at IS NOT NULL AS closed FROM checkout_sessions WHERE invoice_id = ${invoiceId} ORDER BY seq`;

/** A Stripe event as Stripe sends it, signed with the endpoint's secret. */
const stripeEvent = (type: string, object: Record<string, unknown>) =>
  JSON.stringify({
    id: `evt_${randomUUID().slice(0, 12)}`,
    object: 'event',
    api_version: '2026-10-28.endive',
    created: Math.floor(Date.now() / 1000),
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type,
    data: { object },
  });
const deliver = (payload: string) =>
  withStripe.request('POST', '/webhooks/stripe', {
    raw: payload,
    token: null,
    headers: {
      'content-type': 'application/json',
      'stripe-signature': Stripe.webhooks.generateTestHeaderString({ payload, secret: WEBHOOK_SECRET }),
    },
  });

describe('pay link with Stripe Checkout', () => {
  it('the pay page offers card payment; the button opens a Checkout Session for the amount due, tagged with the invoice', async () => {
    const { invoice: inv } = await invoice(50_000);
    const pageRes = await withStripe.request('GET', `/pay/${inv.id}`, { token: null });
    expect(pageRes.status).toBe(200);
    expect(pageRes.body).toContain('Pay USD 500.00 by card');
    expect(pageRes.body).toContain(`action="http://localhost:3000/pay/${inv.id}/checkout"`);

    const before = sessionCreations().length;
    const res = await clickPay(withStripe, inv.id);
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toMatch(/^https:\/\/checkout\.stripe\.com\/c\/pay\/cs_test_/);

    expect(sessionCreations()).toHaveLength(before + 1);
    const request = sessionCreations().at(-1)!;
    expect(request.headers.authorization).toBe(`Bearer ${STRIPE_KEY}`);
    expect(request.headers['idempotency-key']).toBe(`invoice-${inv.id}/checkout-1/USD-50000`);
    expect(form(request)).toMatchObject({
      mode: 'payment',
      'line_items[0][quantity]': '1',
      'line_items[0][price_data][currency]': 'usd',
      'line_items[0][price_data][unit_amount]': '50000',
      'line_items[0][price_data][product_data][name]': `Invoice ${inv.number}`,
      client_reference_id: inv.id,
      customer_email: 'ap@initech.test',
      'metadata[invoice_id]': inv.id,
      'payment_intent_data[metadata][invoice_id]': inv.id,
      success_url: `http://localhost:3000/pay/${inv.id}?checkout=success`,
      cancel_url: `http://localhost:3000/pay/${inv.id}?checkout=cancelled`,
    });
  });

  it('reuses the open session while the amount is unchanged, and expires it when the amount due changes', async () => {
    const { invoice: inv } = await invoice(80_000);
    const first = await clickPay(withStripe, inv.id);
    const again = await clickPay(withStripe, inv.id);
    expect(again.headers.get('location')).toBe(first.headers.get('location'));
    expect(await storedSessions(inv.id)).toHaveLength(1);

    const paid = await withStripe.request('POST', `/api/invoices/${inv.id}/payments`, {
      body: { amountCents: 30_000, currency: 'USD', reference: 'wire 1' },
    });
    expect(paid.status).toBe(201);
    const staleId = (await storedSessions(inv.id))[0]!.id as string;
    const api = await withStripe.request('POST', `/api/invoices/${inv.id}/checkout`);
    expect(api.status).toBe(200);
    expect(api.body).toMatchObject({ amountCents: 50_000, currency: 'USD' });
    expect(api.body.url).not.toBe(first.headers.get('location'));
    expect(stripeApi.requests.map((r) => r.path)).toContain(`/v1/checkout/sessions/${staleId}/expire`);
    expect(form(sessionCreations().at(-1)!)['line_items[0][price_data][unit_amount]']).toBe('50000');
    expect(await storedSessions(inv.id)).toEqual([
      { id: staleId, seq: 1, amount_cents: 80_000, closed: true },
      { id: api.body.sessionId, seq: 2, amount_cents: 50_000, closed: false },
    ]);
  });

  it('concurrent clicks ask Stripe with one idempotency key and store one session', async () => {
    const { invoice: inv } = await invoice(12_345);
    const before = sessionCreations().length;
    await Promise.all([clickPay(withStripe, inv.id), clickPay(withStripe, inv.id), clickPay(withStripe, inv.id)]);
    const keys = new Set(
      sessionCreations()
        .slice(before)
        .map((r) => r.headers['idempotency-key']),
    );
    expect(keys).toEqual(new Set([`invoice-${inv.id}/checkout-1/USD-12345`]));
    expect(await storedSessions(inv.id)).toHaveLength(1);
  });

  it('paying through the session settles the invoice via the signed webhook; then nothing is payable', async () => {
    const { invoice: inv, handle } = await invoice(25_000);
    await clickPay(withStripe, inv.id);
    const sent = form(sessionCreations().at(-1)!);
    // What Stripe sends once the customer has paid: the session with the metadata we gave it.
    const webhook = await deliver(
      stripeEvent('checkout.session.completed', {
        id: 'cs_test_paid',
        object: 'checkout.session',
        amount_total: Number(sent['line_items[0][price_data][unit_amount]']),
        currency: sent['line_items[0][price_data][currency]'],
        client_reference_id: sent.client_reference_id,
        metadata: { invoice_id: sent['metadata[invoice_id]'] },
        payment_intent: 'pi_test_paid',
        payment_status: 'paid',
        status: 'complete',
      }),
    );
    expect(webhook.status).toBe(200);
    expect((await handle.result()).status).toBe('paid');
    await eventually(async () => expect((await stack.db.sql`SELECT status FROM invoices WHERE id = ${inv.id}`)[0]!.status).toBe('paid'));

    const pageRes = await withStripe.request('GET', `/pay/${inv.id}?checkout=success`, { token: null });
    expect(pageRes.body).toContain('your payment was submitted');
    expect(pageRes.body).toContain('This invoice is paid. Thank you.');
    expect(pageRes.body).not.toContain('by card');
    const before = sessionCreations().length;
    const refused = await clickPay(withStripe, inv.id);
    expect(refused.status).toBe(409);
    expect(refused.body).toContain('is already paid');
    const apiRefused = await withStripe.request('POST', `/api/invoices/${inv.id}/checkout`);
    expect(apiRefused).toMatchObject({ status: 409, body: { error: { code: 'INVOICE_PAID' } } });
    expect(sessionCreations()).toHaveLength(before);
  });

  it('a void invoice offers nothing to pay', async () => {
    const { invoice: inv } = await invoice(10_000);
    expect((await withStripe.request('POST', `/api/invoices/${inv.id}/void`, { body: { reason: 'issued in error' } })).status).toBe(200);
    const res = await withStripe.request('POST', `/api/invoices/${inv.id}/checkout`);
    expect(res).toMatchObject({
      status: 409,
      body: { error: { code: 'INVOICE_NOT_OPEN', message: `invoice ${inv.number} is void; it cannot be paid online` } },
    });
    const pageRes = await withStripe.request('GET', `/pay/${inv.id}`, { token: null });
    expect(pageRes.body).toContain('This invoice was cancelled; nothing is due.');
    expect(pageRes.body).not.toContain('<form');
  });

  it('Stripe refusing the request shows a clear error, stores nothing, and the next click succeeds with the same key', async () => {
    const { invoice: inv } = await invoice(9_900);
    stripeApi.respond({
      status: 400,
      body: { error: { type: 'invalid_request_error', message: 'Your account cannot currently make live charges.' } },
    });
    const failed = await clickPay(withStripe, inv.id);
    expect(failed.status).toBe(502);
    expect(failed.body).toContain('stripe is not available right now');
    expect(failed.body).toContain('Amount due: <strong>USD 99.00</strong>');
    expect(await storedSessions(inv.id)).toHaveLength(0);
    const apiFailed = await (async () => {
      stripeApi.respond({ status: 400, body: { error: { type: 'invalid_request_error', message: 'nope' } } });
      return withStripe.request('POST', `/api/invoices/${inv.id}/checkout`);
    })();
    expect(apiFailed).toMatchObject({ status: 502, body: { error: { code: 'CHECKOUT_UNAVAILABLE' } } });

    const ok = await clickPay(withStripe, inv.id);
    expect(ok.status).toBe(303);
    expect(
      sessionCreations()
        .slice(-3)
        .map((r) => r.headers['idempotency-key']),
    ).toEqual(Array(3).fill(`invoice-${inv.id}/checkout-1/USD-9900`));
  });

  it('ISK, which Stripe counts in hundredths, is charged at Stripe scale', async () => {
    const { invoice: inv } = await invoice(5_000, 'ISK');
    expect((await clickPay(withStripe, inv.id)).status).toBe(303);
    expect(form(sessionCreations().at(-1)!)).toMatchObject({
      'line_items[0][price_data][currency]': 'isk',
      'line_items[0][price_data][unit_amount]': '500000',
    });
  });

  it('unknown invoices and malformed ids answer 404 and call nobody', async () => {
    const before = stripeApi.requests.length;
    for (const id of [randomUUID(), 'not-a-uuid', '..%2F..%2Fetc']) {
      expect((await withStripe.request('GET', `/pay/${id}`, { token: null })).status).toBe(404);
      expect((await clickPay(withStripe, id)).status).toBe(404);
    }
    expect((await withStripe.request('POST', `/api/invoices/${randomUUID()}/checkout`)).status).toBe(404);
    expect((await withStripe.request('POST', `/api/invoices/${randomUUID()}/checkout`, { token: null })).status).toBe(401);
    expect(stripeApi.requests.length).toBe(before);
  });
});

describe('"pay everything" in the portal', () => {
  it('one card payment for every open invoice, applied oldest first exactly once, however often Stripe tells us', async () => {
    const first = await invoice(30_000, 'EUR');
    const second = await invoiceFixture(
      { sql: stack.db.sql, client: stack.env.client, taskQueue: stack.workers.taskQueue },
      { totalCents: 20_000, customer: { currency: 'EUR' }, invoice: { customerId: first.customer.id, dueIn: '40d' } },
    );
    const portal: string = (await withStripe.request('POST', `/api/customers/${first.customer.id}/portal-links`, { body: {} })).body.url;
    const path = new URL(portal).pathname;
    const page = await withStripe.request('GET', path, { token: null });
    expect(page.body).toContain('Pay everything (EUR 500.00) by card');

    const click = () =>
      withStripe.request('POST', `${path}/checkout`, {
        token: null,
        redirect: 'manual',
        raw: 'currency=EUR',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
    const res = await click();
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toMatch(/^https:\/\/checkout\.stripe\.com\/c\/pay\/cs_test_/);
    const sent = form(sessionCreations().at(-1)!);
    expect(sent).toMatchObject({
      'line_items[0][price_data][unit_amount]': '50000',
      'line_items[0][price_data][product_data][name]': `2 open invoices (${first.invoice.number}, ${second.invoice.number})`,
      'metadata[customer_id]': first.customer.id,
      'payment_intent_data[metadata][customer_id]': first.customer.id,
    });
    expect(sent.client_reference_id).toBeUndefined();
    expect(sent['metadata[invoice_id]']).toBeUndefined();
    // A second click reuses the open session.
    expect((await click()).headers.get('location')).toBe(res.headers.get('location'));

    const pi = `pi_${randomUUID().slice(0, 12)}`;
    const metadata = { customer_id: first.customer.id };
    expect(
      (
        await deliver(
          stripeEvent('checkout.session.completed', {
            id: 'cs_test_all',
            object: 'checkout.session',
            amount_total: 50_000,
            currency: 'eur',
            metadata,
            payment_intent: pi,
            payment_status: 'paid',
            status: 'complete',
          }),
        )
      ).status,
    ).toBe(200);
    expect(
      (
        await deliver(
          stripeEvent('payment_intent.succeeded', {
            id: pi,
            object: 'payment_intent',
            amount_received: 50_000,
            currency: 'eur',
            metadata,
            payment_method_types: ['card'],
          }),
        )
      ).status,
    ).toBe(200);
    await eventually(async () => {
      expect((await first.handle.query(invoiceStateQuery)).status).toBe('paid');
      expect((await second.handle.query(invoiceStateQuery)).status).toBe('paid');
    });
    expect(await stack.db.sql`SELECT count(*)::int AS n FROM balance_movements WHERE key = ${`stripe:${pi}`}`).toEqual([{ n: 1 }]);
    // The ledger rows follow the workflows (the projection is asynchronous).
    await eventually(async () =>
      expect(
        await stack.db.sql`SELECT count(*)::int AS n FROM payments WHERE invoice_id IN (${first.invoice.id}, ${second.invoice.id})`,
      ).toEqual([{ n: 2 }]),
    );
    await eventually(async () => {
      const after = await withStripe.request('GET', `${path}?checkout=success`, { token: null });
      expect(after.body).toContain('your payment was submitted');
      expect(after.body).not.toContain('Pay everything');
    });
  });
});

describe('pay link without a payment provider', () => {
  it('explains how to pay by bank transfer; card checkout is refused as not configured', async () => {
    const { invoice: inv } = await invoice(20_000);
    const pageRes = await withoutProvider.request('GET', `/pay/${inv.id}`, { token: null });
    expect(pageRes.status).toBe(200);
    expect(pageRes.body).toContain('Online card payment is not configured');
    expect(pageRes.body).toContain(inv.number);
    expect(pageRes.body).not.toContain('<form');
    expect((await clickPay(withoutProvider, inv.id)).status).toBe(501);
    expect(await withoutProvider.request('POST', `/api/invoices/${inv.id}/checkout`)).toMatchObject({
      status: 501,
      body: { error: { code: 'CHECKOUT_NOT_CONFIGURED' } },
    });
  });

  it('the invoice in the API carries its pay link', async () => {
    const { invoice: inv } = await invoice(20_000);
    const res = await withoutProvider.request('GET', `/api/invoices/${inv.id}`);
    expect(res.body.payUrl).toBe(`http://localhost:3000/pay/${inv.id}`);
    expect((await withoutProvider.request('GET', `/pay/${inv.id}`, { token: null })).status).toBe(200);
  });
});
