import { z } from 'zod';
import { listLineAllocations, markAllocationReversed } from '../db/bank-allocations';
import { auditBankLine, findBankLine, forgetPayerAccountLearnedFrom } from '../db/bank-lines';
import type { Sql } from '../db/client';
import { findCustomer } from '../db/customers';
import { findInvoice } from '../db/invoices';
import { recordUnappliedPayment } from '../db/unapplied-payments';
import { insertInboxEvents } from '../db/webhook-inbox';
import { DomainError, ErrorCode } from '../domain/errors';
import { singleLine } from '../domain/input';
import { BANK_SOURCE, lineReference } from './bank-allocation';

export const unapplySchema = z.strictObject({
  /** The allocation to reverse. @default every allocation of the line */
  invoiceId: z.uuid({ error: 'must be an invoice id' }).optional(),
  /** Whose money it is, when known: it joins that customer's balance. @default nobody's (a human applies it) */
  customerId: z.uuid({ error: 'must be a customer id' }).optional(),
  reason: singleLine(500).min(1, 'say why the application was wrong'),
});

/**
 * Reverses a bank line's wrong application: each payment is taken back off its invoice (a reversal
 * through the gateway inbox, applied once by the invoice's workflow, which reopens the amount and
 * resumes dunning where the policy says; a paid invoice reopens), and the money becomes unapplied
 * cash `<line>:<invoice>:unapplied` for a human, or the named customer's balance. A payer account
 * learned from the line is forgotten. Audited; a second reversal is refused (409) and changes nothing.
 */
export async function unapplyBankAllocation(
  sql: Sql,
  lineId: string,
  input: z.output<typeof unapplySchema>,
  actor: string,
): Promise<{ reversed: { invoiceId: string; paymentId: string; amountCents: number }[] }> {
  const line = z.uuid().safeParse(lineId).success ? await findBankLine(sql, lineId) : undefined;
  if (!line) throw new DomainError(ErrorCode.NOT_FOUND, `bank line ${lineId} does not exist`);
  if (input.customerId && !(await findCustomer(sql, input.customerId)))
    throw new DomainError(ErrorCode.NOT_FOUND, `customer ${input.customerId} does not exist`, { field: 'customerId' });
  const all = await listLineAllocations(sql, line.id);
  const chosen = input.invoiceId ? all.filter((a) => a.invoiceId === input.invoiceId) : all.filter((a) => !a.reversedAt);
  if (chosen.length === 0) {
    throw input.invoiceId
      ? new DomainError(ErrorCode.NOT_FOUND, `bank line ${line.id} was not applied to invoice ${input.invoiceId}`, { field: 'invoiceId' })
      : new DomainError(ErrorCode.ALLOCATION_NOT_REVERSIBLE, `bank line ${line.id} has nothing applied to reverse`);
  }
  for (const a of chosen) {
    if (a.reversedAt)
      throw new DomainError(ErrorCode.ALLOCATION_NOT_REVERSIBLE, `the application to invoice ${a.invoiceId} was reversed already`);
    if (!a.onLedger)
      throw new DomainError(
        ErrorCode.ALLOCATION_NOT_REVERSIBLE,
        `the payment ${a.paymentId} has not reached invoice ${a.invoiceId} yet (or it was closed and the money is unapplied cash); try again shortly`,
      );
    const invoice = await findInvoice(sql, a.invoiceId);
    if (invoice && invoice.status !== 'open' && invoice.status !== 'paid')
      throw new DomainError(ErrorCode.INVOICE_NOT_OPEN, `invoice ${invoice.number} is ${invoice.status}; its payments cannot be reversed`);
  }
  return sql.begin(async (t) => {
    const tx = t as unknown as Sql;
    for (const a of chosen) {
      if (!(await markAllocationReversed(tx, { lineId: line.id, invoiceId: a.invoiceId, actor, reason: input.reason })))
        throw new DomainError(ErrorCode.ALLOCATION_NOT_REVERSIBLE, `the application to invoice ${a.invoiceId} was reversed meanwhile`);
    }
    await insertInboxEvents(
      tx,
      BANK_SOURCE,
      chosen.map((a) => ({
        id: `unapply:${a.paymentId}`,
        type: 'bank.unapplied',
        occurredAt: new Date().toISOString(),
        fact: {
          kind: 'refund' as const,
          invoiceId: a.invoiceId,
          paymentId: a.paymentId,
          refundId: `unapply:${a.paymentId}`,
          amountCents: a.amountCents,
          currency: line.currency,
        },
      })),
    );
    for (const a of chosen) {
      await recordUnappliedPayment(tx, {
        source: BANK_SOURCE,
        id: `${line.id}:${a.invoiceId}:unapplied`,
        hintInvoiceId: null,
        customerId: input.customerId ?? null,
        amountCents: a.amountCents,
        currency: line.currency,
        method: 'bank_transfer',
        reference: lineReference(line),
        reason: `taken back off an invoice: ${input.reason}`,
        receivedAt: new Date(`${line.bookingDate}T00:00:00.000Z`),
      });
    }
    const forgotten = await forgetPayerAccountLearnedFrom(tx, line.id);
    const reversed = chosen.map((a) => ({ invoiceId: a.invoiceId, paymentId: a.paymentId, amountCents: a.amountCents }));
    await auditBankLine(tx, line.id, {
      action: 'bank_line.unapplied',
      actor,
      reason: input.reason,
      data: { reversed, customerId: input.customerId ?? null, forgotPayer: forgotten },
    });
    return { reversed };
  }) as Promise<{ reversed: { invoiceId: string; paymentId: string; amountCents: number }[] }>;
}
