import type { LedgerEntry, LedgerFacts } from '../domain/ledger';
import { feeKey } from '../domain/ledger';
import type { InvoiceStatus } from '../domain/invoice';
import type { Sql } from './client';

export interface StoredLedger {
  readonly invoiceId: string;
  readonly number: string;
  readonly workflowId: string;
  readonly workflowStarted: boolean;
  readonly facts: LedgerFacts;
  /** Entries stored twice under one id (a ledger that cannot be keyed as the workflow keys it). */
  readonly duplicates: readonly string[];
}

interface Row {
  id: string;
  number: string;
  workflowId: string;
  workflowStarted: boolean;
  status: InvoiceStatus;
  currency: string;
  totalCents: number;
  feesCents: number;
  paidCents: number;
  refundedCents: number;
  writtenOffCents: number;
  amountDueCents: number;
  lastEventSeq: number;
  creditCents: number;
  payments: { id: string; amountCents: number; currency: string }[];
  refunds: { id: string; paymentId: string; amountCents: number; currency: string }[];
  fees: { generation: number; stepIndex: number; amountCents: number; currency: string }[];
  writeOffs: { id: string; amountCents: number; currency: string; category: string }[];
}

/**
 * One page of invoices (keyset by id, after `after`) with their stored ledger: the invoice row's
 * figures and every payment, refund, fee and credit entry behind them.
 */
export async function listStoredLedgers(
  sql: Sql,
  o: { after?: string; limit: number; invoiceIds?: readonly string[] },
): Promise<StoredLedger[]> {
  const rows = await sql<Row[]>`
    SELECT i.id, i.number, i.workflow_id AS "workflowId", i.workflow_started AS "workflowStarted", i.status, i.currency,
           i.total_cents AS "totalCents", i.fees_cents AS "feesCents", i.paid_cents AS "paidCents", i.refunded_cents AS "refundedCents",
           i.written_off_cents AS "writtenOffCents",
           i.amount_due_cents AS "amountDueCents", i.last_event_seq AS "lastEventSeq",
           coalesce((SELECT sum(c.amount_cents) FROM customer_credits c WHERE c.invoice_id = i.id), 0)::bigint AS "creditCents",
           coalesce((SELECT jsonb_agg(jsonb_build_object('id', p.id, 'amountCents', p.amount_cents, 'currency', p.currency))
                     FROM payments p WHERE p.invoice_id = i.id AND p.kind = 'payment' AND p.status = 'applied'), '[]') AS payments,
           coalesce((SELECT jsonb_agg(jsonb_build_object('id', r.id, 'paymentId', r.payment_id, 'amountCents', r.amount_cents, 'currency', r.currency))
                     FROM payments r WHERE r.invoice_id = i.id AND r.kind = 'refund' AND r.status = 'applied'), '[]') AS refunds,
           coalesce((SELECT jsonb_agg(jsonb_build_object('generation', f.policy_generation, 'stepIndex', f.step_index, 'amountCents', f.amount_cents, 'currency', f.currency))
                     FROM late_fees f WHERE f.invoice_id = i.id), '[]') AS fees,
           coalesce((SELECT jsonb_agg(jsonb_build_object('id', w.id, 'amountCents', w.amount_cents, 'currency', w.currency, 'category', w.category))
                     FROM write_offs w WHERE w.invoice_id = i.id AND w.reversed_at IS NULL), '[]') AS "writeOffs"
    FROM invoices i
    WHERE ${o.invoiceIds ? sql`i.id = ANY(${o.invoiceIds as string[]}::uuid[])` : o.after ? sql`i.id > ${o.after}` : sql`true`}
    ORDER BY i.id
    LIMIT ${o.limit}`;
  return rows.map((r) => {
    const duplicates: string[] = [];
    const keyed = <T extends object, E extends LedgerEntry>(
      kind: string,
      list: readonly T[],
      key: (e: T) => string,
      entry: (e: T) => E,
    ) => {
      const out: Record<string, E> = {};
      for (const e of list) {
        const k = key(e);
        if (out[k]) duplicates.push(`${kind} ${k}`);
        out[k] = entry(e);
      }
      return out;
    };
    const facts: LedgerFacts = {
      status: r.status,
      currency: r.currency,
      totalCents: r.totalCents,
      feesCents: r.feesCents,
      paidCents: r.paidCents,
      refundedCents: r.refundedCents,
      writtenOffCents: r.writtenOffCents,
      amountDueCents: r.amountDueCents,
      creditCents: Number(r.creditCents),
      payments: keyed(
        'payment',
        r.payments,
        (p) => p.id,
        (p) => ({ amountCents: p.amountCents, currency: p.currency }),
      ),
      refunds: keyed(
        'refund',
        r.refunds,
        (p) => p.id,
        (p) => ({ paymentId: p.paymentId, amountCents: p.amountCents, currency: p.currency }),
      ),
      fees: keyed(
        'fee',
        r.fees,
        (f) => feeKey(f.generation, f.stepIndex),
        (f) => ({ amountCents: f.amountCents, currency: f.currency }),
      ),
      writeOffs: keyed(
        'write-off',
        r.writeOffs,
        (w) => w.id,
        (w) => ({ amountCents: w.amountCents, currency: w.currency, category: w.category }),
      ),
      lastSeq: r.lastEventSeq,
    };
    return { invoiceId: r.id, number: r.number, workflowId: r.workflowId, workflowStarted: r.workflowStarted, facts, duplicates };
  });
}

