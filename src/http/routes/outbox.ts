import { Router } from 'express';
import { z } from 'zod';
import { listEmails } from '../../db/email-log';
import type { HttpContext } from '../context';
import { parseBody } from '../errors';

const outboxQuery = z.object({
  invoiceId: z.uuid().optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(200),
});

export function outboxRoutes(ctx: HttpContext): Router {
  const router = Router();
  router.get('/', async (req, res) => {
    const filter = parseBody(outboxQuery, req.query);
    const emails = await listEmails(ctx.sql, { limit: filter.limit, ...(filter.invoiceId ? { invoiceId: filter.invoiceId } : {}) });
    res.json({
      emails: emails.map(({ html: _html, text: _text, ...email }) => email),
    });
  });
  return router;
}
