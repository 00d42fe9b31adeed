import { randomUUID } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { createActivities, type SendEmailInput } from '../../activities';
import { insertCustomer } from '../../src/db/customers';
import { insertInvoice } from '../../src/db/invoices';
import { createResendMailer } from '../../src/email/mailer';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { startRecorder, startResendContract } from '../helpers/recorder';
import { expectLedgerConsistent } from '../helpers/ledger-check';
import { MockActivityEnvironment } from '@temporalio/testing';

let db: TestDatabase;
let recorder: Awaited<ReturnType<typeof startRecorder>>;
let activities: ReturnType<typeof createActivities>;

beforeAll(async () => {
  db = await createTestDatabase();
  recorder = await startRecorder(() => ({ status: 200, body: { id: `re_${randomUUID()}` } }));
  activities = createActivities({
    sql: db.sql,
    mailer: createResendMailer('re_test_key', recorder.url),
    publicUrl: 'https://ar.example.com',
    from: 'Acme AR <ar@acme.test>',
    seller: 'Acme Ltd',
  });
});
afterAll(async () => {
  await recorder?.close();
  try {
    if (db) await expectLedgerConsistent(db.sql);
  } finally {
    await db?.drop();
  }
});
beforeEach(() => recorder.requests.splice(0));

async function newCustomer(): Promise<string> {
  const customerId = randomUUID();
  await insertCustomer(
    db.sql,
    {
      id: customerId,
      name: 'Umbrella',
      email: 'ap@umbrella.test',
      timeZone: 'Europe/Berlin',
      currency: 'EUR',
      paymentTermsDays: 30,
      policyName: null,
    },
    'test',
  );
  return customerId;
}

async function invoice(customerId?: string): Promise<string> {
  customerId ??= await newCustomer();
  const id = randomUUID();
  await insertInvoice(
    db.sql,
    {
      id,
      customerId,
      currency: 'EUR',
      totalCents: 123_456,
      issueDate: '2026-11-02',
      dueAt: '2026-12-02T22:59:59.999Z',
      policyName: 'standard',
      policyVersion: 1,
      workflowId: `invoice-${id}`,
      idempotencyKey: null,
      requestHash: 'h',
      lines: [{ description: 'Annual licence', quantity: 1, unitAmountCents: 123_456, amountCents: 123_456 }],
    },
    'test',
  );
  await activities.renderInvoiceDocument({ invoiceId: id });
  return id;
}
const input = (invoiceId: string, o: Partial<SendEmailInput> = {}): SendEmailInput => ({
  invoiceId,
  template: 'invoice_issued',
  stepIndex: null,
  idempotencyKey: `invoice-${invoiceId}/issue`,
  attachPdf: true,
  amountDueCents: 123_456,
  feesCents: 0,
  ...o,
});
async function failureOf(promise: Promise<unknown>): Promise<ApplicationFailure> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof ApplicationFailure) return err;
    throw err;
  }
  throw new Error('expected the activity to fail');
}

it('sends through the resend SDK with the idempotency key and the PDF attached', async () => {
  const id = await invoice();
  const result = await activities.sendInvoiceEmail(input(id));
  expect(result).toMatchObject({ status: 'sent', transport: 'resend', providerMessageId: expect.stringMatching(/^re_/) });
  expect(recorder.requests).toHaveLength(1);
  const [req] = recorder.requests;
  expect(req).toMatchObject({ method: 'POST', path: '/emails' });
  expect(req!.headers['idempotency-key']).toBe(`invoice-${id}/issue`);
  expect(req!.headers.authorization).toBe('Bearer re_test_key');
  expect(req!.body).toMatchObject({ from: 'Acme AR <ar@acme.test>', to: ['ap@umbrella.test'], subject: expect.stringContaining('INV-') });
  expect(req!.body.text).toContain('EUR 1,234.56');
  expect(req!.body.text).toContain('2026-12-02'); // the customer's local due date
  expect(req!.body.text).toContain(`https://ar.example.com/pay/${id}`);
  expect(req!.body.attachments).toEqual([
    { filename: expect.stringMatching(/^INV-\d+\.pdf$/), content_type: 'application/pdf', content: expect.any(String) },
  ]); // the SDK's wire format
  expect(Buffer.from(req!.body.attachments[0].content, 'base64').subarray(0, 5).toString()).toBe('%PDF-');
  const [log] =
    await db.sql`SELECT transport, provider_message_id, template FROM email_log WHERE idempotency_key = ${`invoice-${id}/issue`}`;
  expect(log).toEqual({ transport: 'resend', provider_message_id: result.providerMessageId, template: 'invoice_issued' });
});

