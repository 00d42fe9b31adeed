import { Router } from 'express';
import { z } from 'zod';
import { listAttention } from '../../db/attention';
import type { HttpContext } from '../context';
import { parseBody } from '../errors';

const query = z.object({ limit: z.coerce.number().int().min(1).max(1000).default(200) });

/** `GET /api/attention`: what only a human can settle (refused projections, flags, unplaced events, unapplied cash). */
export function attentionRoutes(ctx: HttpContext): Router {
  const router = Router();
  router.get('/', async (req, res) => {
    const { limit } = parseBody(query, req.query);
    res.json({ items: await listAttention(ctx.sql, limit) });
  });
  return router;
}
