import { randomUUID } from 'node:crypto';
import { eventually } from '../helpers/eventually';
import {
  fingerprint,
  genericEvent,
  inboxSettled,
  liveState,
  newCustomer,
  newInvoice,
  paymentIntent,
  postGeneric,
  postStripe,
  stripeEvent,
  useHostileStack,
} from './harness';
import { recordHistory } from '../helpers/histories';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runTestCli } from '../helpers/cli';

// Money that arrives twice, under colliding ids, or as refunds that do not fit must never be counted
// twice or vanish: what each workflow applies is exactly what the ledger holds (the ledger check
// after this file compares every invoice).
const h = useHostileStack();
const sql = () => h.stack.db.sql;

/** Unapplied cash: a gateway payment naming an invoice that does not exist. */
async function unappliedCash(amountCents: number, o: { paymentId?: string } = {}): Promise<string> {
  const paymentId = o.paymentId ?? `rem_${randomUUID()}`;
  expect((await postGeneric(h.api, genericEvent({ invoiceId: randomUUID(), paymentId, amountCents }))).status).toBe(200);
  await inboxSettled(sql());
  return paymentId;
}
const unappliedIds = async () =>
  (await h.api.request('GET', '/api/payments/unapplied')).body.payments.map((p: { id: string }) => p.id) as string[];

describe('unapplied cash is applied at most once', () => {
  it('of parallel applications to different invoices, exactly one wins; the others get 409 and change nothing', async () => {
    const paymentId = await unappliedCash(4_000);
    const invoices = await Promise.all(Array.from({ length: 4 }, () => newInvoice(h.api, 10_000)));
    const answers = await Promise.all(
      invoices.flatMap((inv) =>
        [1, 2].map(() => h.api.request('POST', `/api/payments/${paymentId}/apply`, { body: { invoiceId: inv.id } })),
      ),
    );
    const statuses = answers.map((a) => a.status).sort();
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThanOrEqual(1);
    // The winner's invoice may answer 200 again (the same application, replayed); every other invoice is refused.
    const winners = new Set(answers.filter((a) => a.status === 200).map((a) => a.body.id));
    expect(winners.size).toBe(1);
    expect(answers.filter((a) => a.status !== 200).every((a) => a.status === 409 && a.body.error.code === 'PAYMENT_ALREADY_APPLIED')).toBe(
      true,
    );
    const paid = await Promise.all(invoices.map(async (inv) => (await liveState(h, inv.workflowId)).amountPaidCents));
    expect(paid.reduce((a, b) => a + b, 0)).toBe(4_000);
    expect(await unappliedIds()).not.toContain(paymentId);
  });

  it('applying cash that is already applied answers 409 naming the invoice', async () => {
    const paymentId = await unappliedCash(1_500);
    const [a, b] = await Promise.all([newInvoice(h.api), newInvoice(h.api)]);
    expect((await h.api.request('POST', `/api/payments/${paymentId}/apply`, { body: { invoiceId: a.id } })).status).toBe(200);
    const again = await h.api.request('POST', `/api/payments/${paymentId}/apply`, { body: { invoiceId: b.id } });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('PAYMENT_ALREADY_APPLIED');
    expect((await liveState(h, b.workflowId)).amountPaidCents).toBe(0);
  });

  it('a claim left by a request that died is taken over once its invoice is seen not to have the cash', async () => {
    const paymentId = await unappliedCash(3_300);
    const [crashed, next] = await Promise.all([newInvoice(h.api), newInvoice(h.api)]);
    // A request claimed the cash for `crashed`, then died before its update reached the workflow.
    await sql()`UPDATE unapplied_payments SET status = 'applying', claimed_invoice_id = ${crashed.id}, claimed_at = now() WHERE id = ${paymentId}`;
    const early = await h.api.request('POST', `/api/payments/${paymentId}/apply`, { body: { invoiceId: next.id } });
    expect([early.status, early.body.error.code]).toEqual([409, 'PAYMENT_ALREADY_APPLIED']); // it may still land
    await sql()`UPDATE unapplied_payments SET claimed_at = now() - interval '5 minutes' WHERE id = ${paymentId}`;
    const later = await h.api.request('POST', `/api/payments/${paymentId}/apply`, { body: { invoiceId: next.id } });
    expect([later.status, later.body.amountPaidCents]).toEqual([200, 3_300]);
    expect((await liveState(h, crashed.workflowId)).amountPaidCents).toBe(0);
  });

  it('cash refused by the invoice (another currency) stays unapplied for another try', async () => {
    const paymentId = await unappliedCash(2_000);
    const eur = await newInvoice(h.api, 10_000, { currency: 'EUR' });
    const refused = await h.api.request('POST', `/api/payments/${paymentId}/apply`, { body: { invoiceId: eur.id } });
    expect([refused.status, refused.body.error.code]).toEqual([422, 'CURRENCY_MISMATCH']);
    expect(await unappliedIds()).toContain(paymentId);
    const usd = await newInvoice(h.api);
    expect((await h.api.request('POST', `/api/payments/${paymentId}/apply`, { body: { invoiceId: usd.id } })).status).toBe(200);
  });
});

