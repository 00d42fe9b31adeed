import { Router } from 'express';
import { z } from 'zod';
import { countInvoices } from '../../db/ledger-check';
import { checkLedgerPage } from '../../services/check-ledger';
import type { HttpContext } from '../context';
import { parseBody } from '../errors';

const checkQuery = z.strictObject({
  after: z.uuid().optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(200),
  invoiceId: z.union([z.uuid(), z.array(z.uuid()).max(1000)]).optional(),
});

/**
 * `GET /api/ledger/check`: one page of the ledger invariant check (every invoice's workflow against
 * Postgres, and Postgres against the ledger identity). Page with `after=<nextCursor>`.
 */
export function ledgerRoutes(ctx: HttpContext): Router {
  const router = Router();
  router.get('/check', async (req, res) => {
    const q = parseBody(checkQuery, req.query);
    const invoiceIds = q.invoiceId === undefined ? undefined : [q.invoiceId].flat();
    const page = await checkLedgerPage(
      { sql: ctx.sql, client: ctx.client },
      { limit: q.limit, ...(q.after ? { after: q.after } : {}), ...(invoiceIds ? { invoiceIds } : {}) },
    );
    res.json({ ...page, total: invoiceIds ? invoiceIds.length : await countInvoices(ctx.sql) });
  });
  return router;
}
