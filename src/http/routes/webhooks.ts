import { currentTraceContext } from '../../temporal/trace-context';
import express, { Router } from 'express';
import { insertInboxEvent } from '../../db/webhook-inbox';
import { WebhookError, type GatewayAdapter } from '../../gateways/types';
import type { HttpContext } from '../context';
import { sendError, STATUS_OF } from '../errors';

/**
 * `POST /webhooks/<gateway>`: verify the signature over the raw body, store the event in the inbox
 * (unique per gateway + event id), and only then answer 2xx. The relay, woken by the insert, delivers it.
 * Duplicates answer 200 and change nothing. Payloads and secrets are never logged.
 */
export function webhookRoutes(ctx: HttpContext, adapters: readonly GatewayAdapter[]): Router {
  const router = Router();
  for (const adapter of adapters) {
    router.post(`/${adapter.name}`, express.raw({ type: () => true, limit: '1mb' }), async (req, res) => {
      try {
        if (!req.is('application/json')) throw new WebhookError('UNSUPPORTED_MEDIA_TYPE', 'webhooks must be sent as application/json');
        const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
        const event = adapter.parse(raw, req.headers, Math.floor(ctx.now().getTime() / 1000));
        let fresh: boolean;
        try {
          fresh = await insertInboxEvent(ctx.sql, adapter.name, event, currentTraceContext());
        } catch (err) {
          ctx.log.error({ err: String(err), gateway: adapter.name, eventId: event.id }, 'inbox unavailable; asking the gateway to retry');
          throw new WebhookError('UNAVAILABLE', 'temporarily unable to record the event; retry later');
        }
        ctx.log.info({ gateway: adapter.name, eventId: event.id, eventType: event.type, duplicate: !fresh }, 'webhook received');
        res.status(200).json({ received: true, duplicate: !fresh });
      } catch (err) {
        if (!(err instanceof WebhookError)) throw err;
        ctx.log.warn({ gateway: adapter.name, code: err.code, status: STATUS_OF[err.code] }, 'webhook refused');
        sendError(res, err.code, err.message);
      }
    });
  }
  return router;
}
