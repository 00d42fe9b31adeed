import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Client } from '@temporalio/client';
import { devServerExecutable } from '../../src/temporal/binaries';
import { temporal } from '@temporalio/proto';
import { invoiceStateQuery, paymentReceivedSignal } from '../../workflows/messages';
import { startApi, TEST_TOKEN, type ApiHarness } from '../helpers/api';
import { testCodec } from '../helpers/codec';
import { recordHistory } from '../helpers/histories';
import { invoiceFixture } from '../helpers/fixtures';
import { useStack } from '../helpers/stack';

// The engine with payload encryption on: what Temporal stores is ciphertext; the engine (and an
// authorised engineer, through the codec server) still reads it.
const stack = useStack('time-skipping', { payloadCodec: testCodec() });
const UI = 'http://localhost:8233';
let api: ApiHarness;
beforeAll(async () => {
  api = await startApi(stack.db, stack.env, stack.workers.taskQueue, { codec: { codec: testCodec(), allowedOrigins: [UI] } });
});
afterAll(() => api?.close());

const SECRETS = ['Cyberdyne Systems', 'ap@cyberdyne.test', 'Neural net chips'];
let history: temporal.api.history.v1.IHistory;

it('runs an invoice whose history holds no customer data in the clear', async () => {
  const { invoice, handle } = await invoiceFixture(
    { sql: stack.db.sql, client: stack.env.client, taskQueue: stack.workers.taskQueue, start: { customerNameVisible: false } },
    {
      totalCents: 123_456,
      customer: { name: 'Cyberdyne Systems', email: 'ap@cyberdyne.test' },
      invoice: { lines: [{ description: 'Neural net chips', quantity: 1, unitAmountCents: 123_456 }] },
    },
  );
  // The engine reads its own workflows as before.
  expect(await handle.query(invoiceStateQuery)).toMatchObject({ amountDueCents: 123_456, currency: 'USD' });
  await stack.env.sleep('31 days');
  await handle.signal(paymentReceivedSignal, { paymentId: 'pi_enc', amountCents: 123_456, currency: 'USD', actor: 'gateway:test' });
  expect(await handle.result()).toMatchObject({ status: 'paid', amountDueCents: 0 });
  await recordHistory(handle, 'encrypted-paid');

  history = await handle.fetchHistory();
  const bytes = Buffer.from(temporal.api.history.v1.History.encode(history).finish()).toString('latin1');
  for (const secret of SECRETS) expect({ secret, found: bytes.includes(secret) }).toEqual({ secret, found: false });
  expect(bytes).toContain('binary/encrypted');
  // Search attributes are not encrypted: the invoice number and currency are there to search by; the
  // customer's name is left out (CustomerName is off, as it is by default once payloads are encrypted).
  const attributes = (await handle.describe()).searchAttributes;
  expect(attributes).toMatchObject({ InvoiceNumber: [invoice.number], Currency: ['USD'] });
  expect(attributes.CustomerName).toBeUndefined();

  // A client without the key reads nothing.
  const outsider = new Client({ connection: stack.env.connection });
  await expect(outsider.workflow.getHandle(invoice.workflowId).query(invoiceStateQuery)).rejects.toThrow(/encoding|binary\/encrypted/i);
});

/** Every payload of the workflow's input (first event), in the codec server's JSON. */
function inputPayloads() {
  const payloads = history.events![0]!.workflowExecutionStartedEventAttributes!.input!;
  return temporal.api.common.v1.Payloads.toObject(temporal.api.common.v1.Payloads.create(payloads), { bytes: String });
}

