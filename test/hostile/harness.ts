import { randomUUID } from 'node:crypto';
import Stripe from 'stripe';
import type { Sql } from '../../src/db/client';
import { genericAdapter, signGeneric } from '../../src/gateways/generic';
import { stripeAdapter } from '../../src/gateways/stripe';
import { createLogger } from '../../src/log';
import { startInboxRelay, type InboxRelay } from '../../src/services/inbox-relay';
import { invoiceStateQuery } from '../../workflows/messages';
import { startApi, type ApiHarness } from '../helpers/api';
import { eventually } from '../helpers/eventually';
import { useStack, type Stack } from '../helpers/stack';

export const STRIPE_SECRET = 'whsec_hostile_' + randomUUID().replace(/-/g, '');
export const GENERIC_SECRET = 'generic-hostile-' + randomUUID();

export interface Hostile {
  readonly stack: Stack;
  readonly api: ApiHarness;
  readonly relay: InboxRelay;
}

/**
 * The real stack (dev server, Postgres, workers, API with both gateways, the inbox relay) for the
 * hostile suites. Its ledger check runs after the file, like every integration test file.
 */
export function useHostileStack(): Hostile {
  const stack = useStack('dev-server');
  const h = { stack } as { stack: Stack; api: ApiHarness; relay: InboxRelay };
  beforeAll(async () => {
    h.relay = await startInboxRelay({
      sql: stack.db.sql,
      client: stack.env.client,
      taskQueue: stack.workers.taskQueue,
      log: createLogger('silent'),
      intervalMs: 200,
    });
    h.api = await startApi(stack.db, stack.env, stack.workers.taskQueue, {
      gateways: [stripeAdapter(STRIPE_SECRET), genericAdapter(GENERIC_SECRET)],
      ownPublicUrl: true,
    });
  });
  afterAll(async () => {
    await h.relay?.stop();
    await h.api?.close();
  });
  return h;
}

export const nowSeconds = () => Math.floor(Date.now() / 1000);

export async function newCustomer(api: ApiHarness, o: Record<string, unknown> = {}): Promise<string> {
  const res = await api.request('POST', '/api/customers', {
    body: { name: 'Hostile Test GmbH', email: 'ap@hostile.test', timeZone: 'Europe/Berlin', currency: 'USD', paymentTermsDays: 30, ...o },
  });
  if (res.status !== 201) throw new Error(`customer: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.id;
}

/**
 * An open invoice created through the API, far from its first reminder, once it is issued: its issue
 * email sent and its events in Postgres, so that row counts taken next move only for what a test does.
 */
export async function newInvoice(
  api: ApiHarness,
  totalCents = 10_000,
  o: { customerId?: string; currency?: string; sql?: Sql } = {},
): Promise<{ id: string; workflowId: string; customerId: string }> {
  const customerId = o.customerId ?? (await newCustomer(api, o.currency ? { currency: o.currency } : {}));
  const res = await api.request('POST', '/api/invoices', {
    body: { customerId, lines: [{ description: 'Services', quantity: 1, unitAmountCents: totalCents }], dueIn: '60d' },
  });
  if (res.status !== 201) throw new Error(`invoice: ${res.status} ${JSON.stringify(res.body)}`);
  await eventually(async () => {
    const issued = await api.request('GET', `/api/invoices/${res.body.id}/timeline`);
    expect(issued.body.events.map((e: { action: string }) => e.action)).toContain('invoice.email_sent');
  });
  return { id: res.body.id, workflowId: res.body.workflowId, customerId };
}

export const liveState = (h: Hostile, workflowId: string) => h.stack.env.client.workflow.getHandle(workflowId).query(invoiceStateQuery);
export const historyLength = async (h: Hostile, workflowId: string) =>
  (await h.stack.env.client.workflow.getHandle(workflowId).describe()).historyLength;

export function stripeEvent(type: string, object: Record<string, unknown>, envelope: Record<string, unknown> = {}) {
  return {
    id: `evt_${randomUUID().replace(/-/g, '').slice(0, 24)}`,
    object: 'event',
    api_version: '2025-09-30.clover',
    created: nowSeconds(),
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type,
    data: { object },
    ...envelope,
  };
}
export const paymentIntent = (invoiceId: string | null, amount: number, o: Record<string, unknown> = {}) => ({
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

export async function postStripe(api: ApiHarness, event: unknown, o: { raw?: string } = {}) {
  const payload = o.raw ?? JSON.stringify(event);
  const header = Stripe.webhooks.generateTestHeaderString({ payload, secret: STRIPE_SECRET, timestamp: nowSeconds() });
  return api.request('POST', '/webhooks/stripe', {
    raw: payload,
    token: null,
    headers: { 'content-type': 'application/json', 'stripe-signature': header },
  });
}

export async function postGeneric(api: ApiHarness, body: Record<string, unknown>, o: { raw?: string; header?: string } = {}) {
  const raw = o.raw ?? JSON.stringify(body);
  return api.request('POST', '/webhooks/generic', {
    raw,
    token: null,
    headers: { 'content-type': 'application/json', 'x-signature': o.header ?? signGeneric(raw, GENERIC_SECRET, nowSeconds()) },
  });
}

/** A generic gateway event with defaults for every required field. */
export const genericEvent = (o: Record<string, unknown>) => ({
  id: `ev_${randomUUID()}`,
  type: 'payment.succeeded',
  amountCents: 1_000,
  currency: 'USD',
  occurredAt: new Date().toISOString(),
  ...o,
});

/** Waits until the inbox relay has handed every stored gateway event on (or given up on it). */
export async function inboxSettled(sql: Sql): Promise<void> {
  await eventually(
    async () => expect((await sql`SELECT count(*)::int AS n FROM webhook_inbox WHERE status = 'pending'`)[0]!.n).toBe(0),
    20_000,
  );
}

/**
 * Row counts of every business table (report snapshots, which any read may take, excluded): equal
 * before and after a refused request means it changed nothing.
 */
export async function fingerprint(sql: Sql): Promise<Record<string, number>> {
  const tables = await sql<{ name: string }[]>`
    SELECT table_name AS name FROM information_schema.tables
    WHERE table_schema = 'public' AND table_type = 'BASE TABLE' AND table_name NOT LIKE 'report\\_%' AND table_name NOT LIKE 'aging\\_snapshot%' AND table_name <> 'schema_migrations'
    ORDER BY 1`;
  const out: Record<string, number> = {};
  for (const { name } of tables) out[name] = (await sql.unsafe(`SELECT count(*)::int AS n FROM "${name}"`))[0]!.n as number;
  return out;
}
