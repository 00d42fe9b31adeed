import { actorOf } from '../principal';
import { Router, type Request } from 'express';
import { z } from 'zod';
import { listDeliveries, redeliver } from '../../db/webhook-deliveries';
import { deleteWebhookEndpoint, findWebhookEndpoint, listWebhookEndpoints, type WebhookEndpointRow } from '../../db/webhook-endpoints';
import { DomainError, ErrorCode } from '../../domain/errors';
import { createWebhookEndpoint, createWebhookEndpointSchema } from '../../services/create-webhook-endpoint';
import type { HttpContext } from '../context';
import { parseBody } from '../errors';
import { uuidParam } from './params';
import { singleLine } from '../../domain/input';

const deliveriesQuery = z.object({
  status: z.enum(['pending', 'delivered', 'failed']).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

/** Endpoints receiving signed outbound events (invoice.issued, invoice.paid, …) and their deliveries. */
export function webhookEndpointRoutes(ctx: HttpContext): Router {
  const router = Router();
  const present = (e: WebhookEndpointRow, withSecret = false) => ({
    id: e.id,
    url: e.url,
    events: e.events,
    description: e.description,
    createdAt: e.createdAt.toISOString(),
    ...(withSecret ? { secret: e.secret } : {}),
  });
  async function load(req: Request): Promise<WebhookEndpointRow> {
    const id = uuidParam(req.params.id, 'webhook endpoint');
    const endpoint = await findWebhookEndpoint(ctx.sql, id);
    if (!endpoint) throw new DomainError(ErrorCode.NOT_FOUND, `webhook endpoint ${id} does not exist`);
    return endpoint;
  }

  /** Answers with the signing secret; it can be read again from GET /:id/secret. */
  router.post('/', async (req, res) => {
    const endpoint = await createWebhookEndpoint(ctx.sql, parseBody(createWebhookEndpointSchema, req.body), actorOf(res), {
      allowPrivateTargets: ctx.allowPrivateWebhookTargets ?? false,
    });
    res.status(201).json(present(endpoint, true));
  });
  router.get('/', async (_req, res) => {
    res.json({ endpoints: (await listWebhookEndpoints(ctx.sql)).map((e) => present(e)) });
  });
  router.get('/:id', async (req, res) => {
    res.json(present(await load(req)));
  });
  router.get('/:id/secret', async (req, res) => {
    res.json({ secret: (await load(req)).secret });
  });
  router.delete('/:id', async (req, res) => {
    const endpoint = await load(req);
    await deleteWebhookEndpoint(ctx.sql, endpoint.id, actorOf(res));
    res.status(204).end();
  });
  router.get('/:id/deliveries', async (req, res) => {
    const endpoint = await load(req);
    const filter = parseBody(deliveriesQuery, req.query);
    res.json({
      deliveries: await listDeliveries(ctx.sql, endpoint.id, { limit: filter.limit, ...(filter.status ? { status: filter.status } : {}) }),
    });
  });
  /** Sends an event to the endpoint again now, e.g. after a `failed` delivery once the endpoint is fixed. */
  router.post('/:id/deliveries/:eventId/redeliver', async (req, res) => {
    const endpoint = await load(req);
    const eventId = String(req.params.eventId);
    if (!singleLine(255).safeParse(eventId).success || !(await redeliver(ctx.sql, endpoint.id, eventId))) {
      throw new DomainError(ErrorCode.NOT_FOUND, `event ${eventId} was never sent to this endpoint`);
    }
    res.status(202).json({ eventId, status: 'pending' });
  });
  return router;
}
