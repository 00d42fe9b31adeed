import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Sql } from '../db/client';
import {
  findMovementByKey,
  insertMovement,
  lockCustomerBalance,
  readBalanceFunds,
  readOpenItems,
  type BalanceMovement,
  type MovementAllocation,
} from '../db/customer-balance';
import { findCustomer, type CustomerRow } from '../db/customers';
import { recordUnappliedPayment } from '../db/unapplied-payments';
import { insertInboxEvents } from '../db/webhook-inbox';
import { availableCents, oldestFirst, planBalanceUse, type BalancePlan } from '../domain/balance';
import { DomainError, ErrorCode } from '../domain/errors';
import { currencyCode, minorUnits, singleLine } from '../domain/input';
import type { GatewayEvent } from '../gateways/types';

/** The inbox's gateway name for payments a customer's balance makes (`balance:<movement>:<invoice>[:credit]`). */
export const BALANCE_SOURCE = 'balance';

export const applyBalanceSchema = z
  .strictObject({
    /** @default the customer's currency */
    currency: currencyCode.optional(),
    /** How much to apply, oldest invoice first. @default everything the balance can pay */
    amountCents: minorUnits().optional(),
    /** Or exactly which invoices get how much. */
    allocations: z
      .array(z.strictObject({ invoiceId: z.uuid({ error: 'must be an invoice id' }), amountCents: minorUnits() }))
      .min(1, 'name at least one invoice')
      .max(200, 'at most 200 invoices at once')
      .optional(),
    reason: singleLine(500).optional(),
  })
  .refine((b) => !(b.amountCents !== undefined && b.allocations), {
    message: 'give amountCents or allocations, not both',
    path: ['allocations'],
  });
export type ApplyBalanceInput = z.output<typeof applyBalanceSchema>;

export interface BalanceMoveResult {
  readonly movement: BalanceMovement;
  /** True when the key named a movement made before: nothing moved again. */
  readonly repeated: boolean;
}

/**
 * Applies a customer's unapplied cash and credit to their open invoices: the oldest due first (or
 * as the caller splits it), cash before credit. The decision is recorded once, with the cash rows
 * and credit it took, in one transaction that also hands each invoice its payments through the
 * gateway inbox (delivered exactly once, like a bank line's). Movements of one customer are
 * serialised, so two requests never spend the same money.
 */
export async function applyCustomerBalance(
  sql: Sql,
  customerId: string,
  input: ApplyBalanceInput,
  o: { actor: string; key?: string; reference?: string },
): Promise<BalanceMoveResult> {
  const { currency, repeat } = await movementStart(sql, customerId, { kind: 'applied', currency: input.currency, key: o.key });
  if (repeat) return repeat;
  return sql.begin(async (t) => {
    const tx = t as unknown as Sql;
    await lockCustomerBalance(tx, customerId);
    const [funds, open] = await Promise.all([readBalanceFunds(tx, customerId, currency), readOpenItems(tx, customerId, currency)]);
    const available = availableCents(funds);
    const balance = available.cashCents + available.creditCents;
    const targets =
      input.allocations ??
      oldestFirst(
        open,
        Math.min(
          input.amountCents ?? balance,
          open.reduce((s, i) => s + i.amountDueCents, 0),
        ),
      );
    if (targets.length === 0) {
      throw new DomainError(
        open.length === 0 ? ErrorCode.INVOICE_NOT_OPEN : ErrorCode.INSUFFICIENT_BALANCE,
        open.length === 0 ? `customer has no open invoice in ${currency}` : `the balance in ${currency} is empty`,
        { field: 'currency' },
      );
    }
    const seen = new Set<string>();
    for (const [i, a] of targets.entries()) {
      if (seen.has(a.invoiceId))
        throw new DomainError(ErrorCode.VALIDATION, 'names an invoice twice', { field: `allocations.${i}.invoiceId` });
      seen.add(a.invoiceId);
    }
    const plan = planBalanceUse(funds, open, targets);
    const id = randomUUID();
    const movement = await insertMovement(
      tx,
      {
        id,
        customerId,
        currency,
        kind: 'applied',
        cashCents: plan.cashCents,
        creditCents: plan.creditCents,
        allocations: allocationsOf(id, plan),
        key: o.key ?? null,
        reference: o.reference ?? null,
        actor: o.actor,
        reason: input.reason ?? null,
      },
      { cash: plan.cashTaken, credit: plan.creditUsed },
    );
    if (!movement) throw new DomainError(ErrorCode.IDEMPOTENCY_CONFLICT, 'a request with this key is being processed; retry');
    await keepCashRest(tx, movement, plan);
    await insertInboxEvents(tx, BALANCE_SOURCE, paymentsOf(movement, o.reference));
    return { movement, repeated: false };
  }) as Promise<BalanceMoveResult>;
}

/**
 * A gateway payment that names a customer and no invoice: kept as the customer's unapplied cash,
 * then applied oldest first as far as their open invoices go (what is left stays in the balance).
 * Keyed by the payment, so a redelivered event moves nothing twice.
 */
