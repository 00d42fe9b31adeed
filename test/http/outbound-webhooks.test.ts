import { Webhook } from 'standardwebhooks';
import { projectInvoiceEvents } from '../../src/db/invoice-projection';
import { insertPolicyVersion } from '../../src/db/policies';
import { createLogger } from '../../src/log';
import { startWebhookDispatcher } from '../../src/services/webhook-dispatcher';
import type { DrainLoop } from '../../src/services/drain-loop';
import { startApi, type ApiHarness } from '../helpers/api';
import { eventually } from '../helpers/eventually';
import { invoiceFixture } from '../helpers/fixtures';
import { startRecorder, type RecordedRequest } from '../helpers/recorder';
import { useStack } from '../helpers/stack';

// Real workflows on the dev server with a seconds-scale ladder; endpoints are local HTTP recorders.
const stack = useStack('dev-server');
let api: ApiHarness;
let dispatcher: DrainLoop;
let erp: Awaited<ReturnType<typeof startRecorder>>;
let crm: Awaited<ReturnType<typeof startRecorder>>;

beforeAll(async () => {
  await insertPolicyVersion(stack.db.sql, {
    name: 'hooks',
    steps: [
      { offset: '1s', template: 'reminder_overdue' },
      { offset: '10m', template: 'final_notice', finalNotice: true },
    ],
  });
  await insertPolicyVersion(stack.db.sql, {
    name: 'handoff',
    steps: [{ offset: '1s', template: 'final_notice', finalNotice: true, handOff: true }],
  } as never);
  // The endpoints are local recorders: private targets are allowed here (test/hostile/security.test.ts covers the refusal).
  api = await startApi(stack.db, stack.env, stack.workers.taskQueue, { allowPrivateWebhookTargets: true });
  dispatcher = await startWebhookDispatcher({
    sql: stack.db.sql,
    log: createLogger('silent'),
    retryDelaysMs: [100, 100],
    intervalMs: 50,
    timeoutMs: 2_000,
    allowPrivateTargets: true,
  });
  erp = await startRecorder(() => ({ status: 200, body: {} }));
  crm = await startRecorder(() => ({ status: 204, body: null }));
});
afterAll(async () => {
  await dispatcher?.stop();
  await Promise.all([api?.close(), erp?.close(), crm?.close()]);
});

const fixture = (policy: string) =>
  invoiceFixture(
    { sql: stack.db.sql, client: stack.env.client, taskQueue: stack.workers.taskQueue },
    { invoice: { policy, dueIn: '0s' }, totalCents: 25_000 },
  );
const ofInvoice = (requests: RecordedRequest[], invoiceId: string) => requests.filter((r) => r.body?.data?.invoice?.id === invoiceId);
const types = (requests: RecordedRequest[]) => requests.map((r) => r.body.type);

describe('registering endpoints', () => {
  it.each([
    ['an ftp URL', { url: 'ftp://erp.example/hooks' }, 'url'],
    ['no URL', { events: ['invoice.paid'] }, 'url'],
    ['an unknown event type', { url: 'https://erp.example/hooks', events: ['invoice.deleted'] }, 'events.0'],
    ['no event types', { url: 'https://erp.example/hooks', events: [] }, 'events'],
    ['an unknown field', { url: 'https://erp.example/hooks', secret: 'mine' }, ''],
  ])('refuses %s with 400 and stores nothing', async (_name, body, field) => {
    const res = await api.request('POST', '/api/webhook-endpoints', { body });
    expect(res.status).toBe(400);
    if (field) expect(res.body.error.field).toBe(field);
    expect((await api.request('GET', '/api/webhook-endpoints')).body.endpoints).toEqual([]);
  });

  it('answers 404 for an unknown endpoint', async () => {
    for (const [method, path] of [
      ['GET', ''],
      ['DELETE', ''],
      ['GET', '/deliveries'],
      ['POST', '/deliveries/evt_x/redeliver'],
    ] as const) {
      expect((await api.request(method, `/api/webhook-endpoints/00000000-0000-4000-8000-000000000000${path}`)).status).toBe(404);
    }
  });
});

