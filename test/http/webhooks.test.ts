import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import Stripe from 'stripe';
import { createSql } from '../../src/db/client';
import { genericAdapter, signGeneric } from '../../src/gateways/generic';
import { stripeAdapter } from '../../src/gateways/stripe';
import { createLogger } from '../../src/log';
import { startInboxRelay, type InboxRelay } from '../../src/services/inbox-relay';
import { invoiceStateQuery } from '../../workflows/messages';
import { startApi, type ApiHarness } from '../helpers/api';
import { eventually } from '../helpers/eventually';
import { invoiceFixture } from '../helpers/fixtures';
import { useStack } from '../helpers/stack';
import { recordHistory } from '../helpers/histories';

const STRIPE_SECRET = 'whsec_test_' + randomUUID().replace(/-/g, '');
const GENERIC_SECRET = 'generic-secret-' + randomUUID();

const stack = useStack('dev-server');
let api: ApiHarness;
let relay: InboxRelay;
beforeAll(async () => {
  relay = await startInboxRelay({
    sql: stack.db.sql,
    client: stack.env.client,
    taskQueue: stack.workers.taskQueue,
    log: createLogger('silent'),
    intervalMs: 60_000,
  });
  api = await startApi(stack.db, stack.env, stack.workers.taskQueue, {
    gateways: [stripeAdapter(STRIPE_SECRET), genericAdapter(GENERIC_SECRET)],
  });
});
afterAll(async () => {
  await relay?.stop();
  await api?.close();
});

const now = () => Math.floor(Date.now() / 1000);
const invoice = (totalCents = 50_000) =>
  invoiceFixture({ sql: stack.db.sql, client: stack.env.client, taskQueue: stack.workers.taskQueue }, { totalCents });
const state = (workflowId: string) => stack.env.client.workflow.getHandle(workflowId).query(invoiceStateQuery);
const inboxCount = async () => (await stack.db.sql`SELECT count(*)::int AS n FROM webhook_inbox`)[0]!.n as number;

/** A realistic Stripe event envelope around `object`. */
function stripeEvent(type: string, object: Record<string, unknown>, id = `evt_${randomUUID().replace(/-/g, '').slice(0, 24)}`) {
  return {
    id,
    object: 'event',
    api_version: '2025-09-30.clover',
    created: now(),
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type,
    data: { object },
  };
}
const paymentIntent = (invoiceId: string | null, amount: number, o: Record<string, unknown> = {}) => ({
  id: `pi_${randomUUID().replace(/-/g, '').slice(0, 24)}`,
  object: 'payment_intent',
  amount,
  amount_received: amount,
  currency: 'usd',
  status: 'succeeded',
  payment_method_types: ['card'],
  metadata: invoiceId ? { invoice_id: invoiceId } : {},
  ...o,
});

/** Posts a body signed by the official stripe package (or with the header given). */
async function postStripe(
  event: unknown,
  o: { secret?: string; timestamp?: number; header?: string | null; raw?: string; contentType?: string } = {},
) {
  const payload = o.raw ?? JSON.stringify(event);
  const header =
    o.header !== undefined
      ? o.header
      : Stripe.webhooks.generateTestHeaderString({ payload, secret: o.secret ?? STRIPE_SECRET, timestamp: o.timestamp ?? now() });
  return api.request('POST', '/webhooks/stripe', {
    raw: payload,
    token: null,
    headers: { 'content-type': o.contentType ?? 'application/json', ...(header ? { 'stripe-signature': header } : {}) },
  });
}
async function postGeneric(body: Record<string, unknown>, o: { secret?: string; timestamp?: number } = {}) {
  const raw = JSON.stringify(body);
  return api.request('POST', '/webhooks/generic', {
    raw,
    token: null,
    headers: { 'content-type': 'application/json', 'x-signature': signGeneric(raw, o.secret ?? GENERIC_SECRET, o.timestamp ?? now()) },
  });
}

