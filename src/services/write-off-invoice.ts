import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { releaseIdempotencyKey } from '../db/idempotency-keys';
import { DomainError, ErrorCode } from '../domain/errors';
import { currencyCode, minorUnits, multiLine } from '../domain/input';
import { WRITE_OFF_CATEGORIES } from '../domain/invoice';
import { invoiceLedgerQuery, writeOffUpdate, type InvoiceView } from '../../workflows/messages';
import { claimCommandKey, currentView, queryInvoice, sendCommand, type CommandDeps } from './invoice-commands';

export const writeOffSchema = z.strictObject({
  amountCents: minorUnits(),
  currency: currencyCode,
  category: z.enum(WRITE_OFF_CATEGORIES),
  /** Why, in words: kept on the invoice's timeline and audit trail. */
  reason: multiLine(1000).refine((s) => s.trim().length > 0, 'say why the amount is written off'),
});

const SCOPE = 'write_off';

/**
 * Writes off part or all of what an invoice owes, by hand. The invoice's workflow decides (refusing
 * more than is owed, another currency, a closed invoice); nothing left owed settles it. With an
 * idempotency key the write-off id is derived from it, so a retried request writes nothing off twice;
 * the key belongs to its first request (another invoice or body: IDEMPOTENCY_CONFLICT).
 */
export async function writeOffInvoice(
  deps: CommandDeps,
  invoiceId: string,
  body: z.output<typeof writeOffSchema>,
  opts: { actor: string; idempotencyKey?: string },
): Promise<{ view: InvoiceView; replayed: boolean }> {
  const key = opts.idempotencyKey;
  const claimedKey = key ? await claimCommandKey(deps.sql, { scope: SCOPE, key, invoiceId, body }) : false;
  const writeOffId = `api:${key ?? randomUUID()}`;
  try {
    const view = await sendCommand(deps, invoiceId, writeOffUpdate, {
      writeOffId,
      amountCents: body.amountCents,
      currency: body.currency,
      category: body.category,
      actor: opts.actor,
      reason: body.reason,
    });
    return { view, replayed: !claimedKey && key !== undefined };
  } catch (err) {
    // The first request settled the invoice (its workflow completed): a retry is answered with it.
    const settledByIt = err instanceof DomainError && err.code === ErrorCode.INVOICE_PAID;
    if (key && settledByIt && (await queryInvoice(deps, invoiceId, invoiceLedgerQuery))?.facts.writeOffs[writeOffId])
      return { view: await currentView(deps, invoiceId), replayed: true };
    // Refused before it was applied: the key is free for a corrected request.
    if (claimedKey && err instanceof DomainError && err.code !== ErrorCode.WORKFLOW_BUSY && err.code !== ErrorCode.LEDGER_WRITE_PENDING)
      await releaseIdempotencyKey(deps.sql, { scope: SCOPE, key: key! });
    throw err;
  }
}
