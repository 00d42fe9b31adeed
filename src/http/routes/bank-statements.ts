import { actorOf } from '../principal';
import express, { Router, type Request } from 'express';
import { z } from 'zod';
import { findBankAccountMapping, saveBankAccountMapping } from '../../db/bank-accounts';
import { BANK_FORMATS, csvMappingSchema, normalizeAccount, type BankFormat } from '../../domain/bank-files';
import { DomainError, ErrorCode } from '../../domain/errors';
import { importBankStatement } from '../../services/import-bank-statement';
import type { HttpContext } from '../context';
import { parseBody } from '../errors';

/** Bank files are text; the largest a bank sends for a day of a busy account is a few MB. */
const MAX_FILE = '20mb';

const querySchema = z.strictObject({
  format: z.enum(BANK_FORMATS, { error: `must be one of ${BANK_FORMATS.join(', ')}` }).optional(),
  /** For a CSV export: the account whose saved mapping reads it. */
  account: z.string().trim().min(1).max(64).optional(),
});

/** The format a Content-Type says, when it says one. */
function formatOf(req: Request): BankFormat | undefined {
  if (req.is('application/xml') || req.is('text/xml')) return 'camt053';
  if (req.is('text/csv')) return 'csv';
  return undefined;
}

/**
 * `POST /api/bank-statements`: the bank file as the body (camt.053 as XML, BAI2 and MT940 as text, a
 * CSV export with `?account=` naming its saved mapping), the format from the Content-Type, `?format=`
 * or the file itself. 201 with what became of each line; 200 when every line was known already.
 * `PUT /api/bank-statements/accounts/:account/csv-mapping` saves how an account's CSV export reads.
 */
export function bankStatementRoutes(ctx: HttpContext): Router {
  const router = Router();
  router.post('/', express.text({ type: () => true, limit: MAX_FILE }), async (req, res) => {
    const query = parseBody(querySchema, req.query);
    const content = typeof req.body === 'string' ? req.body : '';
    if (content.trim() === '') throw new DomainError(ErrorCode.VALIDATION, 'send the bank file as the request body', { field: 'body' });
    const format = query.format ?? formatOf(req);
    let csvMapping;
    if (format === 'csv') {
      if (!query.account)
        throw new DomainError(ErrorCode.VALIDATION, 'a CSV export needs ?account= (the account whose column mapping reads it)', {
          field: 'account',
        });
      csvMapping = await findBankAccountMapping(ctx.sql, normalizeAccount(query.account)!);
      if (!csvMapping)
        throw new DomainError(ErrorCode.NOT_FOUND, `no CSV mapping saved for account ${query.account}`, { field: 'account' });
    }
    const result = await importBankStatement({ sql: ctx.sql }, content, {
      ...(format ? { format } : {}),
      ...(csvMapping ? { csvMapping } : {}),
      actor: actorOf(res),
    });
    res.status(result.lines > result.duplicates ? 201 : 200).json(result);
  });
  router.put('/accounts/:account/csv-mapping', express.json({ limit: '64kb' }), async (req, res) => {
    const account = normalizeAccount(String(req.params.account));
    const mapping = parseBody(csvMappingSchema, { ...(req.body as object), account: req.params.account });
    await saveBankAccountMapping(ctx.sql, account!, mapping);
    res.json({ account, mapping });
  });
  return router;
}
