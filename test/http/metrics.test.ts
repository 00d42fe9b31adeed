import { createServer } from 'node:net';
import { createCustomer, createCustomerSchema } from '../../src/services/create-customer';
import { startApi, type ApiHarness } from '../helpers/api';
import { eventually } from '../helpers/eventually';
import { useStack } from '../helpers/stack';
import { quietRuntime } from '../helpers/temporal';

// The SDK serves worker metrics from the runtime, installed once per process: before the stack.
let sdkMetricsAddress: string;
beforeAll(async () => {
  const port = await new Promise<number>((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
  sdkMetricsAddress = `127.0.0.1:${port}`;
  quietRuntime({ metricsAddress: sdkMetricsAddress });
});
const stack = useStack('dev-server');
let api: ApiHarness;

beforeAll(async () => {
  api = await startApi(stack.db, stack.env, stack.workers.taskQueue, { sdkMetricsUrl: `http://${sdkMetricsAddress}/metrics` });
});
afterAll(async () => {
  await api?.close();
});

const sample = (text: string, name: string, labels: string) => {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(labels));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
};

it('serves API request timings by route pattern, database gauges and the Temporal SDK worker metrics', async () => {
  const customer = await createCustomer(
    stack.db.sql,
    createCustomerSchema.parse({ name: 'Hooli', email: 'ap@hooli.test', timeZone: 'UTC', currency: 'USD' }),
    'test',
  );
  const created = await api.request('POST', '/api/invoices', {
    body: { customerId: customer.id, lines: [{ description: 'Plan', quantity: 1, unitAmountCents: 12_345 }] },
  });
  expect(created.status).toBe(201);
  await api.request('GET', `/api/invoices/${created.body.id}`);
  await api.request('GET', '/api/invoices/00000000-0000-4000-8000-000000000000');
  await api.request('GET', '/api/invoices/00000000-0000-4000-8000-000000000001');

  const text = await eventually(async () => {
    const res = await api.request('GET', '/metrics', { token: null });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    // Worker metrics come from the SDK's own endpoint once the worker has polled.
    expect(res.body).toMatch(/^temporal_/m);
    expect(sample(res.body, 'collections_open_receivables_minor_units', 'currency="USD"')).toBe(12_345);
    return res.body as string;
  }, 15_000);
  expect(sample(text, 'collections_http_request_duration_seconds_count', 'method="POST",route="/api/invoices",status="201"')).toBe(1);
  expect(sample(text, 'collections_http_request_duration_seconds_count', 'method="GET",route="/api/invoices/:id",status="404"')).toBe(2);
  expect(sample(text, 'collections_http_request_duration_seconds_count', 'method="GET",route="/api/invoices/:id",status="200"')).toBe(1);
  // Raw paths never become labels (unbounded cardinality).
  expect(text).not.toContain(created.body.id);
  expect(sample(text, 'collections_webhook_deliveries', 'status="pending"')).toBe(0);
  expect(text).toMatch(/^collections_gateway_inbox_pending 0$/m);
  expect(text).toMatch(/^collections_bank_lines_in_review\{status="suggested"\} 0$/m);
  expect(text).toMatch(/^collections_needs_attention\{kind="projection_failed"\} 0$/m);
  expect(text).toMatch(/^collections_process_cpu_user_seconds_total /m);
  expect(text).toMatch(/^temporal_worker_task_slots_available\{.*worker_type="WorkflowWorker"/m);
});

it('requires the metrics token when one is configured', async () => {
  const guarded = await startApi(stack.db, stack.env, stack.workers.taskQueue, { metricsToken: 'metrics-token-0123456789' });
  try {
    expect((await guarded.request('GET', '/metrics', { token: null })).status).toBe(401);
    expect((await guarded.request('GET', '/metrics', { token: 'wrong-token-0123456789' })).status).toBe(401);
    expect((await guarded.request('GET', '/metrics', { token: 'metrics-token-0123456789' })).status).toBe(200);
  } finally {
    await guarded.close();
  }
});
