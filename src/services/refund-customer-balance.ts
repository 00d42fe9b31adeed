import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Sql } from '../db/client';
import { insertMovement, lockCustomerBalance, readBalanceFunds } from '../db/customer-balance';
import { enqueueOutboundEvents } from '../db/outbound-events';
import { availableCents, planBalanceRefund } from '../domain/balance';
import { DomainError, ErrorCode } from '../domain/errors';
import { currencyCode, minorUnits, singleLine } from '../domain/input';
import { keepCashRest, movementStart, type BalanceMoveResult } from './apply-customer-balance';

export const refundBalanceSchema = z.strictObject({
  /** @default the customer's currency */
  currency: currencyCode.optional(),
  /** @default the whole balance in the currency */
  amountCents: minorUnits().optional(),
  /** How the money went back (the outgoing transfer's reference), for reconciliation. */
  reference: singleLine(200).optional(),
  reason: singleLine(500).min(1, 'say why the money goes back'),
});

/**
 * Records that part or all of a customer's balance was paid back to them (the transfer itself is
 * made outside, by finance or by an integration listening for `customer.balance_refunded`): the
 * cash and credit it took leave the balance, once per Idempotency-Key, in one transaction with the
 * audit row and the outbound event.
 */
export async function refundCustomerBalance(
  sql: Sql,
  customerId: string,
  input: z.output<typeof refundBalanceSchema>,
  o: { actor: string; key?: string },
): Promise<BalanceMoveResult> {
  const { customer, currency, repeat } = await movementStart(sql, customerId, { kind: 'refunded', currency: input.currency, key: o.key });
  if (repeat) return repeat;
  return sql.begin(async (t) => {
    const tx = t as unknown as Sql;
    await lockCustomerBalance(tx, customerId);
    const funds = await readBalanceFunds(tx, customerId, currency);
    const available = availableCents(funds);
    const plan = planBalanceRefund(funds, input.amountCents ?? available.cashCents + available.creditCents);
    const movement = await insertMovement(
      tx,
      {
        id: randomUUID(),
        customerId,
        currency,
        kind: 'refunded',
        cashCents: plan.cashCents,
        creditCents: plan.creditCents,
        allocations: [],
        key: o.key ?? null,
        reference: input.reference ?? null,
        actor: o.actor,
        reason: input.reason,
      },
      { cash: plan.cashTaken, credit: plan.creditUsed },
    );
    if (!movement) throw new DomainError(ErrorCode.IDEMPOTENCY_CONFLICT, 'a request with this key is being processed; retry');
    await keepCashRest(tx, movement, plan);
    await enqueueOutboundEvents(tx, null, [
      {
        id: `evt_balance_${movement.id.replaceAll('-', '')}_refunded`,
        type: 'customer.balance_refunded',
        createdAt: movement.createdAt.toISOString(),
        data: {
          customer: { id: customer.id, name: customer.name },
          currency,
          amountCents: plan.cashCents + plan.creditCents,
          cashCents: plan.cashCents,
          creditCents: plan.creditCents,
          reference: input.reference ?? null,
          actor: o.actor,
          reason: input.reason,
        },
      },
    ]);
    return { movement, repeated: false };
  }) as Promise<BalanceMoveResult>;
}
