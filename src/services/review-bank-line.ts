import { z } from 'zod';
import { auditBankLine, findBankLine, learnPayerAccount, settleReviewLine, type BankLineRow } from '../db/bank-lines';
import type { Sql } from '../db/client';
import { findInvoice } from '../db/invoices';
import { recordUnappliedPayment } from '../db/unapplied-payments';
import { DomainError, ErrorCode } from '../domain/errors';
import { singleLine } from '../domain/input';
import { allocateLine, allocationsOf, BANK_SOURCE, lineReference } from './bank-allocation';

export const confirmSuggestionSchema = z.strictObject({
  /** Which of the line's suggestions (0: the best). @default 0 */
  proposal: z.number().int().min(0).max(4).default(0),
  reason: singleLine(500).optional(),
});

export const manualApplicationSchema = z.strictObject({
  allocations: z
    .array(z.strictObject({ invoiceId: z.uuid({ error: 'must be an invoice id' }), amountCents: z.number().int().min(1).max(1e12) }))
    .min(1, 'name at least one invoice')
    .max(50, 'at most 50 invoices per line'),
  /** What to do with money left over: the customer's unapplied cash (default), or credit on the last invoice. */
  remainder: z.enum(['unapplied', 'credit']).default('unapplied'),
  reason: singleLine(500).optional(),
});

export const rejectLineSchema = z.strictObject({ reason: singleLine(500).min(1, 'say why this is not a customer payment') });

/**
 * A human's decisions on lines the matcher left for review. Each settles the line once (a second
 * decision, or a concurrent one, gets 409), is audited with its actor, and, when it puts the money
 * on one customer's invoices, teaches the engine the payer's account.
 */
export async function confirmSuggestion(
  sql: Sql,
  lineId: string,
  input: z.output<typeof confirmSuggestionSchema>,
  actor: string,
): Promise<BankLineRow> {
  const line = await waitingLine(sql, lineId);
  const proposals = line.decision?.kind === 'suggested' ? line.decision.proposals : [];
  const proposal = proposals[input.proposal];
  if (!proposal) {
    throw new DomainError(
      ErrorCode.VALIDATION,
      proposals.length === 0
        ? 'this line has no suggestion; apply it by hand'
        : `the line has ${proposals.length} suggestions (0–${proposals.length - 1})`,
      {
        field: 'proposal',
      },
    );
  }
  return decide(sql, line, actor, {
    action: 'bank_line.suggestion_confirmed',
    reason: input.reason ?? null,
    allocations: allocationsOf(proposal),
    unappliedCents: 0,
    customerId: proposal.customerId,
  });
}

export async function applyLineManually(
  sql: Sql,
  lineId: string,
  input: z.output<typeof manualApplicationSchema>,
  actor: string,
): Promise<BankLineRow> {
  const line = await waitingLine(sql, lineId);
  const seen = new Set<string>();
  const customers = new Set<string>();
  for (const [i, a] of input.allocations.entries()) {
    const field = `allocations.${i}.invoiceId`;
    if (seen.has(a.invoiceId)) throw new DomainError(ErrorCode.VALIDATION, 'names an invoice twice', { field });
    seen.add(a.invoiceId);
    const invoice = await findInvoice(sql, a.invoiceId);
    if (!invoice) throw new DomainError(ErrorCode.NOT_FOUND, `invoice ${a.invoiceId} does not exist`, { field });
    if (invoice.currency !== line.currency)
      throw new DomainError(
        ErrorCode.CURRENCY_MISMATCH,
        `invoice ${invoice.number} is in ${invoice.currency}, the line in ${line.currency}`,
        { field },
      );
    if (invoice.status !== 'open')
      throw new DomainError(ErrorCode.INVOICE_NOT_OPEN, `invoice ${invoice.number} is ${invoice.status}`, { field });
    customers.add(invoice.customerId);
  }
  const total = input.allocations.reduce((s, a) => s + a.amountCents, 0);
  if (total > line.amountCents) {
    throw new DomainError(ErrorCode.INVALID_AMOUNT, `the allocations add up to ${total}, more than the line's ${line.amountCents}`, {
      field: 'allocations',
    });
  }
  const left = line.amountCents - total;
  const last = input.allocations.length - 1;
  return decide(sql, line, actor, {
    action: 'bank_line.applied_by_hand',
    reason: input.reason ?? null,
    allocations: input.allocations.map((a, i) => ({
      ...a,
      amountCents: a.amountCents + (input.remainder === 'credit' && i === last ? left : 0),
    })),
    unappliedCents: input.remainder === 'unapplied' ? left : 0,
    customerId: customers.size === 1 ? [...customers][0]! : null,
  });
}

export async function rejectLine(sql: Sql, lineId: string, input: z.output<typeof rejectLineSchema>, actor: string): Promise<BankLineRow> {
  await waitingLine(sql, lineId);
  return sql.begin(async (t) => {
    const tx = t as unknown as Sql;
    const settled = await settleReviewLine(tx, lineId, 'rejected', actor);
    if (!settled) throw decidedMeanwhile(lineId);
    await auditBankLine(tx, lineId, { action: 'bank_line.rejected', actor, reason: input.reason });
    return settled;
  }) as Promise<BankLineRow>;
}

async function waitingLine(sql: Sql, lineId: string): Promise<BankLineRow> {
  const line = z.uuid().safeParse(lineId).success ? await findBankLine(sql, lineId) : undefined;
  if (!line) throw new DomainError(ErrorCode.NOT_FOUND, `bank line ${lineId} does not exist`);
  if (line.status !== 'suggested' && line.status !== 'unmatched') throw decidedMeanwhile(lineId, line.status);
  return line;
}

const decidedMeanwhile = (lineId: string, status?: string) =>
  new DomainError(ErrorCode.LINE_ALREADY_DECIDED, `bank line ${lineId} is ${status ?? 'decided'} already; nothing changed`);

/** Settles the line, hands its money on, keeps what is left as unapplied cash, learns the payer, audits — in one transaction. */
async function decide(
  sql: Sql,
  line: BankLineRow,
  actor: string,
  d: {
    action: string;
    reason: string | null;
    allocations: { invoiceId: string; amountCents: number; writeOffCents?: number }[];
    unappliedCents: number;
    customerId: string | null;
  },
): Promise<BankLineRow> {
  return sql.begin(async (t) => {
    const tx = t as unknown as Sql;
    const settled = await settleReviewLine(tx, line.id, 'applied', actor);
    if (!settled) throw decidedMeanwhile(line.id);
    await allocateLine(tx, line, d.allocations, actor);
    if (d.unappliedCents > 0) {
      await recordUnappliedPayment(tx, {
        source: BANK_SOURCE,
        id: `${line.id}:rest`,
        hintInvoiceId: null,
        amountCents: d.unappliedCents,
        currency: line.currency,
        method: 'bank_transfer',
        reference: lineReference(line),
        reason: 'left over when a bank line was applied by hand',
        receivedAt: new Date(`${line.bookingDate}T00:00:00.000Z`),
      });
    }
    if (line.payerAccount && d.customerId) await learnPayerAccount(tx, line.payerAccount, d.customerId, line.id, actor);
    await auditBankLine(tx, line.id, {
      action: d.action,
      actor,
      reason: d.reason,
      data: {
        allocations: d.allocations,
        unappliedCents: d.unappliedCents,
        learnedPayer: line.payerAccount && d.customerId ? line.payerAccount : null,
      },
    });
    return settled;
  }) as Promise<BankLineRow>;
}
