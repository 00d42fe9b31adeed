import { Router } from 'express';
import { z } from 'zod';
import { DomainError, ErrorCode } from '../../domain/errors';
import {
  importCustomer,
  importCustomerSchema,
  importInvoice,
  importInvoiceSchema,
  type ImportOutcome,
} from '../../services/import-records';
import type { HttpContext } from '../context';
import { parseBody } from '../errors';

const batchSchema = z.strictObject({
  rows: z.array(z.unknown()).min(1, 'send at least one row').max(500, 'send at most 500 rows per request'),
});

export type RowResult = ImportOutcome | { status: 'error'; error: { code: string; message: string; field?: string } };

/**
 * Batches of ERP rows (the CLI's `import` sends its CSV files through these). Each row is validated
 * and imported on its own: the answer has one result per row, in order, and a bad row changes
 * nothing while the others go in. Re-sending rows is safe (external ids).
 */
export function importRoutes(ctx: HttpContext): Router {
  const router = Router();
  const batch =
    <S extends z.ZodType>(schema: S, one: (row: z.output<S>) => Promise<ImportOutcome>) =>
    async (req: { body: unknown }, res: { json(body: unknown): void }) => {
      const { rows } = parseBody(batchSchema, req.body);
      const results: RowResult[] = new Array(rows.length);
      // A few rows at a time: each one is a transaction and (for invoices) a workflow start.
      let next = 0;
      await Promise.all(
        Array.from({ length: 4 }, async () => {
          while (next < rows.length) {
            const i = next++;
            results[i] = await rowResult(() => one(parseRow(schema, rows[i])), ctx.log);
          }
        }),
      );
      const count = (status: string) => results.filter((r) => r.status === status).length;
      res.json({ results, created: count('created'), exists: count('exists'), skipped: count('skipped'), errors: count('error') });
    };

  router.post(
    '/customers',
    batch(importCustomerSchema, (row) => importCustomer(ctx.sql, row, 'import')),
  );
  router.post(
    '/invoices',
    batch(importInvoiceSchema, (row) =>
      importInvoice(
        {
          sql: ctx.sql,
          client: ctx.client,
          taskQueue: ctx.taskQueue,
          now: ctx.now,
          onStartFailure: (err, invoiceId) => ctx.log.warn({ err: String(err), invoiceId }, 'workflow start deferred to the reconciler'),
          ...(ctx.invoiceStart ? { start: ctx.invoiceStart } : {}),
        },
        row,
        'import',
      ),
    ),
  );
  return router;
}

/** A row's first problem, named by its field (a row report has one line per row). */
function parseRow<S extends z.ZodType>(schema: S, row: unknown): z.output<S> {
  const result = schema.safeParse(row);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  throw new DomainError(ErrorCode.VALIDATION, issue.message, { field: issue.path.map(String).join('.') });
}

/**
 * One row's outcome. The other rows of the batch have committed whatever happens to this one, so even
 * an unexpected failure is this row's error, logged, not the batch's 500.
 */
async function rowResult(run: () => Promise<ImportOutcome>, log: HttpContext['log']): Promise<RowResult> {
  try {
    return await run();
  } catch (err) {
    if (!(err instanceof DomainError)) {
      log.error({ err }, 'import row failed unexpectedly');
      return {
        status: 'error',
        error: { code: ErrorCode.INTERNAL, message: 'this row could not be imported; it changed nothing (see the engine log)' },
      };
    }
    const field = typeof err.details.field === 'string' && err.details.field ? err.details.field : undefined;
    return { status: 'error', error: { code: err.code, message: err.message, ...(field ? { field } : {}) } };
  }
}
