import { Router } from 'express';
import { z } from 'zod';
import { findCustomer } from '../../db/customers';
import { createPortalToken, PORTAL_TOKEN_TTL_DAYS } from '../../db/portal-tokens';
import { DomainError, ErrorCode } from '../../domain/errors';
import { createCustomer, createCustomerSchema } from '../../services/create-customer';
import type { HttpContext } from '../context';
import { parseBody } from '../errors';
import { uuidParam } from './params';

export function customerRoutes(ctx: HttpContext): Router {
  const router = Router();
  router.post('/', async (req, res) => {
    const customer = await createCustomer(ctx.sql, parseBody(createCustomerSchema, req.body), 'api');
    res.status(201).json(customer);
  });
  router.get('/:id', async (req, res) => {
    const customer = await findCustomer(ctx.sql, uuidParam(req.params.id, 'customer'));
    if (!customer) throw new DomainError(ErrorCode.NOT_FOUND, `customer ${req.params.id} does not exist`);
    res.json(customer);
  });
  /** A new customer portal link (the invoice emails carry one each); only its hash is kept. */
  router.post('/:id/portal-links', async (req, res) => {
    const { ttlDays } = parseBody(portalLinkSchema, req.body);
    const customer = await findCustomer(ctx.sql, uuidParam(req.params.id, 'customer'));
    if (!customer) throw new DomainError(ErrorCode.NOT_FOUND, `customer ${req.params.id} does not exist`);
    const { token, expiresAt } = await createPortalToken(ctx.sql, { customerId: customer.id, createdFor: 'api', now: ctx.now(), ttlDays });
    res.status(201).json({ url: `${ctx.publicUrl}/portal/${token}`, expiresAt: expiresAt.toISOString() });
  });
  return router;
}

const portalLinkSchema = z.strictObject({ ttlDays: z.number().int().min(1).max(365).default(PORTAL_TOKEN_TTL_DAYS) });
