import type { Sql } from '../db/client';
import { insertAllocations, type NewAllocation } from '../db/bank-allocations';
import { insertInboxEvents } from '../db/webhook-inbox';
import type { GatewayEvent } from '../gateways/types';
import type { Proposal } from '../domain/cash-matching/match';

/** The inbox's gateway name for money from bank statements (payment ids `bank:<line>:<invoice>`). */
export const BANK_SOURCE = 'bank';

/** What a bank line is, as far as handing its money on needs. */
export interface LineMoney {
  readonly id: string;
  readonly currency: string;
  readonly bookingDate: string;
  readonly bankReference: string | null;
  readonly endToEndId: string | null;
  readonly remittance: string;
}

/** What an allocation of the line tells the invoice (and unapplied cash) about the money: the bank's reference, else the payer's, else the text. */
export function lineReference(line: LineMoney): string {
  return (line.bankReference ?? line.endToEndId ?? line.remittance).slice(0, 255) || 'bank transfer';
}

/** A proposal's allocations as handed on: an overpayment goes with the last invoice, which keeps the excess as customer credit. */
export function allocationsOf(proposal: Proposal): { invoiceId: string; amountCents: number; writeOffCents: number }[] {
  const last = proposal.allocations.length - 1;
  return proposal.allocations.map((a, i) => ({
    invoiceId: a.invoiceId,
    amountCents: a.amountCents + (i === last ? proposal.creditCents : 0),
    writeOffCents: i === last ? proposal.writeOffCents : 0,
  }));
}

/**
 * Records where a line's money goes and hands each allocation to the gateway inbox as a payment
 * `bank:<line>:<invoice>`, in the caller's transaction: the relay delivers it to the invoice's
 * workflow exactly once (or, for an invoice closed meanwhile, records it as unapplied cash).
 */
export async function allocateLine(
  tx: Sql,
  line: LineMoney,
  allocations: readonly { invoiceId: string; amountCents: number; writeOffCents?: number }[],
  actor: string,
): Promise<void> {
  await allocateLines(tx, [{ line, allocations }], actor);
}

/** `allocateLine` for many lines in one go (a statement's sure matches): a few statements, not a few per line. */
export async function allocateLines(
  tx: Sql,
  work: readonly { line: LineMoney; allocations: readonly { invoiceId: string; amountCents: number; writeOffCents?: number }[] }[],
  actor: string,
): Promise<void> {
  const rows: NewAllocation[] = [];
  const events: GatewayEvent[] = [];
  for (const { line, allocations } of work) {
    for (const a of allocations) {
      const paymentId = `${BANK_SOURCE}:${line.id}:${a.invoiceId}`;
      rows.push({
        lineId: line.id,
        invoiceId: a.invoiceId,
        amountCents: a.amountCents,
        writeOffCents: a.writeOffCents ?? 0,
        paymentId,
        actor,
      });
      events.push({
        id: paymentId,
        type: 'bank.credit',
        occurredAt: `${line.bookingDate}T00:00:00.000Z`,
        fact: {
          kind: 'payment',
          invoiceId: a.invoiceId,
          paymentId,
          amountCents: a.amountCents,
          currency: line.currency,
          method: 'bank_transfer',
          reference: lineReference(line),
          // Short by bank charges within tolerance: what the transfer leaves owed is written off.
          ...(a.writeOffCents ? { writeOff: { upToCents: a.writeOffCents, category: 'bank_charges' as const } } : {}),
        },
      });
    }
  }
  await insertAllocations(tx, rows);
  await insertInboxEvents(tx, BANK_SOURCE, events);
}
