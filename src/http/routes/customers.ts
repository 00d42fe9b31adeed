import { Router } from 'express';
import { findCustomer } from '../../db/customers';
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
  return router;
}