export async function applyGatewayCustomerPayment(
  sql: Sql,
  p: {
    gateway: string;
    paymentId: string;
    customerId: string;
    amountCents: number;
    currency: string;
    method?: string;
    reference?: string;
    receivedAt: Date;
  },
): Promise<{ applied: BalanceMovement | null; note: string }> {
  const key = `${p.gateway}:${p.paymentId}`;
  const earlier = await findMovementByKey(sql, key);
  if (earlier) return { applied: earlier, note: 'applied before' };
  await recordUnappliedPayment(sql, {
    source: p.gateway,
    id: p.paymentId,
    hintInvoiceId: null,
    customerId: p.customerId,
    amountCents: p.amountCents,
    currency: p.currency,
    reason: 'paid to the customer account, not to an invoice',
    receivedAt: p.receivedAt,
    ...(p.method ? { method: p.method } : {}),
    ...(p.reference ? { reference: p.reference } : {}),
  });
  try {
    const { movement } = await applyCustomerBalance(
      sql,
      p.customerId,
      { currency: p.currency, amountCents: p.amountCents },
      { actor: `gateway:${p.gateway}`, key, reference: p.reference ?? p.paymentId },
    );
    return { applied: movement, note: `applied to ${movement.allocations.map((a) => a.number).join(', ')}` };
  } catch (err) {
    if (err instanceof DomainError && (err.code === ErrorCode.INVOICE_NOT_OPEN || err.code === ErrorCode.INSUFFICIENT_BALANCE))
      return { applied: null, note: `kept as the customer's unapplied cash: ${err.message}` };
    throw err;
  }
}

/**
 * The guards every movement starts with: the customer exists, the currency (theirs by default), and
 * a repeated key, which answers with the movement it made unless it now asks for something else.
 */
export async function movementStart(
  sql: Sql,
  customerId: string,
  asked: { kind: BalanceMovement['kind']; currency: string | undefined; key: string | undefined },
): Promise<{ customer: CustomerRow; currency: string; repeat: BalanceMoveResult | null }> {
  const customer = await findCustomer(sql, customerId);
  if (!customer) throw new DomainError(ErrorCode.NOT_FOUND, `customer ${customerId} does not exist`);
  const currency = asked.currency ?? customer.currency;
  const earlier = asked.key ? await findMovementByKey(sql, asked.key) : undefined;
  if (!earlier) return { customer, currency, repeat: null };
  if (earlier.kind !== asked.kind || earlier.currency !== currency) {
    throw new DomainError(
      ErrorCode.IDEMPOTENCY_CONFLICT,
      `this Idempotency-Key was used for a ${earlier.currency} movement (${earlier.kind})`,
    );
  }
  return { customer, currency, repeat: { movement: earlier, repeated: true } };
}

/** Unapplied cash is taken whole; what the movement did not need goes back to the balance as a new row. */
export async function keepCashRest(tx: Sql, movement: BalanceMovement, plan: BalancePlan): Promise<void> {
  if (plan.cashRestCents <= 0) return;
  await recordUnappliedPayment(tx, {
    source: BALANCE_SOURCE,
    id: `${movement.id}:rest`,
    hintInvoiceId: null,
    customerId: movement.customerId,
    amountCents: plan.cashRestCents,
    currency: movement.currency,
    method: 'customer_balance',
    reason: 'left over when the balance was applied',
  });
}

function allocationsOf(movementId: string, plan: BalancePlan): MovementAllocation[] {
  return plan.allocations.map((a) => ({
    invoiceId: a.invoiceId,
    number: a.number,
    amountCents: a.cashCents + a.creditCents,
    payments: [
      ...(a.cashCents > 0
        ? [{ id: `${BALANCE_SOURCE}:${movementId}:${a.invoiceId}`, amountCents: a.cashCents, funding: 'cash' as const }]
        : []),
      ...(a.creditCents > 0
        ? [{ id: `${BALANCE_SOURCE}:${movementId}:${a.invoiceId}:credit`, amountCents: a.creditCents, funding: 'credit' as const }]
        : []),
    ],
  }));
}

/** Credit is not money collected: its payments say `customer_credit`, which reports leave out of cash collected. */
function paymentsOf(movement: BalanceMovement, reference: string | undefined): GatewayEvent[] {
  return movement.allocations.flatMap((a) =>
    a.payments.map((p) => ({
      id: p.id,
      type: 'balance.applied',
      occurredAt: movement.createdAt.toISOString(),
      fact: {
        kind: 'payment' as const,
        invoiceId: a.invoiceId,
        paymentId: p.id,
        amountCents: p.amountCents,
        currency: movement.currency,
        method: p.funding === 'credit' ? 'customer_credit' : 'customer_balance',
        reference: (reference ?? `customer balance ${movement.id}`).slice(0, 200),
      },
    })),
  );
}
