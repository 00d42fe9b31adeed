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

export interface AllocationRow {
  readonly lineId: string;
  readonly invoiceId: string;
  readonly amountCents: number;
  readonly paymentId: string;
  readonly decidedBy: string;
  readonly reversedBy: string | null;
  readonly reversedAt: Date | null;
  /** Whether the invoice's ledger holds the payment (its workflow applied it and Postgres has it). */
  readonly onLedger: boolean;
}

/** A line's allocations, with whether each payment has reached its invoice's ledger. */
export async function listLineAllocations(sql: Sql, lineId: string): Promise<AllocationRow[]> {
  return sql<AllocationRow[]>`
    SELECT a.line_id AS "lineId", a.invoice_id AS "invoiceId", a.amount_cents::int AS "amountCents", a.payment_id AS "paymentId",
           a.decided_by AS "decidedBy", a.reversed_by AS "reversedBy", a.reversed_at AS "reversedAt",
           EXISTS (SELECT 1 FROM payments p WHERE p.invoice_id = a.invoice_id AND p.id = a.payment_id AND p.kind = 'payment'
                   AND p.status = 'applied') AS "onLedger"
    FROM bank_allocations a WHERE a.line_id = ${lineId} ORDER BY a.created_at, a.invoice_id`;
}

/** Marks an allocation reversed if it is not yet: of concurrent reversals exactly one gets true. */
export async function markAllocationReversed(
  tx: Sql,
  a: { lineId: string; invoiceId: string; actor: string; reason: string },
): Promise<boolean> {
  const rows = await tx`
    UPDATE bank_allocations SET reversed_by = ${a.actor}, reversed_at = now(), reversal_reason = ${a.reason}
    WHERE line_id = ${a.lineId} AND invoice_id = ${a.invoiceId} AND reversed_at IS NULL RETURNING 1`;
  return rows.length === 1;
}