it('never sends twice: a retried activity finds the email in the log', async () => {
  const id = await invoice();
  await activities.sendInvoiceEmail(input(id));
  const again = await activities.sendInvoiceEmail(input(id));
  expect(again.status).toBe('already_sent');
  expect(recorder.requests).toHaveLength(1);
});

it('429: retryable, honouring retry-after, and nothing is logged', async () => {
  const id = await invoice();
  recorder.respond({
    status: 429,
    body: { statusCode: 429, name: 'rate_limit_exceeded', message: 'Too many requests' },
    headers: { 'retry-after': '7' },
  });
  const failure = await failureOf(activities.sendInvoiceEmail(input(id)));
  expect(failure.nonRetryable).toBe(false);
  expect(failure.type).toBe('EMAIL_PROVIDER_UNAVAILABLE');
  expect(failure.nextRetryDelay).toBe(7000);
  expect(await db.sql`SELECT 1 FROM email_log WHERE invoice_id = ${id}`).toHaveLength(0);
  // The retry carries the same idempotency key, so the provider de-duplicates too.
  await activities.sendInvoiceEmail(input(id));
  expect(recorder.requests.map((r) => r.headers['idempotency-key'])).toEqual([`invoice-${id}/issue`, `invoice-${id}/issue`]);
});

it('500: retryable', async () => {
  const id = await invoice();
  recorder.respond({ status: 500, body: { statusCode: 500, name: 'internal_server_error', message: 'boom' } });
  const failure = await failureOf(activities.sendInvoiceEmail(input(id)));
  expect([failure.nonRetryable, failure.type]).toEqual([false, 'EMAIL_PROVIDER_UNAVAILABLE']);
});

it('4xx validation error: permanent (non-retryable)', async () => {
  const id = await invoice();
  recorder.respond({ status: 422, body: { statusCode: 422, name: 'validation_error', message: 'Invalid `to` field' } });
  const failure = await failureOf(activities.sendInvoiceEmail(input(id)));
  expect([failure.nonRetryable, failure.type]).toEqual([true, 'EMAIL_REJECTED']);
  expect(failure.message).toContain('Invalid `to` field');
});

it('renders the same PDF bytes for the same invoice, and records events idempotently', async () => {
  const id = await invoice();
  const [first] = await db.sql`SELECT sha256 FROM invoice_documents WHERE invoice_id = ${id}`;
  await db.sql`DELETE FROM invoice_documents WHERE invoice_id = ${id}`;
  const again = await activities.renderInvoiceDocument({ invoiceId: id });
  expect(again.sha256).toBe(first!.sha256);

  const events = [
    {
      seq: 1,
      at: '2026-12-10T10:00:00.000Z',
      actor: 'gateway:test',
      type: 'payment_received' as const,
      paymentId: 'pi_1',
      amountCents: 23_456,
      currency: 'EUR',
    },
    {
      seq: 2,
      at: '2026-12-16T10:00:00.000Z',
      actor: 'workflow',
      type: 'late_fee_applied' as const,
      stepIndex: 3,
      amountCents: 1500,
      currency: 'EUR',
    },
  ];
  const snapshot = {
    status: 'open' as const,
    feesCents: 1500,
    paidCents: 23_456,
    refundedCents: 0,
    amountDueCents: 101_500,
    dunningStage: 'late_fee_notice',
    disputed: false,
    promisedDate: null,
  };
  const customerId = (await db.sql`SELECT customer_id FROM invoices WHERE id = ${id}`)[0]!.customer_id as string;
  expect(await activities.recordInvoiceEvents({ invoiceId: id, customerId, events, snapshot })).toEqual({ applied: 2 });
  expect(await activities.recordInvoiceEvents({ invoiceId: id, customerId, events, snapshot })).toEqual({ applied: 0 });
  expect(await db.sql`SELECT id FROM payments WHERE invoice_id = ${id}`).toEqual([{ id: 'pi_1' }]);
  expect(await db.sql`SELECT amount_cents FROM late_fees WHERE invoice_id = ${id}`).toEqual([{ amount_cents: 1500 }]);
  expect(await db.sql`SELECT amount_due_cents, last_event_seq FROM invoices WHERE id = ${id}`).toEqual([
    { amount_due_cents: 101_500, last_event_seq: 2 },
  ]);
});

