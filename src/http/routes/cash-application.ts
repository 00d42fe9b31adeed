import { actorOf } from '../principal';
import { Router } from 'express';
import { z } from 'zod';
import { listReviewLines, type BankLineRow } from '../../db/bank-lines';
import {
  applyLineManually,
  confirmSuggestion,
  manualApplicationSchema,
  rejectLine,
  confirmSuggestionSchema,
  rejectLineSchema,
} from '../../services/review-bank-line';
import { unapplyBankAllocation, unapplySchema } from '../../services/unapply-bank-allocation';
import type { HttpContext } from '../context';
import { parseBody } from '../errors';

const pageSchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  after: z.uuid({ error: 'must be a bank line id' }).optional(),
});

/** What a reviewer sees of a line: the money, who paid and why, and the matcher's proposals with their reasons. */
const present = (l: BankLineRow) => ({
  id: l.id,
  account: l.account,
  status: l.status,
  amountCents: l.amountCents,
  currency: l.currency,
  bookingDate: l.bookingDate,
  payerName: l.payerName,
  payerAccount: l.payerAccount,
  remittance: l.remittance,
  bankReference: l.bankReference,
  location: l.location,
  why: l.decision && l.decision.kind !== 'auto' ? l.decision.why : null,
  proposals: l.decision?.kind === 'suggested' ? l.decision.proposals : l.decision?.kind === 'auto' ? [l.decision.proposal] : [],
  decidedBy: l.decidedBy,
  decidedAt: l.decidedAt,
});

/**
 * The review queue of bank credits the matcher was not sure of: `GET /review`, and for a line,
 * `POST /lines/:id/confirm` (one of its suggestions), `/apply` (by hand, across invoices with
 * amounts), `/reject` (not a customer payment) and `/unapply` (take a wrong application back).
 */
export function cashApplicationRoutes(ctx: HttpContext): Router {
  const router = Router();
  router.get('/review', async (req, res) => {
    const page = parseBody(pageSchema, req.query);
    const lines = await listReviewLines(ctx.sql, page);
    res.json({ lines: lines.map(present), nextAfter: lines.length === page.limit ? lines[lines.length - 1]!.id : null });
  });
  router.post('/lines/:id/confirm', async (req, res) => {
    res.json(present(await confirmSuggestion(ctx.sql, String(req.params.id), parseBody(confirmSuggestionSchema, req.body), actorOf(res))));
  });
  router.post('/lines/:id/apply', async (req, res) => {
    res.json(present(await applyLineManually(ctx.sql, String(req.params.id), parseBody(manualApplicationSchema, req.body), actorOf(res))));
  });
  router.post('/lines/:id/unapply', async (req, res) => {
    res.json(await unapplyBankAllocation(ctx.sql, String(req.params.id), parseBody(unapplySchema, req.body), actorOf(res)));
  });
  router.post('/lines/:id/reject', async (req, res) => {
    res.json(present(await rejectLine(ctx.sql, String(req.params.id), parseBody(rejectLineSchema, req.body), actorOf(res))));
  });
  return router;
}
