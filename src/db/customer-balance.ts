import type { BalanceFunds, OpenItem } from '../domain/balance';
import type { Sql } from './client';

/** One use of a customer's balance, as stored (see `balance_movements`). */
export interface BalanceMovement {
  readonly id: string;
  readonly customerId: string;
  readonly currency: string;
  readonly kind: 'applied' | 'refunded';
  readonly cashCents: number;
  readonly creditCents: number;
  readonly allocations: readonly MovementAllocation[];
  readonly key: string | null;
  readonly reference: string | null;
  readonly actor: string;
  readonly reason: string | null;
  readonly createdAt: Date;
}

export interface MovementAllocation {
  readonly invoiceId: string;
  readonly number: string;
  readonly amountCents: number;
  /** The payments handed to the invoice: `balance:<movement>:<invoice>` (cash) and `…:credit` (credit). */
  readonly payments: readonly { readonly id: string; readonly amountCents: number; readonly funding: 'cash' | 'credit' }[];
}

const MOVEMENT = (sql: Sql) =>
  sql`id, customer_id AS "customerId", currency, kind, cash_cents::int AS "cashCents", credit_cents::int AS "creditCents", allocations,
      key, reference, actor, reason, created_at AS "createdAt"`;

/** Locks the customer's row for the caller's transaction: movements of one customer's balance happen one at a time. */
export async function lockCustomerBalance(tx: Sql, customerId: string): Promise<boolean> {
  const rows = await tx`SELECT 1 FROM customers WHERE id = ${customerId} FOR UPDATE`;
  return rows.length === 1;
}

/** What the balance holds in a currency: unapplied cash and credit left per invoice, each oldest first. */
export async function readBalanceFunds(tx: Sql, customerId: string, currency: string): Promise<BalanceFunds> {
  const details = (await readBalanceDetails(tx, customerId, currency))[0];
  return {
    cash: details?.unappliedCash.map(({ source, id, amountCents }) => ({ source, id, amountCents })) ?? [],
    credit: details?.credit.map(({ invoiceId, amountCents }) => ({ invoiceId, amountCents })) ?? [],
  };
}

/**
 * The customer's open invoices in a currency with what they owe now, less payments already on their
 * way to them (in the gateway inbox, or delivered and not yet in the invoice's row): the balance
 * never pays the same debt twice.
 */
export async function readOpenItems(tx: Sql, customerId: string, currency: string): Promise<OpenItem[]> {
  const rows = await tx<OpenItem[]>`
    SELECT i.id AS "invoiceId", i.number, to_char(i.due_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS "dueAt",
           greatest(0, i.amount_due_cents - coalesce(p.pending, 0))::int AS "amountDueCents"
    FROM invoices i
    -- Waiting in the inbox, or delivered to the workflow and not yet projected into the invoice row.
    LEFT JOIN LATERAL (
      SELECT sum((w.fact->>'amountCents')::bigint) AS pending FROM webhook_inbox w
      WHERE w.invoice_id = i.id::text AND w.fact->>'kind' = 'payment' AND w.status IN ('pending', 'delivered')
        AND NOT EXISTS (SELECT 1 FROM payments p WHERE p.kind = 'payment' AND p.id = w.fact->>'paymentId' AND p.invoice_id = i.id)
    ) p ON true
    WHERE i.customer_id = ${customerId} AND i.currency = ${currency} AND i.status = 'open' AND i.amount_due_cents > 0
    ORDER BY i.due_at, i.number`;
  return rows.filter((r) => r.amountDueCents > 0);
}

export async function findMovementByKey(sql: Sql, key: string): Promise<BalanceMovement | undefined> {
  const [row] = await sql<BalanceMovement[]>`SELECT ${MOVEMENT(sql)} FROM balance_movements WHERE key = ${key}`;
  return row;
}

export async function listMovements(sql: Sql, customerId: string, limit: number): Promise<BalanceMovement[]> {
  return sql<BalanceMovement[]>`
    SELECT ${MOVEMENT(sql)} FROM balance_movements WHERE customer_id = ${customerId} ORDER BY created_at DESC, id LIMIT ${limit}`;
}

/**
 * Records a movement with what it took: the unapplied cash rows (marked `allocated` or `refunded`)
 * and the credit per invoice. Returns undefined when a movement with the same key exists.
 */