describe('delivering invoice events', () => {
  let erpEndpoint: { id: string; secret: string };
  let crmEndpoint: { id: string; secret: string };
  beforeAll(async () => {
    erpEndpoint = (await api.request('POST', '/api/webhook-endpoints', { body: { url: `${erp.url}/erp/hooks`, description: 'ERP' } })).body;
    crmEndpoint = (
      await api.request('POST', '/api/webhook-endpoints', { body: { url: `${crm.url}/crm`, events: ['invoice.paid', 'invoice.disputed'] } })
    ).body;
  });

  it('announces issue, reminder and payment, signed per Standard Webhooks, each once with its own id', async () => {
    expect(erpEndpoint.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const { invoice } = await fixture('hooks');
    await eventually(
      async () => expect(types(ofInvoice(erp.requests, invoice.id))).toEqual(['invoice.issued', 'invoice.reminder_sent']),
      15_000,
    );
    const paid = await api.request('POST', `/api/invoices/${invoice.id}/payments`, { body: { amountCents: 25_000, currency: 'USD' } });
    expect(paid.status).toBe(201);
    await eventually(
      async () => expect(types(ofInvoice(erp.requests, invoice.id))).toEqual(['invoice.issued', 'invoice.reminder_sent', 'invoice.paid']),
      15_000,
    );

    const received = ofInvoice(erp.requests, invoice.id);
    const verifier = new Webhook(erpEndpoint.secret);
    for (const r of received) {
      expect(r.path).toBe('/erp/hooks');
      // The receiver's own check, with the Standard Webhooks reference library.
      expect(verifier.verify(r.raw, r.headers as Record<string, string>)).toEqual(r.body);
      expect(r.headers['webhook-id']).toBe(r.body.id);
    }
    expect(() => new Webhook(crmEndpoint.secret).verify(received[0]!.raw, received[0]!.headers as Record<string, string>)).toThrow();
    expect(new Set(received.map((r) => r.body.id)).size).toBe(3);
    expect(received[1]!.body.data).toMatchObject({
      template: 'reminder_overdue',
      stepIndex: 0,
      invoice: { number: invoice.number, currency: 'USD', totalCents: 25_000 },
    });
    expect(received[2]!.body.data.invoice).toMatchObject({ status: 'paid', amountDueCents: 0 });

    // The CRM subscribed to payments and disputes only.
    await eventually(async () => expect(types(ofInvoice(crm.requests, invoice.id))).toEqual(['invoice.paid']));
    expect(ofInvoice(crm.requests, invoice.id)[0]!.body.id).toBe(received[2]!.body.id);
  });

  it('announces disputes and hand-offs (uncollectible)', async () => {
    const disputed = await fixture('hooks');
    expect((await api.request('POST', `/api/invoices/${disputed.invoice.id}/dispute`, { body: { reason: 'wrong quantity' } })).status).toBe(
      200,
    );
    const handedOff = await fixture('handoff');
    await eventually(async () => {
      expect(types(ofInvoice(crm.requests, disputed.invoice.id))).toEqual(['invoice.disputed']);
      // Events of one step are sent side by side: endpoints order them by `createdAt`, not arrival.
      expect(types(ofInvoice(erp.requests, handedOff.invoice.id)).sort()).toEqual([
        'invoice.issued',
        'invoice.reminder_sent',
        'invoice.uncollectible',
      ]);
    }, 15_000);
    const dispute = ofInvoice(crm.requests, disputed.invoice.id)[0]!.body;
    expect(dispute.data).toMatchObject({ reason: 'wrong quantity', actor: 'api' });
    const uncollectible = ofInvoice(erp.requests, handedOff.invoice.id).find((r) => r.body.type === 'invoice.uncollectible')!.body;
    expect(uncollectible.data).toMatchObject({ reason: 'handed_off', invoice: { status: 'uncollectible' } });
  });

  it('stores an event once however often the projection is retried', async () => {
    const { invoice } = await fixture('hooks');
    await eventually(async () => expect(types(ofInvoice(erp.requests, invoice.id))).toContain('invoice.reminder_sent'), 15_000);
    const events = await stack.db.sql`SELECT id FROM outbound_events WHERE invoice_id = ${invoice.id}`;
    // A retried activity re-sends events already projected: nothing new is stored or sent.
    const at = new Date().toISOString();
    await projectInvoiceEvents(stack.db.sql, {
      invoiceId: invoice.id,
      customerId: invoice.customerId,
      events: [{ seq: 1, at, actor: 'workflow', type: 'issued', dueAt: at, policy: 'hooks@1' }],
      snapshot: {
        status: 'open',
        feesCents: 0,
        paidCents: 0,
        refundedCents: 0,
        amountDueCents: 25_000,
        dunningStage: 'none',
        disputed: false,
        promisedDate: null,
      },
    });
    expect(await stack.db.sql`SELECT id FROM outbound_events WHERE invoice_id = ${invoice.id}`).toEqual(events);
  });
});

describe('retries', () => {
  it('retries with backoff until the endpoint answers 2xx, then gives up after the last delay; redelivery sends the same event again', async () => {
    const flaky = await startRecorder(() => ({ status: 200, body: {} }));
    try {
      const endpoint = (await api.request('POST', '/api/webhook-endpoints', { body: { url: flaky.url, events: ['invoice.issued'] } })).body;
      // Two failures, then success: delivered on the third attempt.
      flaky.respond({ status: 503, body: {} }, { status: 500, body: {} });
      const first = await fixture('hooks');
      await eventually(async () => {
        const { body } = await api.request('GET', `/api/webhook-endpoints/${endpoint.id}/deliveries`);
        expect(body.deliveries).toMatchObject([
          { type: 'invoice.issued', invoiceId: first.invoice.id, status: 'delivered', attempts: 3, lastStatusCode: 200 },
        ]);
      }, 15_000);
      expect(new Set(flaky.requests.map((r) => r.headers['webhook-id'])).size).toBe(1);

      // Three failures: the retries are spent and the delivery is failed.
      flaky.respond({ status: 500, body: {} }, { status: 502, body: {} }, { status: 503, body: {} });
      const second = await fixture('hooks');
      const failed = await eventually(async () => {
        const { body } = await api.request('GET', `/api/webhook-endpoints/${endpoint.id}/deliveries?status=failed`);
        expect(body.deliveries).toMatchObject([
          { invoiceId: second.invoice.id, attempts: 3, lastStatusCode: 503, lastError: 'endpoint answered 503' },
        ]);
        return body.deliveries[0];
      }, 15_000);
      const before = flaky.requests.length;
      const again = await api.request('POST', `/api/webhook-endpoints/${endpoint.id}/deliveries/${failed.eventId}/redeliver`);
      expect(again.status).toBe(202);
      await eventually(async () => {
        const { body } = await api.request('GET', `/api/webhook-endpoints/${endpoint.id}/deliveries?status=delivered`);
        expect(body.deliveries.map((d: { eventId: string }) => d.eventId)).toContain(failed.eventId);
      });
      expect(flaky.requests.slice(before).map((r) => r.headers['webhook-id'])).toEqual([failed.eventId]);

      // 410 Gone: failed at once, without retries.
      flaky.respond({ status: 410, body: {} });
      const gone = await fixture('hooks');
      await eventually(async () => {
        const { body } = await api.request('GET', `/api/webhook-endpoints/${endpoint.id}/deliveries?status=failed`);
        expect(body.deliveries).toContainEqual(expect.objectContaining({ invoiceId: gone.invoice.id, attempts: 1, lastStatusCode: 410 }));
      }, 15_000);

      // A deleted endpoint gets nothing more, and its deliveries go with it.
      expect((await api.request('DELETE', `/api/webhook-endpoints/${endpoint.id}`)).status).toBe(204);
      expect(await stack.db.sql`SELECT 1 FROM webhook_deliveries WHERE endpoint_id = ${endpoint.id}`).toHaveLength(0);
      const after = flaky.requests.length;
      const third = await fixture('hooks');
      await eventually(async () => expect(types(ofInvoice(erp.requests, third.invoice.id))).toContain('invoice.issued'), 15_000);
      expect(flaky.requests.length).toBe(after);
    } finally {
      await flaky.close();
    }
  });
});