it('decrypts for an authorised engineer through the codec server, and for no one else', async () => {
  const body = inputPayloads();
  const decoded = await api.request('POST', '/codec/decode', { body, headers: { 'x-namespace': 'default' } });
  expect(decoded.status).toBe(200);
  const json = Buffer.from(decoded.body.payloads[0].data, 'base64').toString('utf8');
  expect(json).toContain('"totalCents":123456');
  expect(Buffer.from(decoded.body.payloads[0].metadata.encoding, 'base64').toString()).toBe('json/plain');

  // Encoding (a signal sent from the UI) and decoding back again.
  const encoded = await api.request('POST', '/codec/encode', { body: decoded.body });
  expect(Buffer.from(encoded.body.payloads[0].metadata.encoding, 'base64').toString()).toBe('binary/encrypted');
  expect((await api.request('POST', '/codec/decode', { body: encoded.body })).body).toEqual(decoded.body);

  // Refused: no credentials, a wrong token, another origin, another namespace, undecryptable bytes, a bad body.
  expect((await api.request('POST', '/codec/decode', { body, token: null })).status).toBe(401);
  expect((await api.request('POST', '/codec/decode', { body, token: 'not-the-token-at-all' })).status).toBe(401);
  const evil = await api.request('POST', '/codec/decode', { body, headers: { origin: 'https://evil.example' } });
  expect(evil).toMatchObject({ status: 403, body: { error: { code: 'ORIGIN_NOT_ALLOWED' } } });
  expect(evil.headers.get('access-control-allow-origin')).toBeNull();
  expect((await api.request('POST', '/codec/decode', { body, headers: { 'x-namespace': 'other' } })).status).toBe(404);
  const tampered = structuredClone(body);
  tampered.payloads![0]!.data = Buffer.from('x'.repeat(40)).toString('base64');
  expect(await api.request('POST', '/codec/decode', { body: tampered })).toMatchObject({
    status: 422,
    body: { error: { code: 'PAYLOAD_UNREADABLE' } },
  });
  expect(await api.request('POST', '/codec/decode', { body: { payloads: 'nope' } })).toMatchObject({
    status: 400,
    body: { error: { code: 'VALIDATION' } },
  });
  expect((await api.request('POST', '/codec/decode', { raw: 'payloads=1', headers: { 'content-type': 'text/plain' } })).status).toBe(415);
});

it('answers the Temporal UI: CORS preflight from its origin, and its calls with a dashboard session', async () => {
  const preflight = await fetch(`${api.url}/codec/decode`, {
    method: 'OPTIONS',
    headers: { origin: UI, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-namespace' },
  });
  expect(preflight.status).toBe(204);
  expect(preflight.headers.get('access-control-allow-origin')).toBe(UI);
  expect(preflight.headers.get('access-control-allow-credentials')).toBe('true');
  expect(preflight.headers.get('access-control-allow-headers')).toMatch(/X-Namespace/);

  // Signed in to the dashboard: the session cookie (also scoped to /codec) authorises the UI's calls.
  const login = await fetch(`${api.url}/dashboard/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: `token=${TEST_TOKEN}`,
    redirect: 'manual',
  });
  const cookies = login.headers.getSetCookie();
  expect(cookies.map((c) => /Path=([^;]+)/.exec(c)![1])).toEqual(['/dashboard', '/codec']);
  const session = cookies[1]!.split(';')[0]!;
  const fromUi = await api.request('POST', '/codec/decode', {
    body: inputPayloads(),
    token: null,
    headers: { origin: UI, cookie: session },
  });
  expect(fromUi.status).toBe(200);
  expect(fromUi.headers.get('access-control-allow-origin')).toBe(UI);
  expect(
    (
      await api.request('POST', '/codec/decode', {
        body: inputPayloads(),
        token: null,
        headers: { origin: UI, cookie: 'ce_dashboard=forged' },
      })
    ).status,
  ).toBe(401);
});

// The Temporal CLI through the codec server (the binary the dev server runs; absent with the SDK's download).
const cli = devServerExecutable();
(cli.type === 'existing-path' ? it : it.skip)('shows the decrypted history in the Temporal CLI with --codec-endpoint', async () => {
  const [{ workflow_id: id }] = (await stack.db.sql`SELECT workflow_id FROM invoices LIMIT 1`) as unknown as [{ workflow_id: string }];
  const run = (extra: string[]) =>
    promisify(execFile)(
      (cli as { path: string }).path,
      ['workflow', 'show', '--workflow-id', id, '--address', stack.env.address, '--output', 'json', ...extra],
      { maxBuffer: 32 * 1024 * 1024 },
    );
  // JSON output keeps payloads in base64: read the summary and the input as the CLI gives them.
  const started = (stdout: string) => {
    const first = JSON.parse(stdout).events[0];
    const text = (p: { data: string }) => Buffer.from(p.data, 'base64').toString('utf8');
    return { summary: text(first.userMetadata.summary), input: text(first.workflowExecutionStartedEventAttributes.input.payloads[0]) };
  };
  const plain = started((await run([])).stdout);
  expect(plain.summary).not.toContain('Cyberdyne');
  const decoded = started((await run(['--codec-endpoint', `${api.url}/codec`, '--codec-auth', `Bearer ${TEST_TOKEN}`])).stdout);
  expect(decoded.summary).toMatch(/^"INV-\d+ · Cyberdyne Systems · invoiced USD 1,234\.56/);
  expect(decoded.input).toContain('"totalCents":123456');
  await expect(run(['--codec-endpoint', `${api.url}/codec`, '--codec-auth', 'Bearer wrong-token'])).rejects.toThrow();
});