describe('Stripe', () => {
  it('payment_intent.succeeded: webhook → inbox → signal → workflow → invoice paid', async () => {
    const { invoice: inv } = await invoice(50_000);
    const event = stripeEvent('payment_intent.succeeded', paymentIntent(inv.id, 50_000));
    const res = await postStripe(event);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ received: true, duplicate: false });
    await eventually(async () => expect((await state(inv.workflowId)).status).toBe('paid'));
    const [row] = await stack.db.sql`SELECT status FROM webhook_inbox WHERE event_id = ${event.id}`;
    expect(row!.status).toBe('delivered');
    await eventually(async () =>
      expect(await stack.db.sql`SELECT id, status, actor FROM payments WHERE invoice_id = ${inv.id}`).toEqual([
        { id: (event.data.object as { id: string }).id, status: 'applied', actor: 'gateway:stripe' },
      ]),
    );
  });

  it('a duplicate delivery answers 200 and changes nothing; checkout + its payment intent apply once', async () => {
    const { invoice: inv } = await invoice(80_000);
    const pi = paymentIntent(inv.id, 30_000);
    const event = stripeEvent('payment_intent.succeeded', pi);
    expect((await postStripe(event)).body.duplicate).toBe(false);
    expect((await postStripe(event)).body).toEqual({ received: true, duplicate: true });
    const session = stripeEvent('checkout.session.completed', {
      id: 'cs_test_1',
      object: 'checkout.session',
      amount_total: 30_000,
      currency: 'usd',
      client_reference_id: inv.id,
      metadata: {},
      payment_intent: pi.id,
      payment_status: 'paid',
    });
    expect((await postStripe(session)).status).toBe(200);
    await eventually(async () => {
      expect(
        await stack.db
          .sql`SELECT status FROM webhook_inbox WHERE event_id IN ${stack.db.sql([event.id, session.id])} AND status = 'delivered'`,
      ).toHaveLength(2);
    });
    const s = await state(inv.workflowId);
    expect(s.amountPaidCents).toBe(30_000);
    expect(s.amountDueCents).toBe(50_000);
  });

  it('records a failed payment on the timeline and keeps dunning', async () => {
    const { invoice: inv } = await invoice();
    const failed = stripeEvent(
      'payment_intent.payment_failed',
      paymentIntent(inv.id, 0, {
        status: 'requires_payment_method',
        last_payment_error: { code: 'card_declined', message: 'Your card was declined.' },
      }),
    );
    expect((await postStripe(failed)).status).toBe(200);
    await eventually(async () => {
      const s = await state(inv.workflowId);
      expect(s.timeline).toContainEqual(
        expect.objectContaining({ type: 'payment_failed', failure: 'Your card was declined.', actor: 'gateway:stripe' }),
      );
      expect(s.status).toBe('open');
    });
  });

  it('refunds by cumulative total, whatever the order of the events', async () => {
    const { invoice: inv } = await invoice(100_000);
    const pi = paymentIntent(inv.id, 60_000);
    await postStripe(stripeEvent('payment_intent.succeeded', pi));
    const charge = (refunded: number) =>
      stripeEvent('charge.refunded', {
        id: 'ch_1',
        object: 'charge',
        payment_intent: pi.id,
        amount: 60_000,
        amount_refunded: refunded,
        currency: 'usd',
        metadata: { invoice_id: inv.id },
      });
    await postStripe(charge(20_000 + 15_000)); // the later total arrives first
    await postStripe(charge(20_000));
    await eventually(async () => {
      const s = await state(inv.workflowId);
      expect(s.amountPaidCents).toBe(60_000 - 35_000);
      expect(s.amountDueCents).toBe(100_000 - 25_000);
    });
  });

  it('a refund after payment reopens the completed invoice and dunning resumes; out of order ends the same', async () => {
    const refunded = (invoiceId: string, pi: string, total: number) =>
      stripeEvent('charge.refunded', {
        id: `ch_${pi}`,
        object: 'charge',
        payment_intent: pi,
        amount: 40_000,
        amount_refunded: total,
        currency: 'usd',
        metadata: { invoice_id: invoiceId },
      });

    const inOrder = await invoice(40_000);
    const piA = paymentIntent(inOrder.invoice.id, 40_000);
    await postStripe(stripeEvent('payment_intent.succeeded', piA));
    expect((await inOrder.handle.result()).status).toBe('paid'); // the workflow has completed
    await postStripe(refunded(inOrder.invoice.id, piA.id, 15_000));
    const reopened = await eventually(async () => {
      const s = await state(inOrder.invoice.workflowId);
      expect(s.status).toBe('open');
      return s;
    });
    expect(reopened).toMatchObject({ amountDueCents: 15_000, amountPaidCents: 25_000 });
    expect(reopened.nextAction).not.toBeNull(); // the ladder continues where the policy says
    expect(reopened.timeline.map((e) => e.type)).toEqual(expect.arrayContaining(['issued', 'paid', 'payment_refunded', 'reopened']));
    expect(reopened.timeline.filter((e) => e.type === 'issued')).toHaveLength(1); // not issued twice
    await eventually(async () =>
      expect(await stack.db.sql`SELECT status, amount_due_cents FROM invoices WHERE id = ${inOrder.invoice.id}`).toEqual([
        { status: 'open', amount_due_cents: 15_000 },
      ]),
    );

    const outOfOrder = await invoice(40_000);
    const piB = paymentIntent(outOfOrder.invoice.id, 40_000);
    await postStripe(refunded(outOfOrder.invoice.id, piB.id, 15_000)); // the refund overtakes its payment
    await postStripe(stripeEvent('payment_intent.succeeded', piB));
    const same = await eventually(async () => {
      const s = await state(outOfOrder.invoice.workflowId);
      expect(s.amountPaidCents).toBe(25_000);
      return s;
    });
    expect({ status: same.status, due: same.amountDueCents, paid: same.amountPaidCents }).toEqual({
      status: reopened.status,
      due: reopened.amountDueCents,
      paid: reopened.amountPaidCents,
    });
    // Held as a flag until its payment arrived, then applied: nothing is left for a human.
    expect(same.needsAttention).toEqual([]);
    await recordHistory(outOfOrder.handle, 'refund-before-its-payment');
  });

  it('chargebacks: opened disputes the invoice (reminders pause); lost takes the money back', async () => {
    const disputeEvent = (type: string, pi: string, status: string, amount: number, disputeId = `dp_${pi}`) =>
      stripeEvent(type, {
        id: disputeId,
        object: 'dispute',
        charge: `ch_${pi}`,
        payment_intent: pi,
        amount,
        currency: 'usd',
        status,
        reason: 'fraudulent',
        metadata: {},
      });

    const open = await invoice(50_000);
    const pi = paymentIntent(open.invoice.id, 20_000);
    await postStripe(stripeEvent('payment_intent.succeeded', pi));
    await eventually(async () => expect(await stack.db.sql`SELECT 1 FROM payments WHERE id = ${pi.id}`).toHaveLength(1));
    await postStripe(disputeEvent('charge.dispute.created', pi.id, 'needs_response', 20_000));
    await eventually(async () =>
      expect(await state(open.invoice.workflowId)).toMatchObject({ disputed: true, nextAction: { at: null, reason: 'disputed' } }),
    );
    await postStripe(disputeEvent('charge.dispute.closed', pi.id, 'lost', 20_000));
    await eventually(async () =>
      expect(await state(open.invoice.workflowId)).toMatchObject({ disputed: false, amountPaidCents: 0, amountDueCents: 50_000 }),
    );

    const paid = await invoice(30_000);
    const piPaid = paymentIntent(paid.invoice.id, 30_000);
    await postStripe(stripeEvent('payment_intent.succeeded', piPaid));
    await paid.handle.result();
    // Opened on a paid, completed invoice: nothing to chase yet, but it is on the invoice's trail (once).
    const opened = disputeEvent('charge.dispute.created', piPaid.id, 'needs_response', 30_000);
    await postStripe(opened);
    await postStripe({ ...opened, id: `${opened.id}_redelivered` });
    const chargebackRows = async () =>
      (await api.request('GET', `/api/invoices/${paid.invoice.id}/timeline`)).body.events.filter((e: { action: string }) =>
        e.action.startsWith('invoice.chargeback'),
      );
    await eventually(async () =>
      expect(
        (
          await stack.db.sql`SELECT status FROM webhook_inbox WHERE event_id IN ${stack.db.sql([opened.id, `${opened.id}_redelivered`])}`
        ).map((r) => r.status),
      ).toEqual(['flagged', 'flagged']),
    );
    expect(await chargebackRows()).toEqual([
      expect.objectContaining({
        action: 'invoice.chargeback_opened',
        actor: 'gateway:stripe',
        data: expect.objectContaining({ disputeId: `dp_${piPaid.id}`, amountCents: 30_000, invoiceStatus: 'paid' }),
      }),
    ]);
    await postStripe(disputeEvent('charge.dispute.closed', piPaid.id, 'lost', 30_000));
    await eventually(async () => expect(await state(paid.invoice.workflowId)).toMatchObject({ status: 'open', amountDueCents: 30_000 }));
    await eventually(async () => {
      const actions: string[] = (await api.request('GET', `/api/invoices/${paid.invoice.id}/timeline`)).body.events.map(
        (e: { action: string }) => e.action,
      );
      expect(actions).toContain('invoice.reopened');
      expect(actions.indexOf('invoice.chargeback_opened')).toBeLessThan(actions.indexOf('invoice.reopened')); // in the order it happened
    });
  });

  it('a payment in another currency is recorded and flagged for a human, never applied', async () => {
    const { invoice: inv } = await invoice();
    expect((await postStripe(stripeEvent('payment_intent.succeeded', paymentIntent(inv.id, 50_000, { currency: 'eur' })))).status).toBe(
      200,
    );
    await eventually(async () =>
      expect(await stack.db.sql`SELECT kind, reason, amount_cents, currency FROM ledger_flags WHERE invoice_id = ${inv.id}`).toEqual([
        { kind: 'payment_flagged', reason: 'currency_mismatch', amount_cents: 50_000, currency: 'EUR' },
      ]),
    );
    expect(await stack.db.sql`SELECT 1 FROM payments WHERE invoice_id = ${inv.id}`).toHaveLength(0);
    expect((await state(inv.workflowId)).amountDueCents).toBe(50_000);
  });

  it('money for an unknown invoice becomes unapplied cash, and can be applied', async () => {
    const { invoice: inv } = await invoice(25_000);
    const pi = paymentIntent(randomUUID(), 25_000);
    expect((await postStripe(stripeEvent('payment_intent.succeeded', pi))).status).toBe(200);
    const listed = await eventually(async () => {
      const r = await api.request('GET', '/api/payments/unapplied');
      const mine = r.body.payments.find((p: { id: string }) => p.id === pi.id);
      expect(mine).toMatchObject({ amountCents: 25_000, currency: 'USD', gateway: 'stripe', invoiceId: null });
      return mine;
    });
    const bad = await api.request('POST', `/api/payments/${listed.id}/apply`, { body: { invoiceId: 'nope' } });
    expect([bad.status, bad.body.error.field]).toEqual([400, 'invoiceId']);
    expect((await api.request('POST', '/api/payments/pi_unknown/apply', { body: { invoiceId: inv.id } })).status).toBe(404);
    const applied = await api.request('POST', `/api/payments/${listed.id}/apply`, { body: { invoiceId: inv.id } });
    expect(applied.status).toBe(200);
    expect(applied.body).toMatchObject({ status: 'paid', amountDueCents: 0 });
    await eventually(async () =>
      expect(await stack.db.sql`SELECT invoice_id, status FROM payments WHERE id = ${pi.id}`).toEqual([
        { invoice_id: inv.id, status: 'applied' },
      ]),
    );
    expect((await api.request('GET', '/api/payments/unapplied')).body.payments.map((p: { id: string }) => p.id)).not.toContain(pi.id);
  });

  it('a payment for an already-paid invoice is kept as unapplied cash', async () => {
    const { invoice: inv, handle } = await invoice(10_000);
    await postStripe(stripeEvent('payment_intent.succeeded', paymentIntent(inv.id, 10_000)));
    await handle.result();
    const second = paymentIntent(inv.id, 10_000);
    await postStripe(stripeEvent('payment_intent.succeeded', second));
    await eventually(async () =>
      expect(await stack.db.sql`SELECT hint_invoice_id, status, source FROM unapplied_payments WHERE id = ${second.id}`).toEqual([
        { hint_invoice_id: inv.id, status: 'unapplied', source: 'stripe' },
      ]),
    );
  });

  it('a Checkout Session paid by a delayed method (bank debit) applies only once its payment succeeds; a failed one is recorded', async () => {
    const { invoice: inv } = await invoice(70_000);
    const session = (paymentStatus: string, o: Record<string, unknown> = {}) => ({
      id: `cs_${inv.id.slice(0, 8)}`,
      object: 'checkout.session',
      amount_total: 70_000,
      currency: 'usd',
      client_reference_id: inv.id,
      metadata: { invoice_id: inv.id },
      payment_intent: `pi_debit_${inv.id.slice(0, 8)}`,
      payment_status: paymentStatus,
      status: 'complete',
      ...o,
    });
    const completed = stripeEvent('checkout.session.completed', session('unpaid'));
    expect((await postStripe(completed)).status).toBe(200);
    expect((await stack.db.sql`SELECT status FROM webhook_inbox WHERE event_id = ${completed.id}`)[0]!.status).toBe('ignored');
    expect((await state(inv.workflowId)).amountDueCents).toBe(70_000); // no money yet

    expect((await postStripe(stripeEvent('checkout.session.async_payment_succeeded', session('paid')))).status).toBe(200);
    await eventually(async () => expect((await state(inv.workflowId)).status).toBe('paid'));

    const other = await invoice(70_000);
    const failed = stripeEvent('checkout.session.async_payment_failed', {
      ...session('unpaid'),
      id: 'cs_failed',
      client_reference_id: other.invoice.id,
      metadata: { invoice_id: other.invoice.id },
      payment_intent: 'pi_debit_failed',
    });
    expect((await postStripe(failed)).status).toBe(200);
    await eventually(async () => {
      const s = await state(other.invoice.workflowId);
      expect(s.timeline).toContainEqual(
        expect.objectContaining({ type: 'payment_failed', paymentId: 'pi_debit_failed', failure: 'delayed payment failed' }),
      );
      expect(s.amountDueCents).toBe(70_000);
    });
  });

  it('ISK amounts, which Stripe counts in hundredths, are applied in whole krónur', async () => {
    const { invoice: inv } = await invoiceFixture(
      { sql: stack.db.sql, client: stack.env.client, taskQueue: stack.workers.taskQueue },
      { totalCents: 9_000, customer: { currency: 'ISK' } },
    );
    expect((await postStripe(stripeEvent('payment_intent.succeeded', paymentIntent(inv.id, 400_000, { currency: 'isk' })))).status).toBe(
      200,
    );
    await eventually(async () => expect((await state(inv.workflowId)).amountDueCents).toBe(5_000));
  });

  it('other event types answer 200 and are recorded without effect', async () => {
    const event = stripeEvent('customer.created', { id: 'cus_1', object: 'customer' });
    expect((await postStripe(event)).status).toBe(200);
    const [row] = await stack.db.sql`SELECT status, event_type FROM webhook_inbox WHERE event_id = ${event.id}`;
    expect(row).toEqual({ status: 'ignored', event_type: 'customer.created' });
  });
});

