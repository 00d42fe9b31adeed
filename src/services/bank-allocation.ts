import type { Sql } from '../db/client';
import { insertAllocations, type NewAllocation } from '../db/bank-allocations';
import { insertInboxEvent } from '../db/webhook-inbox';

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
  const rows: NewAllocation[] = allocations.map((a) => ({
    lineId: line.id,
    invoiceId: a.invoiceId,
    amountCents: a.amountCents,
    writeOffCents: a.writeOffCents ?? 0,
    paymentId: `${BANK_SOURCE}:${line.id}:${a.invoiceId}`,
    actor,
  }));
  await insertAllocations(tx, rows);
  for (const a of rows) {
    await insertInboxEvent(tx, BANK_SOURCE, {
      id: a.paymentId,
      type: 'bank.credit',
      occurredAt: `${line.bookingDate}T00:00:00.000Z`,
      fact: {
        kind: 'payment',
        invoiceId: a.invoiceId,
        paymentId: a.paymentId,
        amountCents: a.amountCents,
        currency: line.currency,
        method: 'bank_transfer',
        reference: (line.bankReference ?? line.endToEndId ?? line.remittance).slice(0, 255) || 'bank transfer',
      },
    });
  }
}
