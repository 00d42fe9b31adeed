import { randomUUID } from 'node:crypto';
import { Client } from '@temporalio/client';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { genericAdapter, signGeneric } from '../../src/gateways/generic';
import { createLogger } from '../../src/log';
import { createCustomer, createCustomerSchema } from '../../src/services/create-customer';
import { startInboxRelay, type InboxRelay } from '../../src/services/inbox-relay';
import { startTracing } from '../../src/temporal/tracing';
import { invoiceStateQuery, paymentReceivedSignal } from '../../workflows/messages';
import { startApi, type ApiHarness } from '../helpers/api';
import { eventually } from '../helpers/eventually';
import { recordHistory } from '../helpers/histories';
import { invoiceFixture } from '../helpers/fixtures';
import { useStack } from '../helpers/stack';

// OpenTelemetry end to end, exported to an in-process collector: an API call and a gateway webhook
// each make one trace through Express, the inbox, the relay, Temporal's client, the workflow, its
// activities and the email.
const collector = new InMemorySpanExporter();
const tracing = startTracing({ serviceName: 'collections-test', exporter: collector });
const stack = useStack('dev-server', { tracing });
const SECRET = 'generic-secret-' + randomUUID();
let api: ApiHarness;
let relay: InboxRelay;
beforeAll(async () => {
  relay = await startInboxRelay({
    sql: stack.db.sql,
    client: stack.env.client,
    taskQueue: stack.workers.taskQueue,
    log: createLogger('silent'),
  });
  api = await startApi(stack.db, stack.env, stack.workers.taskQueue, { gateways: [genericAdapter(SECRET)] });
});
afterAll(async () => {
  await relay?.stop();
  await api?.close();
  await tracing.shutdown();
});

const spansOf = (traceId: string) => collector.getFinishedSpans().filter((s) => s.spanContext().traceId === traceId);
const names = (spans: readonly ReadableSpan[]) => spans.map((s) => s.name);
/** Each span's parent is in the same trace (no orphan but the root). */
function roots(spans: readonly ReadableSpan[]): string[] {
  const ids = new Set(spans.map((s) => s.spanContext().spanId));
  return spans.filter((s) => !s.parentSpanId || !ids.has(s.parentSpanId)).map((s) => s.name);
}

it('follows an invoice from the API call through its workflow, activities and issue email in one trace', async () => {
  const customer = await createCustomer(
    stack.db.sql,
    createCustomerSchema.parse({ name: 'Traced Ltd', email: 'ap@traced.test', timeZone: 'UTC', currency: 'USD', paymentTermsDays: 30 }),
    'test',
  );
  const created = await api.request('POST', '/api/invoices', {
    body: { customerId: customer.id, lines: [{ description: 'Tracing', quantity: 1, unitAmountCents: 10_000 }] },
  });
  expect(created.status).toBe(201);
  const root = await eventually(async () => {
    const span = collector.getFinishedSpans().find((s) => s.name === 'POST /api/invoices');
    expect(span).toBeDefined();
    return span!;
  });
  const expected = [
    'POST /api/invoices',
    'StartWorkflow:invoiceWorkflow',
    'RunWorkflow:invoiceWorkflow',
    'StartActivity:renderInvoiceDocument',
    'RunActivity:renderInvoiceDocument',
    'StartActivity:sendInvoiceEmail',
    'RunActivity:sendInvoiceEmail',
    'email: deliver',
  ];
  // The workflow's own span ends with the workflow: pay the invoice (another request, another trace).
  await eventually(async () => expect(names(spansOf(root.spanContext().traceId))).toContain('email: deliver'), 20_000);
  const paid = await api.request('POST', `/api/invoices/${created.body.id}/payments`, { body: { amountCents: 10_000, currency: 'USD' } });
  expect(paid.status).toBe(201);
  const spans = await eventually(async () => {
    const found = spansOf(root.spanContext().traceId);
    expect(names(found)).toEqual(expect.arrayContaining(expected));
    return found;
  }, 20_000);
  expect(roots(spans)).toEqual(['POST /api/invoices']);
  await recordHistory(stack.env.client.workflow.getHandle(created.body.workflowId), 'traced-invoice-paid');
  const payment = collector.getFinishedSpans().find((s) => s.name === 'POST /api/invoices/:id/payments')!;
  expect(names(spansOf(payment.spanContext().traceId))).toEqual(
    expect.arrayContaining(['StartWorkflowUpdate:recordPayment', 'ValidateUpdate:recordPayment', 'HandleUpdate:recordPayment']),
  );
  expect(root.attributes).toMatchObject({ 'http.route': '/api/invoices', 'http.response.status_code': 201 });
  const email = spans.find((s) => s.name === 'email: deliver')!;
  expect(email.attributes).toMatchObject({ 'email.template': 'invoice_issued', 'email.status': 'sent' });
  // No personal data in the engine's own spans (the SDK's workflow spans copy the search attributes, so
  // they carry CustomerName where it is allowed).
  const own = spans.filter((s) => /^(POST|GET|email:|inbox relay:)/.test(s.name));
  expect(JSON.stringify(own.map((s) => s.attributes))).not.toMatch(/traced\.test|Traced Ltd/);
});

