import { Router } from 'express';
import { z } from 'zod';
import { reconcileBankAccounts } from '../../db/reconciliation';
import { calendarDate } from '../../domain/input';
import { DomainError, ErrorCode } from '../../domain/errors';
import type { HttpContext } from '../context';
import { parseBody } from '../errors';

const querySchema = z.strictObject({ from: calendarDate, to: calendarDate });

/** `GET /api/reconciliation?from=&to=`: per bank account and day, every cent of the statements accounted for. */
export function reconciliationRoutes(ctx: HttpContext): Router {
  const router = Router();
  router.get('/', async (req, res) => {
    const { from, to } = parseBody(querySchema, req.query);
    if (to < from) throw new DomainError(ErrorCode.VALIDATION, 'is before from', { field: 'to' });
    const days = await reconcileBankAccounts(ctx.sql, from, to);
    res.json({ from, to, days, balanced: days.every((d) => d.unaccountedCents === 0) });
  });
  return router;
}
