import type { Sql } from './client';

export interface NewAllocation {
  readonly lineId: string;
  readonly invoiceId: string;
  readonly amountCents: number;
  readonly writeOffCents: number;
  readonly paymentId: string;
  readonly actor: string;
}

/** Records where a line's money goes; an allocation already recorded (same line and invoice) is kept as it was. */
export async function insertAllocations(sql: Sql, allocations: readonly NewAllocation[]): Promise<void> {
  for (let i = 0; i < allocations.length; i += 5_000) await insertChunk(sql, allocations.slice(i, i + 5_000));
}

async function insertChunk(sql: Sql, allocations: readonly NewAllocation[]): Promise<void> {
  if (allocations.length === 0) return;
  await sql`
    INSERT INTO bank_allocations ${sql(
      allocations.map((a) => ({
        line_id: a.lineId,
        invoice_id: a.invoiceId,
        amount_cents: a.amountCents,
        write_off_cents: a.writeOffCents,
        payment_id: a.paymentId,
        decided_by: a.actor,
      })),
    )}
    ON CONFLICT (line_id, invoice_id) DO NOTHING`;
}