export async function insertMovement(
  tx: Sql,
  m: Omit<BalanceMovement, 'createdAt'>,
  taken: { cash: readonly { source: string; id: string }[]; credit: readonly { invoiceId: string; amountCents: number }[] },
): Promise<BalanceMovement | undefined> {
  const [row] = await tx<BalanceMovement[]>`
    INSERT INTO balance_movements (id, customer_id, currency, kind, cash_cents, credit_cents, allocations, key, reference, actor, reason)
    VALUES (${m.id}, ${m.customerId}, ${m.currency}, ${m.kind}, ${m.cashCents}, ${m.creditCents}, ${tx.json(m.allocations as never)},
            ${m.key}, ${m.reference}, ${m.actor}, ${m.reason})
    ON CONFLICT (key) DO NOTHING
    RETURNING ${MOVEMENT(tx)}`;
  if (!row) return undefined;
  const status = m.kind === 'applied' ? 'allocated' : 'refunded';
  for (const c of taken.cash) {
    const updated = await tx`UPDATE unapplied_payments SET status = ${status}, movement_id = ${m.id}
                             WHERE source = ${c.source} AND id = ${c.id} AND status = 'unapplied' RETURNING 1`;
    if (updated.length !== 1) throw new Error(`unapplied payment ${c.source}:${c.id} was taken meanwhile`);
  }
  if (taken.credit.length > 0) {
    await tx`INSERT INTO balance_credit_uses ${tx(
      taken.credit.map((c) => ({ movement_id: m.id, invoice_id: c.invoiceId, amount_cents: c.amountCents })),
    )}`;
  }
  const data = { movementId: m.id, currency: m.currency, cashCents: m.cashCents, creditCents: m.creditCents, allocations: m.allocations };
  await tx`INSERT INTO audit_log (entity_type, entity_id, action, actor, reason, data)
           VALUES ('customer', ${m.customerId}, ${`customer.balance_${m.kind}`}, ${m.actor}, ${m.reason}, ${tx.json(data as never)})`;
  return row;
}

/** A customer's balance in one currency, item by item, as the API and portal show it. */
export interface BalanceDetails {
  readonly currency: string;
  readonly cashCents: number;
  readonly creditCents: number;
  readonly unappliedCash: readonly {
    readonly source: string;
    readonly id: string;
    readonly ref: string;
    readonly amountCents: number;
    readonly receivedAt: Date;
    readonly reference: string | null;
    readonly reason: string;
  }[];
  readonly credit: readonly { readonly invoiceId: string; readonly number: string; readonly amountCents: number }[];
}

/** Every currency the customer has a balance in, or only `currency`. */
export async function readBalanceDetails(sql: Sql, customerId: string, currency?: string): Promise<BalanceDetails[]> {
  const inCurrency = (column: string) => (currency ? sql`AND ${sql(column)} = ${currency}` : sql``);
  const [cash, credit] = await Promise.all([
    sql<
      {
        currency: string;
        source: string;
        id: string;
        ref: string;
        amountCents: number;
        receivedAt: Date;
        reference: string | null;
        reason: string;
      }[]
    >`
      SELECT currency, source, id, source || ':' || id AS ref, amount_cents::int AS "amountCents", received_at AS "receivedAt", reference, reason
      FROM unapplied_payments WHERE customer_id = ${customerId} AND status = 'unapplied' ${inCurrency('currency')}
      ORDER BY currency, received_at, source, id`,
    sql<{ currency: string; invoiceId: string; number: string; amountCents: number }[]>`
      SELECT i.currency, i.id AS "invoiceId", i.number, (c.credit - coalesce(u.used, 0))::int AS "amountCents"
      FROM invoices i
      JOIN (SELECT invoice_id, sum(amount_cents) AS credit FROM customer_credits WHERE customer_id = ${customerId} GROUP BY invoice_id) c
        ON c.invoice_id = i.id
      LEFT JOIN (SELECT invoice_id, sum(amount_cents) AS used FROM balance_credit_uses GROUP BY invoice_id) u ON u.invoice_id = i.id
      WHERE c.credit - coalesce(u.used, 0) > 0 ${inCurrency('i.currency')}
      ORDER BY i.currency, i.issue_date, i.number`,
  ]);
  const currencies = [...new Set([...cash.map((c) => c.currency), ...credit.map((c) => c.currency)])].sort();
  return currencies.map((currency) => {
    const unappliedCash = cash.filter((c) => c.currency === currency).map(({ currency: _c, ...rest }) => rest);
    const credits = credit.filter((c) => c.currency === currency).map(({ currency: _c, ...rest }) => rest);
    return {
      currency,
      cashCents: unappliedCash.reduce((s, c) => s + c.amountCents, 0),
      creditCents: credits.reduce((s, c) => s + c.amountCents, 0),
      unappliedCash,
      credit: credits,
    };
  });
}