describe('payment ids are scoped so that nothing the workflow applies is dropped', () => {
  it('an Idempotency-Key reused on another invoice, or with another body, answers 409 IDEMPOTENCY_CONFLICT', async () => {
    const [a, b] = await Promise.all([newInvoice(h.api), newInvoice(h.api)]);
    const key = `pay-${randomUUID()}`;
    const pay = (invoiceId: string, amountCents: number) =>
      h.api.request('POST', `/api/invoices/${invoiceId}/payments`, {
        body: { amountCents, currency: 'USD' },
        headers: { 'idempotency-key': key },
      });
    expect((await pay(a.id, 1_000)).status).toBe(201);
    expect((await pay(a.id, 1_000)).status).toBe(200); // the same request again: replayed
    const other = await pay(b.id, 1_000);
    expect([other.status, other.body.error?.code]).toEqual([409, 'IDEMPOTENCY_CONFLICT']);
    const changed = await pay(a.id, 2_000);
    expect([changed.status, changed.body.error?.code]).toEqual([409, 'IDEMPOTENCY_CONFLICT']);
    expect((await liveState(h, a.workflowId)).amountPaidCents).toBe(1_000);
    expect((await liveState(h, b.workflowId)).amountPaidCents).toBe(0);
  });

  it('one remittance id split over two invoices is booked on each', async () => {
    const [a, b] = await Promise.all([newInvoice(h.api), newInvoice(h.api)]);
    const remittance = `wire-${randomUUID()}`;
    expect((await postGeneric(h.api, genericEvent({ invoiceId: a.id, paymentId: remittance, amountCents: 3_000 }))).status).toBe(200);
    expect((await postGeneric(h.api, genericEvent({ invoiceId: b.id, paymentId: remittance, amountCents: 7_000 }))).status).toBe(200);
    await inboxSettled(sql());
    await eventually(async () => {
      expect((await liveState(h, a.workflowId)).amountPaidCents).toBe(3_000);
      expect((await liveState(h, b.workflowId)).amountPaidCents).toBe(7_000);
    });
    await eventually(async () =>
      expect(await sql()`SELECT invoice_id, amount_cents FROM payments WHERE id = ${remittance} ORDER BY amount_cents`).toEqual([
        { invoice_id: a.id, amount_cents: 3_000 },
        { invoice_id: b.id, amount_cents: 7_000 },
      ]),
    );
  });

  it('unapplied cash whose id collides with an applied payment is kept, and the applied one stays applied', async () => {
    const a = await newInvoice(h.api);
    const shared = `shared-${randomUUID()}`;
    // Applied on invoice A through the generic gateway, then the same id arrives from Stripe for no invoice.
    expect((await postGeneric(h.api, genericEvent({ invoiceId: a.id, paymentId: shared, amountCents: 2_500 }))).status).toBe(200);
    await inboxSettled(sql());
    expect(
      (await postStripe(h.api, stripeEvent('payment_intent.succeeded', { ...paymentIntent(randomUUID(), 900), id: shared }))).status,
    ).toBe(200);
    await inboxSettled(sql());
    expect(await unappliedIds()).toContain(shared);
    // And the other way round: unapplied first, then an applied payment under the same id.
    const other = `other-${randomUUID()}`;
    await unappliedCash(600, { paymentId: other });
    const b = await newInvoice(h.api);
    expect((await postStripe(h.api, stripeEvent('payment_intent.succeeded', { ...paymentIntent(b.id, 1_100), id: other }))).status).toBe(
      200,
    );
    await inboxSettled(sql());
    await eventually(async () => expect((await liveState(h, b.workflowId)).amountPaidCents).toBe(1_100));
    expect(await unappliedIds()).toContain(other);
    expect((await liveState(h, a.workflowId)).amountPaidCents).toBe(2_500);
  });
});

