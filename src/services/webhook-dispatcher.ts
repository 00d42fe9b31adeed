import { createHmac } from 'node:crypto';
import type { Sql } from '../db/client';
import { claimDueDelivery, DELIVERIES_CHANNEL, recordDeliveryAttempt, type ClaimedDelivery } from '../db/webhook-deliveries';
import type { Logger } from '../log';
import { startDrainLoop, type DrainLoop } from './drain-loop';
import { postWebhook } from './webhook-targets';

/**
 * Wait before each retry: 30 s, 2 min, 10 min, 30 min, 1 h, 2 h, 4 h, 8 h, 12 h, then daily. After
 * the last, the delivery is `failed`; ops can redeliver it through the API.
 */
export const DEFAULT_RETRY_DELAYS_MS = [30e3, 120e3, 600e3, 1_800e3, 3_600e3, 7_200e3, 14_400e3, 28_800e3, 43_200e3, 86_400e3, 86_400e3];

/**
 * Signs a body the Standard Webhooks way (standardwebhooks.com, as Svix and Resend do):
 * base64 HMAC-SHA256 over `id.timestamp.body`, keyed by the base64 part of a `whsec_` secret.
 */
export function signWebhook(secret: string, id: string, timestampSeconds: number, body: string): Record<string, string> {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const signature = createHmac('sha256', key).update(`${id}.${timestampSeconds}.${body}`).digest('base64');
  return { 'webhook-id': id, 'webhook-timestamp': String(timestampSeconds), 'webhook-signature': `v1,${signature}` };
}

export interface DispatcherOptions {
  sql: Sql;
  log: Logger;
  retryDelaysMs?: readonly number[];
  /** Per request. @default 10 000 */
  timeoutMs?: number;
  /** Deliver to private, loopback and link-local addresses too (WEBHOOK_ALLOW_PRIVATE_TARGETS). @default false */
  allowPrivateTargets?: boolean;
  intervalMs?: number;
  concurrency?: number;
}

/**
 * Sends pending outbound events to their endpoints, running with the workers. At least once: an
 * endpoint may see an event twice (a crash after its 2xx, a redelivery) and de-duplicates on
 * `webhook-id`. Order is not guaranteed across retries; each event carries `createdAt`.
 */
export async function startWebhookDispatcher(o: DispatcherOptions): Promise<DrainLoop> {
  const delays = o.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS;
  const timeoutMs = o.timeoutMs ?? 10_000;
  const leaseSeconds = Math.ceil(timeoutMs / 1000) + 50;

  async function send(d: ClaimedDelivery): Promise<void> {
    const body = JSON.stringify(d.payload);
    const headers = {
      'content-type': 'application/json',
      'user-agent': 'collections-engine-webhooks/1',
      ...signWebhook(d.secret, d.eventId, Math.floor(Date.now() / 1000), body),
    };
    let statusCode: number | null = null;
    let error: string | null = null;
    try {
      ({ statusCode } = await postWebhook(d.url, headers, body, { timeoutMs, allowPrivateTargets: o.allowPrivateTargets ?? false }));
      if (statusCode < 200 || statusCode >= 300) error = `endpoint answered ${statusCode}`;
    } catch (err) {
      error = (err as Error).message;
    }
    const delivered = error === null;
    // 410 Gone: the endpoint says it will never take this event.
    const retryInMs = delivered || statusCode === 410 ? null : (delays[d.attempts - 1] ?? null);
    await recordDeliveryAttempt(o.sql, d, { delivered, statusCode, error, retryInMs });
    const fields = { eventId: d.eventId, endpointId: d.endpointId, attempt: d.attempts, statusCode };
    if (delivered) o.log.debug(fields, 'webhook delivered');
    else if (retryInMs === null) o.log.warn({ ...fields, error }, 'webhook delivery failed for good');
    else o.log.info({ ...fields, error, retryInMs }, 'webhook delivery failed; will retry');
  }

  return startDrainLoop({
    sql: o.sql,
    channel: DELIVERIES_CHANNEL,
    name: 'webhook dispatcher',
    log: o.log,
    intervalMs: o.intervalMs,
    concurrency: o.concurrency,
    takeOne: async () => {
      const delivery = await claimDueDelivery(o.sql, leaseSeconds);
      if (!delivery) return false;
      await send(delivery);
      return true;
    },
  });
}