describe('hostile or broken Stripe requests are refused and change nothing', () => {
  const valid = () => stripeEvent('payment_intent.succeeded', paymentIntent(randomUUID(), 1_000));
  it.each([
    ['a missing signature', () => postStripe(valid(), { header: null }), 400, 'SIGNATURE_MISSING'],
    ['a garbage signature', () => postStripe(valid(), { header: 't=1,v1=deadbeef' }), 400, 'SIGNATURE_INVALID'],
    ['the wrong secret', () => postStripe(valid(), { secret: 'whsec_wrong' }), 400, 'SIGNATURE_INVALID'],
    ['a stale timestamp (replay outside tolerance)', () => postStripe(valid(), { timestamp: now() - 301 }), 400, 'SIGNATURE_INVALID'],
    ['a future timestamp', () => postStripe(valid(), { timestamp: now() + 3600 }), 400, 'SIGNATURE_INVALID'],
    ['malformed JSON (validly signed)', () => postStripe(null, { raw: '{"id": "evt_1", ' }), 400, 'MALFORMED'],
    ['a wrong content type', () => postStripe(valid(), { contentType: 'text/plain' }), 415, 'UNSUPPORTED_MEDIA_TYPE'],
    [
      'a negative amount',
      () => postStripe(stripeEvent('payment_intent.succeeded', paymentIntent(randomUUID(), -100))),
      400,
      'INVALID_EVENT',
    ],
    [
      'a non-integer amount',
      () => postStripe(stripeEvent('payment_intent.succeeded', paymentIntent(randomUUID(), 10.5))),
      400,
      'INVALID_EVENT',
    ],
    [
      'an unsupported currency',
      () => postStripe(stripeEvent('payment_intent.succeeded', paymentIntent(randomUUID(), 100, { currency: 'xyz' }))),
      400,
      'INVALID_EVENT',
    ],
    [
      'an ISK amount that is no whole number of krónur',
      () => postStripe(stripeEvent('payment_intent.succeeded', paymentIntent(randomUUID(), 150, { currency: 'isk' }))),
      400,
      'INVALID_EVENT',
    ],
    [
      'a Checkout Session without payment_status',
      () =>
        postStripe(
          stripeEvent('checkout.session.completed', {
            id: 'cs_x',
            object: 'checkout.session',
            amount_total: 100,
            currency: 'usd',
            metadata: {},
          }),
        ),
      400,
      'INVALID_EVENT',
    ],
  ] as const)('%s', async (_label, send, status, code) => {
    const before = await inboxCount();
    const res = await send();
    expect(res.status).toBe(status);
    expect(res.body.error.code).toBe(code);
    expect(await inboxCount()).toBe(before);
  });

  it('a body over 1 MB gets 413', async () => {
    const before = await inboxCount();
    const res = await postStripe(null, { raw: JSON.stringify({ pad: 'x'.repeat(1_100_000) }) });
    expect(res.status).toBe(413);
    expect(await inboxCount()).toBe(before);
  });
});

