import { actorOf } from '../principal';
import { Router } from 'express';
import { z } from 'zod';
import { listUnappliedPayments } from '../../db/unapplied-payments';
import { DomainError, ErrorCode } from '../../domain/errors';
import { singleLine } from '../../domain/input';
import { applyUnappliedPayment } from '../../services/apply-unapplied-payment';
import type { HttpContext } from '../context';
import { parseBody } from '../errors';

const applySchema = z.strictObject({ invoiceId: z.uuid() });
const listQuery = z.object({ limit: z.coerce.number().int().min(1).max(1000).default(200) });

/** Unapplied cash: money that matched no open invoice, until someone applies it. */
export function paymentRoutes(ctx: HttpContext): Router {
  const router = Router();
  router.get('/unapplied', async (req, res) => {
    const { limit } = parseBody(listQuery, req.query);
    const payments = await listUnappliedPayments(ctx.sql, limit);
    res.json({ payments: payments.map((p) => ({ ...p, ref: `${p.source}:${p.id}` })) });
  });
  /** `:id` is the payment's id, or `<source>:<id>` when two sources used the same one. */
  router.post('/:id/apply', async (req, res) => {
    const ref = String(req.params.id);
    if (!singleLine(600).safeParse(ref).success) throw new DomainError(ErrorCode.NOT_FOUND, 'no such unapplied payment');
    const { invoiceId } = parseBody(applySchema, req.body);
    res.json(await applyUnappliedPayment({ sql: ctx.sql, client: ctx.client }, ref, invoiceId, actorOf(res)));
  });
  return router;
}
