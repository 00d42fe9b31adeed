import { Router } from 'express';
import { z } from 'zod';
import { findUnappliedPayment, listUnappliedPayments } from '../../db/unapplied-payments';
import { DomainError, ErrorCode } from '../../domain/errors';
import { applyUnappliedPayment } from '../../services/invoice-commands';
import type { HttpContext } from '../context';
import { parseBody } from '../errors';

const applySchema = z.strictObject({ invoiceId: z.uuid() });
const listQuery = z.object({ limit: z.coerce.number().int().min(1).max(1000).default(200) });

/** Unapplied cash: money that matched no open invoice, until someone applies it. */
export function paymentRoutes(ctx: HttpContext): Router {
  const router = Router();
  router.get('/unapplied', async (req, res) => {
    const { limit } = parseBody(listQuery, req.query);
    res.json({ payments: await listUnappliedPayments(ctx.sql, limit) });
  });
  router.post('/:id/apply', async (req, res) => {
    const { invoiceId } = parseBody(applySchema, req.body);
    const payment = await findUnappliedPayment(ctx.sql, String(req.params.id));
    if (!payment) throw new DomainError(ErrorCode.NOT_FOUND, `no unapplied payment ${req.params.id}`);
    res.json(await applyUnappliedPayment({ sql: ctx.sql, client: ctx.client }, invoiceId, payment, 'api'));
  });
  return router;
}