describe('generic gateway', () => {
  const body = (invoiceId: string, o: Record<string, unknown> = {}) => ({
    id: `gen_${randomUUID()}`,
    type: 'payment.succeeded',
    invoiceId,
    amountCents: 50_000,
    currency: 'USD',
    occurredAt: new Date().toISOString(),
    method: 'ach',
    reference: 'ACH 77',
    ...o,
  });

  it('settles an invoice with an HMAC-signed event', async () => {
    const { invoice: inv } = await invoice(50_000);
    expect((await postGeneric(body(inv.id))).status).toBe(200);
    await eventually(async () => expect((await state(inv.workflowId)).status).toBe('paid'));
  });

  it.each([
    ['a missing invoice id', (id: string) => postGeneric({ ...body(id), invoiceId: undefined }), 'INVALID_EVENT'],
    ['a negative amount', (id: string) => postGeneric(body(id, { amountCents: -1 })), 'INVALID_EVENT'],
    ['a non-integer amount', (id: string) => postGeneric(body(id, { amountCents: 1.5 })), 'INVALID_EVENT'],
    ['an unsupported currency', (id: string) => postGeneric(body(id, { currency: 'ABC' })), 'INVALID_EVENT'],
    ['the wrong secret', (id: string) => postGeneric(body(id), { secret: 'another-secret-entirely' }), 'SIGNATURE_INVALID'],
    ['a stale timestamp', (id: string) => postGeneric(body(id), { timestamp: now() - 301 }), 'SIGNATURE_EXPIRED'],
    ['a future timestamp', (id: string) => postGeneric(body(id), { timestamp: now() + 301 }), 'SIGNATURE_EXPIRED'],
  ] as const)('refuses %s with 400 and changes nothing', async (_label, send, code) => {
    const before = await inboxCount();
    const res = await send(randomUUID());
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe(code);
    expect(res.body.error.message.length).toBeGreaterThan(10);
    expect(await inboxCount()).toBe(before);
  });
});