describe('refunds apply only to a payment of the invoice, in its currency, up to what is left of it', () => {
  it("refunds of another invoice's payment, of no payment, beyond the payment or in another currency are flagged, not applied", async () => {
    const [a, b] = await Promise.all([newInvoice(h.api, 20_000), newInvoice(h.api, 20_000)]);
    const paymentA = `pay-a-${randomUUID()}`;
    const paymentB = `pay-b-${randomUUID()}`;
    await postGeneric(h.api, genericEvent({ invoiceId: a.id, paymentId: paymentA, amountCents: 10_000 }));
    await postGeneric(h.api, genericEvent({ invoiceId: b.id, paymentId: paymentB, amountCents: 10_000 }));
    await inboxSettled(sql());
    const refund = (o: Record<string, unknown>) =>
      postGeneric(h.api, genericEvent({ type: 'payment.refunded', invoiceId: a.id, paymentId: paymentA, ...o }));
    for (const bad of [
      { paymentId: paymentB, amountCents: 1_000 }, // another invoice's payment
      { paymentId: 'never-paid', amountCents: 1_000 }, // no such payment
      { amountCents: 15_000 }, // more than the payment
      { amountCents: 1_000, currency: 'JPY' }, // another currency
    ])
      expect((await refund(bad)).status).toBe(200);
    await inboxSettled(sql());
    expect((await refund({ amountCents: 4_000 })).status).toBe(200); // fits: applied
    await inboxSettled(sql());
    expect((await refund({ amountCents: 7_000 })).status).toBe(200); // only 6,000 is left of the payment
    await inboxSettled(sql());
    await eventually(async () => {
      const s = await liveState(h, a.workflowId);
      expect({ paid: s.amountPaidCents, due: s.amountDueCents, status: s.status }).toEqual({ paid: 6_000, due: 14_000, status: 'open' });
    });
    expect((await liveState(h, b.workflowId)).amountPaidCents).toBe(10_000);
    const attention = await eventually(async () => {
      const items = (await h.api.request('GET', '/api/attention')).body.items.filter((i: { invoiceId: string }) => i.invoiceId === a.id);
      expect(items).toHaveLength(5);
      return items;
    });
    await recordHistory(h.stack.env.client.workflow.getHandle(a.workflowId), 'refunds-checked-and-flagged');
    expect(attention.map((i: { kind: string; reason: string }) => `${i.kind}:${i.reason}`).sort()).toEqual(
      [
        'refund_flagged:currency_mismatch',
        'refund_flagged:exceeds_payment',
        'refund_flagged:exceeds_payment',
        'refund_flagged:unknown_payment',
        'refund_flagged:unknown_payment',
      ].sort(),
    );
  });

  it('a Stripe refund total beyond the charge is flagged; a paid invoice is not reopened by it', async () => {
    const a = await newInvoice(h.api, 5_000);
    const pi = paymentIntent(a.id, 5_000);
    await postStripe(h.api, stripeEvent('payment_intent.succeeded', pi));
    await inboxSettled(sql());
    await eventually(async () => expect((await liveState(h, a.workflowId)).status).toBe('paid'));
    await postStripe(
      h.api,
      stripeEvent('charge.refunded', {
        id: `ch_${pi.id}`,
        object: 'charge',
        payment_intent: pi.id,
        amount: 5_000,
        amount_refunded: 9_000,
        currency: 'usd',
        metadata: { invoice_id: a.id },
      }),
    );
    await inboxSettled(sql());
    await eventually(async () => {
      const items = (await h.api.request('GET', '/api/attention')).body.items.filter((i: { invoiceId: string }) => i.invoiceId === a.id);
      expect(items.map((i: { reason: string }) => i.reason)).toEqual(['exceeds_payment']);
    });
    expect(await liveState(h, a.workflowId)).toMatchObject({ status: 'paid', amountPaidCents: 5_000, amountDueCents: 0 });
  });

  it('a refund of an overpayment takes back the customer credit first', async () => {
    const a = await newInvoice(h.api, 5_000);
    const paymentId = `over-${randomUUID()}`;
    await postGeneric(h.api, genericEvent({ invoiceId: a.id, paymentId, amountCents: 8_000 }));
    await inboxSettled(sql());
    await eventually(async () => expect((await liveState(h, a.workflowId)).status).toBe('paid'));
    await postGeneric(h.api, genericEvent({ type: 'payment.refunded', invoiceId: a.id, paymentId, amountCents: 3_000 }));
    await inboxSettled(sql());
    await eventually(async () =>
      expect(await sql()`SELECT coalesce(sum(amount_cents), 0)::int AS credit FROM customer_credits WHERE invoice_id = ${a.id}`).toEqual([
        { credit: 0 },
      ]),
    );
    expect(await liveState(h, a.workflowId)).toMatchObject({ status: 'paid', amountDueCents: 0 });
  });
});

