import { randomUUID } from 'node:crypto';
import { paymentReceivedSignal } from '../../workflows/messages';
import { eventually } from '../helpers/eventually';
import {
  fingerprint,
  historyLength,
  inboxSettled,
  liveState,
  newInvoice,
  paymentIntent,
  postStripe,
  stripeEvent,
  useHostileStack,
} from './harness';
import { recordHistory } from '../helpers/histories';

// No input may stall an invoice: what Postgres cannot store is refused at the edge, and should the
// projection still be refused (a poison event), the invoice says so and every caller gets an answer.
const h = useHostileStack();
const sql = () => h.stack.db.sql;
const within = <T>(ms: number, p: Promise<T>) =>
  Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms))]);

it('a NUL byte in a dispute reason is refused with 400 and the invoice keeps working', async () => {
  const inv = await newInvoice(h.api);
  const before = await fingerprint(sql());
  const events = await historyLength(h, inv.workflowId);
  const res = await within(10_000, h.api.request('POST', `/api/invoices/${inv.id}/dispute`, { body: { reason: 'wrong\u0000amount' } }));
  expect([res.status, res.body.error.code, res.body.error.field]).toEqual([400, 'VALIDATION', 'reason']);
  expect(await fingerprint(sql())).toEqual(before);
  expect(await historyLength(h, inv.workflowId)).toBe(events);
  const paid = await within(
    10_000,
    h.api.request('POST', `/api/invoices/${inv.id}/payments`, { body: { amountCents: 10_000, currency: 'USD' } }),
  );
  expect([paid.status, paid.body.status]).toEqual([201, 'paid']);
});

it('a NUL byte in the portal dispute form is refused with 400 and nothing changes', async () => {
  const inv = await newInvoice(h.api);
  const link = await h.api.request('POST', `/api/customers/${inv.customerId}/portal-links`, { body: {} });
  const before = await fingerprint(sql());
  const res = await within(
    10_000,
    fetch(`${link.body.url}/invoices/${inv.id}/dispute`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'reason=bad%00reason',
      redirect: 'manual',
    }),
  );
  expect(res.status).toBe(400);
  expect(await res.text()).toContain('control characters');
  expect(await fingerprint(sql())).toEqual(before);
  expect((await liveState(h, inv.workflowId)).disputed).toBe(false);
});

it('a Stripe payment_intent.succeeded of 0 is refused with 400; later payments still apply', async () => {
  const inv = await newInvoice(h.api, 5_000);
  const before = await fingerprint(sql());
  const zero = await postStripe(h.api, stripeEvent('payment_intent.succeeded', paymentIntent(inv.id, 0)));
  expect([zero.status, zero.body.error.code]).toEqual([400, 'INVALID_EVENT']);
  expect(await fingerprint(sql())).toEqual(before);
  expect((await postStripe(h.api, stripeEvent('payment_intent.succeeded', paymentIntent(inv.id, 5_000)))).status).toBe(200);
  await inboxSettled(sql());
  await eventually(async () => expect((await liveState(h, inv.workflowId)).status).toBe('paid'));
});

it('a payment signal carrying control characters (from any client) is applied with its text cleaned, never stalling', async () => {
  const inv = await newInvoice(h.api, 5_000);
  const handle = h.stack.env.client.workflow.getHandle(inv.workflowId);
  await handle.signal(paymentReceivedSignal, {
    paymentId: `raw-${randomUUID()}`,
    amountCents: 2_000,
    currency: 'USD',
    reference: 'ref\u0000\u0007x',
    method: 'wire\u0000',
    actor: 'test\u0000',
  });
  await eventually(async () =>
    expect(await sql()`SELECT reference, method, amount_cents FROM payments WHERE invoice_id = ${inv.id}`).toEqual([
      { reference: 'ref x', method: 'wire', amount_cents: 2_000 },
    ]),
  );
  // An amount no ledger can hold is flagged, never applied.
  await handle.signal(paymentReceivedSignal, { paymentId: `raw-${randomUUID()}`, amountCents: 0, currency: 'USD', actor: 'test' });
  await handle.signal(paymentReceivedSignal, { paymentId: `raw-${randomUUID()}`, amountCents: 2 ** 60, currency: 'USD', actor: 'test' });
  const paid = await within(
    10_000,
    h.api.request('POST', `/api/invoices/${inv.id}/payments`, { body: { amountCents: 3_000, currency: 'USD' } }),
  );
  expect([paid.status, paid.body.status]).toEqual([201, 'paid']);
});

describe('a poison event (Postgres refuses the projection)', () => {
  it('answers the command at once, flags the invoice in the UI and the API, and heals once the cause is fixed', async () => {
    const inv = await newInvoice(h.api, 9_000);
    // Something the application did not foresee makes Postgres refuse this invoice's next write.
    await sql().unsafe(`ALTER TABLE payments ADD CONSTRAINT test_poison CHECK (reference IS DISTINCT FROM 'poison')`);
    try {
      const res = await within(
        15_000,
        h.api.request('POST', `/api/invoices/${inv.id}/payments`, { body: { amountCents: 4_000, currency: 'USD', reference: 'poison' } }),
      );
      expect([res.status, res.body.error.code]).toEqual([503, 'LEDGER_WRITE_PENDING']);
      const attention = await eventually(async () => {
        const items = (await h.api.request('GET', '/api/attention')).body.items.filter(
          (i: { invoiceId: string }) => i.invoiceId === inv.id,
        );
        expect(items).toEqual([expect.objectContaining({ kind: 'projection_failed' })]);
        return items[0];
      });
      expect(attention.reason).toMatch(/test_poison/);
      await eventually(async () => {
        const found = await h.stack.env.client.workflow.count(`WorkflowId = '${inv.workflowId}' AND NeedsAttention = 'projection_failed'`);
        expect(found.count).toBe(1);
      }, 15_000);
      // An alert can watch this gauge.
      expect(await (await fetch(`${h.api.url}/metrics`)).text()).toMatch(/^collections_needs_attention\{kind="projection_failed"\} 1$/m);
      // It waits instead of retrying in a loop: the history does not grow.
      const length = await historyLength(h, inv.workflowId);
      await new Promise((r) => setTimeout(r, 3_000));
      expect(await historyLength(h, inv.workflowId)).toBeLessThanOrEqual(length + 1);
      // Other commands are answered at once too, and refused: nothing more diverges from Postgres.
      const dispute = await within(5_000, h.api.request('POST', `/api/invoices/${inv.id}/dispute`, { body: { reason: 'later' } }));
      expect([dispute.status, dispute.body.error.code]).toEqual([503, 'LEDGER_WRITE_PENDING']);
    } finally {
      await sql().unsafe('ALTER TABLE payments DROP CONSTRAINT IF EXISTS test_poison');
    }
    const retried = await h.api.request('POST', `/api/invoices/${inv.id}/projection/retry`, { body: {} });
    expect(retried.status).toBe(202);
    await eventually(async () => {
      expect(await sql()`SELECT paid_cents, disputed FROM invoices WHERE id = ${inv.id}`).toEqual([{ paid_cents: 4_000, disputed: false }]);
      expect(
        (await h.api.request('GET', '/api/attention')).body.items.filter((i: { invoiceId: string }) => i.invoiceId === inv.id),
      ).toEqual([]);
    }, 15_000);
    await recordHistory(h.stack.env.client.workflow.getHandle(inv.workflowId), 'poison-event-healed');
  });
});