describe('logs', () => {
  it('never contain secrets, signatures or payloads, whatever the request', async () => {
    const lines: string[] = [];
    const log = createLogger('trace', { write: (line: string) => void lines.push(line) });
    const logged = await startApi(stack.db, stack.env, stack.workers.taskQueue, {
      gateways: [stripeAdapter(STRIPE_SECRET), genericAdapter(GENERIC_SECRET)],
      log,
    });
    const loggedRelay = await startInboxRelay({
      sql: stack.db.sql,
      client: stack.env.client,
      taskQueue: stack.workers.taskQueue,
      log,
      intervalMs: 60_000,
    });
    try {
      const { invoice: inv } = await invoice(10_000);
      const marker = `payload-marker-${randomUUID()}`;
      const payload = JSON.stringify(
        stripeEvent(
          'payment_intent.succeeded',
          paymentIntent(inv.id, 10_000, { description: marker, receipt_email: `${marker}@customer.test` }),
        ),
      );
      const signature = Stripe.webhooks.generateTestHeaderString({ payload, secret: STRIPE_SECRET });
      const post = (raw: string, headers: Record<string, string>, path = '/webhooks/stripe') =>
        logged.request('POST', path, { raw, token: null, headers: { 'content-type': 'application/json', ...headers } });
      expect((await post(payload, { 'stripe-signature': signature })).status).toBe(200);
      expect((await post(payload, { 'stripe-signature': signature })).status).toBe(200); // duplicate
      expect((await post(payload, { 'stripe-signature': signature.replace(/v1=\w+/, `v1=${'0'.repeat(64)}`) })).status).toBe(400);
      expect(
        (
          await post(`{"${marker}": `, {
            'stripe-signature': Stripe.webhooks.generateTestHeaderString({ payload: `{"${marker}": `, secret: STRIPE_SECRET }),
          })
        ).status,
      ).toBe(400);
      const generic = JSON.stringify({
        id: `g-${marker}`,
        type: 'payment.succeeded',
        invoiceId: inv.id,
        amountCents: -1,
        currency: 'USD',
        occurredAt: new Date().toISOString(),
        reference: marker,
      });
      expect((await post(generic, { 'x-signature': signGeneric(generic, GENERIC_SECRET, now()) }, '/webhooks/generic')).status).toBe(400);
      await eventually(async () => expect((await state(inv.workflowId)).status).toBe('paid'));
      await loggedRelay.drain();
    } finally {
      await loggedRelay.stop();
      await logged.close();
    }
    const text = lines.join('');
    expect(text).toContain('webhook received'); // the requests were logged ...
    expect(text).toContain('webhook refused');
    for (const secret of [STRIPE_SECRET, GENERIC_SECRET, 'v1=']) expect(text).not.toContain(secret); // ... without what they carried
    expect(text).not.toMatch(/payload-marker-/);
    expect(text).not.toMatch(/[0-9a-f]{64}/); // no signature or HMAC
  });
});