export async function countInvoices(sql: Sql): Promise<number> {
  const [row] = await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM invoices`;
  return row!.n;
}

export interface UnappliedCashProblem {
  readonly source: string;
  readonly id: string;
  readonly invoiceId: string | null;
  readonly message: string;
}

/**
 * Unapplied cash counted as it should be: once marked applied it is on exactly one invoice's ledger,
 * for its amount, and until then on none (otherwise the same money would count twice).
 */
export async function findUnappliedCashProblems(sql: Sql): Promise<UnappliedCashProblem[]> {
  const rows = await sql<
    {
      source: string;
      id: string;
      status: string;
      claimedInvoiceId: string | null;
      amountCents: number;
      ledgerRows: number;
      ledgerCents: number | null;
    }[]
  >`
    SELECT u.source, u.id, u.status, u.claimed_invoice_id AS "claimedInvoiceId", u.amount_cents AS "amountCents",
           (SELECT count(*)::int FROM payments p WHERE p.kind = 'payment' AND p.id = u.id AND p.gateway = u.source) AS "ledgerRows",
           (SELECT p.amount_cents FROM payments p WHERE p.invoice_id = u.claimed_invoice_id AND p.kind = 'payment' AND p.id = u.id AND p.gateway = u.source) AS "ledgerCents"
    FROM unapplied_payments u
    WHERE u.status = 'applied' OR EXISTS (SELECT 1 FROM payments p WHERE p.kind = 'payment' AND p.id = u.id AND p.gateway = u.source)`;
  const problems: UnappliedCashProblem[] = [];
  for (const r of rows) {
    const at = { source: r.source, id: r.id, invoiceId: r.claimedInvoiceId };
    if (r.status !== 'applied')
      problems.push({
        ...at,
        message: `unapplied payment ${r.source}:${r.id} is on ${r.ledgerRows} invoice ledger(s) but still waits to be applied`,
      });
    else if (r.ledgerRows !== 1 || r.ledgerCents !== r.amountCents)
      problems.push({
        ...at,
        message: `unapplied payment ${r.source}:${r.id} of ${r.amountCents} is marked applied but is on ${r.ledgerRows} invoice ledger(s) (${r.ledgerCents ?? 'none'} on its invoice)`,
      });
  }
  return problems;
}

/**
 * Customer balance movements accounted for: each took exactly its cash (the unapplied rows it marked,
 * less the rest it put back) and its credit (its uses), handed on exactly that (applied), and no
 * invoice's credit was used beyond what it holds.
 */
export async function findBalanceProblems(sql: Sql): Promise<{ ref: string; invoiceId: string | null; message: string }[]> {
  const movements = await sql<
    { id: string; kind: string; cash: number; credit: number; taken: number; rest: number; used: number; allocated: number }[]
  >`
    SELECT m.id, m.kind, m.cash_cents::bigint::float8 AS cash, m.credit_cents::bigint::float8 AS credit,
           coalesce((SELECT sum(amount_cents) FROM unapplied_payments WHERE movement_id = m.id), 0)::float8 AS taken,
           coalesce((SELECT sum(amount_cents) FROM unapplied_payments WHERE source = 'balance' AND id = m.id || ':rest'), 0)::float8 AS rest,
           coalesce((SELECT sum(amount_cents) FROM balance_credit_uses WHERE movement_id = m.id), 0)::float8 AS used,
           coalesce((SELECT sum((a->>'amountCents')::bigint) FROM jsonb_array_elements(m.allocations) a), 0)::float8 AS allocated
    FROM balance_movements m`;
  const problems: { ref: string; invoiceId: string | null; message: string }[] = [];
  for (const m of movements) {
    const ref = `balance:${m.id}`;
    if (m.taken - m.rest !== m.cash)
      problems.push({ ref, invoiceId: null, message: `movement ${m.id} says ${m.cash} cash but took ${m.taken} and left ${m.rest}` });
    if (m.used !== m.credit)
      problems.push({ ref, invoiceId: null, message: `movement ${m.id} says ${m.credit} credit but used ${m.used}` });
    if (m.kind === 'applied' && m.allocated !== m.cash + m.credit)
      problems.push({ ref, invoiceId: null, message: `movement ${m.id} applied ${m.allocated}, not the ${m.cash + m.credit} it took` });
  }
  const overused = await sql<{ invoiceId: string; credit: number; used: number }[]>`
    SELECT u.invoice_id AS "invoiceId", coalesce(c.credit, 0)::float8 AS credit, u.used::float8 AS used
    FROM (SELECT invoice_id, sum(amount_cents) AS used FROM balance_credit_uses GROUP BY invoice_id) u
    LEFT JOIN (SELECT invoice_id, sum(amount_cents) AS credit FROM customer_credits GROUP BY invoice_id) c ON c.invoice_id = u.invoice_id
    WHERE u.used > coalesce(c.credit, 0)`;
  for (const o of overused)
    problems.push({
      ref: `credit:${o.invoiceId}`,
      invoiceId: o.invoiceId,
      message: `credit used ${o.used} is more than the ${o.credit} the invoice holds`,
    });
  return problems;
}