it('follows a gateway webhook through the inbox and the relay to the signal the workflow handles', async () => {
  const customer = await createCustomer(
    stack.db.sql,
    createCustomerSchema.parse({ name: 'Hooked Ltd', email: 'ap@hooked.test', timeZone: 'UTC', currency: 'USD', paymentTermsDays: 30 }),
    'test',
  );
  const created = await api.request('POST', '/api/invoices', {
    body: { customerId: customer.id, lines: [{ description: 'Hooks', quantity: 1, unitAmountCents: 20_000 }] },
  });
  const raw = JSON.stringify({
    id: `gen_${randomUUID()}`,
    type: 'payment.succeeded',
    invoiceId: created.body.id,
    amountCents: 20_000,
    currency: 'USD',
    occurredAt: new Date().toISOString(),
  });
  // The gateway's own trace, continued by the engine (W3C traceparent).
  const gatewayTrace = randomUUID().replace(/-/g, '');
  const res = await api.request('POST', '/webhooks/generic', {
    raw,
    token: null,
    headers: {
      'content-type': 'application/json',
      'x-signature': signGeneric(raw, SECRET, Math.floor(Date.now() / 1000)),
      traceparent: `00-${gatewayTrace}-00f067aa0ba902b7-01`,
    },
  });
  expect(res.status).toBe(200);
  await eventually(async () =>
    expect((await stack.env.client.workflow.getHandle(created.body.workflowId).query(invoiceStateQuery)).status).toBe('paid'),
  );
  const spans = await eventually(async () => {
    const found = spansOf(gatewayTrace);
    expect(names(found)).toEqual(
      expect.arrayContaining([
        'POST /webhooks/generic',
        'inbox relay: deliver gateway event',
        'SignalWorkflow:paymentReceived',
        'HandleSignal:paymentReceived',
      ]),
    );
    return found;
  }, 20_000);
  const byName = (n: string) => spans.find((s) => s.name === n)!;
  // Each hop is the child of the one before it.
  expect(byName('inbox relay: deliver gateway event').parentSpanId).toBe(byName('POST /webhooks/generic').spanContext().spanId);
  expect(byName('SignalWorkflow:paymentReceived').parentSpanId).toBe(byName('inbox relay: deliver gateway event').spanContext().spanId);
  expect(byName('HandleSignal:paymentReceived').parentSpanId).toBe(byName('SignalWorkflow:paymentReceived').spanContext().spanId);
  expect(byName('inbox relay: deliver gateway event').attributes).toMatchObject({
    'gateway.name': 'generic',
    'inbox.outcome': 'delivered',
  });
});

it('leaves workflows started outside a trace untraced for life, exactly as without tracing', async () => {
  // A client without the interceptor (a process with tracing off) starts the invoice.
  const plain = new Client({ connection: stack.env.connection });
  const { invoice, handle } = await invoiceFixture(
    { sql: stack.db.sql, client: plain, taskQueue: stack.workers.taskQueue },
    { totalCents: 5_000 },
  );
  await eventually(async () => expect((await handle.query(invoiceStateQuery)).timeline.map((e) => e.type)).toContain('email_sent'));
  // Signalled later from a traced client: the signal's own span, but the workflow stays untraced.
  await stack.env.client.workflow
    .getHandle(invoice.workflowId)
    .signal(paymentReceivedSignal, { paymentId: 'pi_untraced', amountCents: 5_000, currency: 'USD', actor: 'test' });
  await handle.result();
  const mine = collector.getFinishedSpans().filter((s) => s.attributes.temporalWorkflowId === invoice.workflowId);
  // The client's signal span and the activities' own spans, but nothing from inside the workflow.
  expect(names(mine)).toContain('SignalWorkflow:paymentReceived');
  expect(names(mine).filter((n) => /^(RunWorkflow|HandleSignal|StartActivity|HandleUpdate)/.test(n))).toEqual([]);
});
