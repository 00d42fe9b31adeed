import type { Sql } from './client';

/** `allocated` / `refunded`: taken by a movement of the customer's balance (`balance_movements`). */
export type UnappliedStatus = 'unapplied' | 'applying' | 'applied' | 'allocated' | 'refunded';

export interface UnappliedPayment {
  /** Where the money came from (the gateway); with `id` it names the payment. */
  source: string;
  id: string;
  /** Kept for clients of the first API version: the same as `source`. */
  gateway: string;
  /** The (closed) invoice the money named, if any: a hint for whoever applies it. */
  invoiceId: string | null;
  /** Whose money it is, when known (the hint invoice's customer, or the payer a bank line was matched to). */
  customerId: string | null;
  amountCents: number;
  currency: string;
  method: string | null;
  reference: string | null;
  reason: string;
  status: UnappliedStatus;
  claimedInvoiceId: string | null;
  claimedAt: Date | null;
  receivedAt: Date;
}

const COLUMNS = (
  sql: Sql,
) => sql`source, id, source AS gateway, hint_invoice_id AS "invoiceId", customer_id AS "customerId", amount_cents AS "amountCents", currency, method, reference,
  reason, status, claimed_invoice_id AS "claimedInvoiceId", claimed_at AS "claimedAt", received_at AS "receivedAt"`;

/**
 * Records money that matches no open invoice, once per (source, id); a repeat changes nothing. It is
 * the customer's (part of their balance) when named, or when the invoice it hints at is theirs.
 */
export async function recordUnappliedPayment(
  sql: Sql,
  p: {
    source: string;
    id: string;
    hintInvoiceId: string | null;
    customerId?: string | null;
    amountCents: number;
    currency: string;
    method?: string;
    reference?: string;
    reason: string;
    receivedAt?: Date;
  },
): Promise<void> {
  await sql`INSERT INTO unapplied_payments (source, id, amount_cents, currency, method, reference, reason, hint_invoice_id, customer_id, received_at)
            VALUES (${p.source}, ${p.id}, ${p.amountCents}, ${p.currency}, ${p.method ?? null}, ${p.reference ?? null}, ${p.reason},
                    ${p.hintInvoiceId},
                    coalesce(${p.customerId ?? null}::uuid, (SELECT customer_id FROM invoices WHERE id = ${p.hintInvoiceId}::uuid)),
                    ${p.receivedAt ?? new Date()})
            ON CONFLICT (source, id) DO NOTHING`;
}

/** Money waiting for a human (including any being applied right now). */
export async function listUnappliedPayments(sql: Sql, limit: number): Promise<UnappliedPayment[]> {
  return sql<
    UnappliedPayment[]
  >`SELECT ${COLUMNS(sql)} FROM unapplied_payments WHERE status IN ('unapplied', 'applying') ORDER BY received_at, source, id LIMIT ${limit}`;
}

/** The unapplied payments a reference names: `<source>:<id>`, or a bare id (one per source that has it). */
export async function findUnappliedPayments(sql: Sql, ref: string): Promise<UnappliedPayment[]> {
  const colon = ref.indexOf(':');
  const scoped = colon > 0 ? sql`(source = ${ref.slice(0, colon)} AND id = ${ref.slice(colon + 1)}) OR ` : sql``;
  return sql<UnappliedPayment[]>`SELECT ${COLUMNS(sql)} FROM unapplied_payments WHERE ${scoped} id = ${ref} ORDER BY source`;
}

/**
 * Claims the payment for one invoice: of concurrent claims for different invoices exactly one wins
 * (the row lock decides); the same invoice may claim again (a retried request). A claim older than
 * `staleBefore` may be taken over by another invoice (its first claimant was found not to have it).
 */
export async function claimUnappliedPayment(
  sql: Sql,
  p: { source: string; id: string },
  invoiceId: string,
  o: { takeOverFrom?: string } = {},
): Promise<UnappliedPayment | undefined> {
  const [row] = await sql<UnappliedPayment[]>`
    UPDATE unapplied_payments SET status = 'applying', claimed_invoice_id = ${invoiceId}, claimed_at = now()
    WHERE source = ${p.source} AND id = ${p.id}
      AND (status = 'unapplied' OR (status = 'applying' AND claimed_invoice_id = ${o.takeOverFrom ?? invoiceId}))
    RETURNING ${COLUMNS(sql)}`;
  return row;
}

/** Gives a claim back (the invoice refused the payment, so it never entered its ledger). */
export async function releaseUnappliedClaim(sql: Sql, p: { source: string; id: string }, invoiceId: string): Promise<void> {
  await sql`UPDATE unapplied_payments SET status = 'unapplied', claimed_invoice_id = NULL, claimed_at = NULL
            WHERE source = ${p.source} AND id = ${p.id} AND status = 'applying' AND claimed_invoice_id = ${invoiceId}`;
}

/**
 * Marks claimed cash applied, in the projection's transaction (with the ledger row). Anything else
 * means the same money would be counted twice: the projection fails instead.
 */
export async function markUnappliedApplied(sql: Sql, p: { source: string; id: string; invoiceId: string; at: string }): Promise<void> {
  const rows = await sql`
    UPDATE unapplied_payments SET status = 'applied', claimed_invoice_id = ${p.invoiceId}, applied_at = ${p.at}
    WHERE source = ${p.source} AND id = ${p.id} AND status IN ('unapplied', 'applying') AND (claimed_invoice_id IS NULL OR claimed_invoice_id = ${p.invoiceId})
    RETURNING 1`;
  if (rows.length !== 1) throw new UnappliedClaimError(`unapplied payment ${p.source}:${p.id} is not claimed by invoice ${p.invoiceId}`);
}

/** Thrown by the projection when cash applied by a workflow was not its to apply. */
export class UnappliedClaimError extends Error {
  override readonly name = 'UnappliedClaimError';
}