describe('zero is never chased', () => {
  it('refuses an invoice whose total is zero, and a recurring plan that would issue one, storing nothing', async () => {
    const customerId = await newCustomer(h.api);
    const before = await fingerprint(sql());
    const invoice = await h.api.request('POST', '/api/invoices', {
      body: { customerId, lines: [{ description: 'Free trial', quantity: 1, unitAmountCents: 0 }] },
    });
    expect([invoice.status, invoice.body.error.code]).toEqual([422, 'INVALID_AMOUNT']);
    const plan = await h.api.request('POST', '/api/recurring-plans', {
      body: {
        customerId,
        lines: [{ description: 'Free tier', quantity: 3, unitAmountCents: 0 }],
        interval: { every: 'month', dayOfMonth: 1 },
      },
    });
    expect([plan.status, plan.body.error.code]).toEqual([422, 'INVALID_AMOUNT']);
    expect(await fingerprint(sql())).toEqual(before);
  });
});

describe('parallel commands on one invoice', () => {
  it('never answer 500: each is applied, refused with a 4xx, or answered 503 with a retryable code', async () => {
    const a = await newInvoice(h.api, 1_000_000);
    const requests = Array.from({ length: 24 }, (_, i) => {
      switch (i % 4) {
        case 0:
          return h.api.request('POST', `/api/invoices/${a.id}/payments`, {
            body: { amountCents: 100, currency: 'USD' },
            headers: { 'idempotency-key': `par-${i}-${a.id}` },
          });
        case 1:
          return h.api.request('POST', `/api/invoices/${a.id}/dispute`, { body: { reason: `parallel ${i}` } });
        case 2:
          return h.api.request('POST', `/api/invoices/${a.id}/dispute/resolve`, { body: {} });
        default:
          return h.api.request('POST', `/api/invoices/${a.id}/promise`, {
            body: { date: new Date(Date.now() + 5 * 86_400_000).toISOString().slice(0, 10) },
          });
      }
    });
    const answers = await Promise.all(requests);
    for (const r of answers) {
      expect(r.status).not.toBe(500);
      if (r.status >= 500) expect(r.body.error.code).toBe('WORKFLOW_BUSY');
    }
    const applied = answers.filter((r, i) => i % 4 === 0 && r.status === 201).length;
    expect((await liveState(h, a.workflowId)).amountPaidCents).toBe(applied * 100);
  });
});

describe('npm run cli -- ledger check', () => {
  it('finds nothing on a consistent book, and names an invoice whose ledger was tampered with', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'ledger-check-'));
    const clean = await runTestCli(h.api, dir, ['ledger', 'check']);
    expect([clean.code, clean.err]).toEqual([0, '']);
    expect(clean.out).toMatch(/^checked \d+ invoices \(\d+ against their workflow\): no differences/);
    expect(clean.progress).toContain('ledger check');

    const inv = await newInvoice(h.api, 7_000);
    await h.api.request('POST', `/api/invoices/${inv.id}/payments`, { body: { amountCents: 2_000, currency: 'USD' } });
    // What a projection that drops a row would leave: the invoice row says paid, the payments do not.
    await sql()`UPDATE payments SET amount_cents = amount_cents - 1 WHERE invoice_id = ${inv.id}`;
    try {
      const found = await runTestCli(h.api, dir, ['ledger', 'check', '--invoice', inv.id, '--json']);
      expect(found.code).toBe(1);
      const report = JSON.parse(found.out);
      expect(report.checked).toBe(1);
      expect(report.differences).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ invoiceId: inv.id, check: 'identity', field: 'paidCents' }),
          expect.objectContaining({ invoiceId: inv.id, check: 'workflow', field: expect.stringMatching(/^payments\./) }),
        ]),
      );
    } finally {
      await sql()`UPDATE payments SET amount_cents = amount_cents + 1 WHERE invoice_id = ${inv.id}`;
    }

    // Applied cash that shows as waiting again would be counted twice: the book-wide part names it.
    const paymentId = await unappliedCash(1_200);
    const target = await newInvoice(h.api);
    expect((await h.api.request('POST', `/api/payments/${paymentId}/apply`, { body: { invoiceId: target.id } })).status).toBe(200);
    await sql()`UPDATE unapplied_payments SET status = 'unapplied', claimed_invoice_id = NULL WHERE id = ${paymentId}`;
    try {
      const twice = await runTestCli(h.api, dir, ['ledger', 'check']);
      expect(twice.code).toBe(1);
      expect(twice.out).toContain(`unapplied payment generic:${paymentId} is on 1 invoice ledger(s) but still waits to be applied`);
    } finally {
      await sql()`UPDATE unapplied_payments SET status = 'applied', claimed_invoice_id = ${target.id} WHERE id = ${paymentId}`;
    }
  });
});
