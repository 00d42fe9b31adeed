import type { Sql } from './client';

export interface UnappliedPayment {
  id: string;
  gateway: string | null;
  invoiceId: string | null;
  amountCents: number;
  currency: string;
  reference: string | null;
  receivedAt: Date;
}

/** Records money that matches no open invoice; the same payment id is recorded once. */
export async function recordUnappliedPayment(sql: Sql, p: { id: string; gateway: string; invoiceId: string | null; amountCents: number; currency: string; method?: string; reference?: string; reason: string }): Promise<void> {
  await sql`INSERT INTO payments (kind, id, invoice_id, amount_cents, currency, status, flag_reason, method, reference, actor, received_at, gateway)
            VALUES ('payment', ${p.id}, ${p.invoiceId}, ${p.amountCents}, ${p.currency}, 'unapplied', ${p.reason}, ${p.method ?? null},
                    ${p.reference ?? null}, ${'gateway:' + p.gateway}, now(), ${p.gateway})
            ON CONFLICT (kind, id) DO NOTHING`;
}

export async function listUnappliedPayments(sql: Sql, limit: number): Promise<UnappliedPayment[]> {
  return sql<UnappliedPayment[]>`
    SELECT id, gateway, invoice_id AS "invoiceId", amount_cents AS "amountCents", currency, reference, received_at AS "receivedAt"
    FROM payments WHERE kind = 'payment' AND status = 'unapplied' ORDER BY created_at LIMIT ${limit}`;
}

export async function findUnappliedPayment(sql: Sql, id: string): Promise<UnappliedPayment | undefined> {
  const [row] = await sql<UnappliedPayment[]>`
    SELECT id, gateway, invoice_id AS "invoiceId", amount_cents AS "amountCents", currency, reference, received_at AS "receivedAt"
    FROM payments WHERE kind = 'payment' AND id = ${id} AND status = 'unapplied'`;
  return row;
}