it('a projection Postgres refuses is recorded for ops; it fails for good only for workflows that wait for a fix', async () => {
  const id = await invoice();
  const [row] = await db.sql<
    { customerId: string; totalCents: number }[]
  >`SELECT customer_id AS "customerId", total_cents AS "totalCents" FROM invoices WHERE id = ${id}`;
  const snapshot = (feesCents: number) => ({
    status: 'open' as const,
    feesCents,
    paidCents: 0,
    refundedCents: 0,
    amountDueCents: row!.totalCents + feesCents,
    dunningStage: 'late_fee_notice',
    disputed: false,
    promisedDate: null,
  });
  // A fee of zero: the late_fees CHECK refuses it (what a bug or a schema change could make).
  const poison = {
    invoiceId: id,
    customerId: row!.customerId,
    events: [
      {
        seq: 1,
        at: '2026-12-16T10:00:00.000Z',
        actor: 'workflow',
        type: 'late_fee_applied' as const,
        stepIndex: 3,
        amountCents: 0,
        currency: 'EUR',
      },
    ],
    snapshot: snapshot(0),
  };
  const env = new MockActivityEnvironment();
  const legacy = await failureOf(env.run(activities.recordInvoiceEvents, poison));
  expect([legacy.nonRetryable, legacy.type]).toEqual([false, 'PROJECTION_REFUSED']); // a workflow from before retries, as it did
  const surfaced = await failureOf(env.run(activities.recordInvoiceEvents, { ...poison, surfaceRefusal: true }));
  expect([surfaced.nonRetryable, surfaced.type, surfaced.message]).toEqual([
    true,
    'PROJECTION_REJECTED',
    'Postgres 23514: late_fees violates constraint late_fees_amount_cents_check',
  ]);
  expect(await db.sql`SELECT seq, sql_state, resolved_at FROM projection_failures WHERE invoice_id = ${id}`).toEqual([
    { seq: 1, sql_state: '23514', resolved_at: null },
  ]);
  expect(await db.sql`SELECT last_event_seq FROM invoices WHERE id = ${id}`).toEqual([{ last_event_seq: 0 }]); // nothing half-written

  // Fixed (here: the event as it should have been): stored, and the failure resolved.
  const fixed = {
    ...poison,
    events: [{ ...poison.events[0]!, amountCents: 1500 }],
    snapshot: snapshot(1500),
    surfaceRefusal: true,
    afterFailure: true,
  };
  expect(await env.run(activities.recordInvoiceEvents, fixed)).toEqual({ applied: 1 });
  expect((await db.sql`SELECT resolved_at FROM projection_failures WHERE invoice_id = ${id}`)[0]!.resolved_at).toBeInstanceOf(Date);
});