describe('faults', () => {
  it('acknowledged events wait in the inbox while Temporal is unreachable, then apply exactly once', async () => {
    const { invoice: inv } = await invoice(40_000);
    const dead = Connection.lazy({ address: '127.0.0.1:1', connectTimeout: 300 });
    const deadRelay = await startInboxRelay({
      sql: stack.db.sql,
      client: new Client({ connection: dead }),
      taskQueue: stack.workers.taskQueue,
      log: createLogger('silent'),
      intervalMs: 60_000,
      deliveryTimeoutMs: 1500,
    });
    await relay.stop(); // only the relay that cannot reach Temporal runs now
    const events = [10_000, 10_000, 20_000].map((amount) => stripeEvent('payment_intent.succeeded', paymentIntent(inv.id, amount)));
    for (const e of events) expect((await postStripe(e)).status).toBe(200);
    expect((await postStripe(events[0])).body.duplicate).toBe(true);
    // Each delivery gives up at its deadline and is rescheduled with backoff.
    await eventually(async () => {
      const tried = await stack.db
        .sql`SELECT count(*)::int AS n FROM webhook_inbox WHERE event_id IN ${stack.db.sql(events.map((e) => e.id))} AND attempts > 0`;
      expect(tried[0]!.n).toBe(3);
    });
    await deadRelay.stop();
    await dead.close();
    const pending = await stack.db
      .sql`SELECT status, attempts FROM webhook_inbox WHERE event_id IN ${stack.db.sql(events.map((e) => e.id))}`;
    expect(pending.every((r) => r.status === 'pending')).toBe(true);
    expect(pending.some((r) => r.attempts > 0)).toBe(true);
    expect((await state(inv.workflowId)).amountPaidCents).toBe(0);

    // Temporal is back: the relay delivers everything it acknowledged, once.
    await stack.db.sql`UPDATE webhook_inbox SET next_attempt_at = now() WHERE status = 'pending'`;
    relay = await startInboxRelay({
      sql: stack.db.sql,
      client: stack.env.client,
      taskQueue: stack.workers.taskQueue,
      log: createLogger('silent'),
      intervalMs: 60_000,
    });
    await eventually(async () => expect((await state(inv.workflowId)).status).toBe('paid'));
    const payments = await eventually(async () => {
      const rows = await stack.db.sql`SELECT id FROM payments WHERE invoice_id = ${inv.id}`;
      expect(rows).toHaveLength(3);
      return rows;
    });
    expect(new Set(payments.map((p) => p.id)).size).toBe(3);
  });

  it('answers 503 when Postgres is down, so the gateway retries, and stores nothing', async () => {
    const deadSql = createSql('postgres://postgres:postgres@127.0.0.1:1/nothing', { max: 1 });
    const deadApi = await startApi(stack.db, stack.env, stack.workers.taskQueue, {
      gateways: [stripeAdapter(STRIPE_SECRET)],
      sql: deadSql,
    });
    try {
      const before = await inboxCount();
      const payload = JSON.stringify(stripeEvent('payment_intent.succeeded', paymentIntent(randomUUID(), 100)));
      const res = await deadApi.request('POST', '/webhooks/stripe', {
        raw: payload,
        token: null,
        headers: {
          'content-type': 'application/json',
          'stripe-signature': Stripe.webhooks.generateTestHeaderString({ payload, secret: STRIPE_SECRET }),
        },
      });
      expect(res.status).toBe(503);
      expect(res.body.error.code).toBe('UNAVAILABLE');
      expect(await inboxCount()).toBe(before);
    } finally {
      await deadApi.close();
      await deadSql.end({ timeout: 1 });
    }
  });
});