describe('exactly once across a crash after the provider accepted the email (Resend idempotency contract)', () => {
  /** Activities whose process dies once after Resend accepted an email, before our log row was written. */
  function crashingOnce(url: string) {
    const resend = createResendMailer('re_test_key', url);
    let crashes = 1;
    return createActivities({
      sql: db.sql,
      mailer: {
        transport: resend.transport,
        deliver: async (email) => {
          const result = await resend.deliver(email);
          if (crashes-- > 0) throw new Error('worker lost after delivery');
          return result;
        },
      },
      publicUrl: 'https://ar.example.com',
      from: 'Acme AR <ar@acme.test>',
      seller: 'Acme Ltd',
    });
  }

  it('a retry after the crash sends byte-identical content, is recognised, and is logged once', async () => {
    const provider = await startResendContract();
    try {
      const crashy = crashingOnce(provider.url);
      const id = await invoice();
      await expect(crashy.sendInvoiceEmail(input(id))).rejects.toThrow('worker lost after delivery');
      const retried = await crashy.sendInvoiceEmail(input(id));
      expect(retried.status).toBe('sent');
      expect(provider.requests).toHaveLength(2);
      expect(provider.requests[1]!.raw).toBe(provider.requests[0]!.raw); // byte-identical
      expect(retried.providerMessageId).toMatch(/^re_/);
      expect(await db.sql`SELECT provider_message_id FROM email_log WHERE invoice_id = ${id}`).toHaveLength(1);
      expect(await db.sql`SELECT 1 FROM portal_tokens WHERE created_for = ${`invoice-${id}/issue`}`).toHaveLength(1); // one link, not one per attempt
      expect(await db.sql`SELECT 1 FROM email_sending WHERE idempotency_key = ${`invoice-${id}/issue`}`).toHaveLength(0);
    } finally {
      await provider.close();
    }
  });

  it('a 409 for a key this email was already sent under is "already sent", not a refusal', async () => {
    const provider = await startResendContract();
    try {
      const resend = createResendMailer('re_test_key', provider.url);
      const a = createActivities({
        sql: db.sql,
        mailer: resend,
        publicUrl: 'https://ar.example.com',
        from: 'Acme AR <ar@acme.test>',
        seller: 'Acme Ltd',
      });
      const id = await invoice();
      // Sent once under this key by an attempt whose content is lost (say, a worker of an older release).
      await fetch(`${provider.url}/emails`, {
        method: 'POST',
        headers: { 'idempotency-key': `invoice-${id}/issue`, 'content-type': 'application/json' },
        body: '{"other":"body"}',
      });
      const result = await a.sendInvoiceEmail(input(id));
      expect(result.status).toBe('already_sent');
      expect(await db.sql`SELECT provider_message_id FROM email_log WHERE invoice_id = ${id}`).toEqual([{ provider_message_id: null }]);
    } finally {
      await provider.close();
    }
  });

  it("a customer's grouped reminder crashed after delivery is sent once, with the same invoices, on retry", async () => {
    const provider = await startResendContract();
    try {
      const crashy = crashingOnce(provider.url);
      const customerId = await newCustomer();
      const ids = [await invoice(customerId), await invoice(customerId), await invoice(customerId)];
      const item = (id: string, i: number) => ({
        key: `invoice-${id}/step-2`,
        invoiceId: id,
        invoiceNumber: `n${i}`,
        template: i === 1 ? ('reminder_firm' as const) : ('reminder_overdue' as const),
        stepIndex: 2,
        dueAt: '2026-12-10T08:00:00.000Z',
        sendAlone: false,
        attachPdf: false,
        window: null,
        timeZone: 'Europe/Berlin',
      });
      const batch = { customerId, key: `customer-${customerId}/batch-1`, items: ids.map(item) };
      await expect(crashy.sendCustomerReminders(batch)).rejects.toThrow('worker lost after delivery');
      // Meanwhile the third invoice is voided: the retry still sends what the first attempt sent.
      await db.sql`UPDATE invoices SET status = 'void', closed_at = now() WHERE id = ${ids[2]!}`;
      const retried = await crashy.sendCustomerReminders(batch);
      expect(retried).toEqual({ outcome: 'sent', included: batch.items.map((i) => i.key), dropped: [] });
      expect(provider.requests).toHaveLength(2);
      expect(provider.requests[1]!.raw).toBe(provider.requests[0]!.raw);
      expect(provider.requests[0]!.headers['idempotency-key']).toBe(batch.key);
      expect(provider.requests[0]!.body.subject).toBe('Second notice: 3 invoices are overdue');
      expect(await db.sql`SELECT count(*)::int AS n FROM email_log_items WHERE idempotency_key = ${batch.key}`).toEqual([{ n: 3 }]);
      // Once logged, a third call sends nothing more.
      expect((await crashy.sendCustomerReminders(batch)).outcome).toBe('already_sent');
      expect(provider.requests).toHaveLength(2);
      // A new batch re-reads the invoices: the paid one is left out.
      const next = await crashy.sendCustomerReminders({ ...batch, key: `customer-${customerId}/batch-2` });
      expect(next.dropped).toEqual([{ key: batch.items[2]!.key, why: 'the invoice is void' }]);
    } finally {
      await provider.close();
    }
  });
});
