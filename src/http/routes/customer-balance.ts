import { actorOf } from '../principal';
import { Router } from 'express';
import { listMovements, readBalanceDetails, type BalanceMovement } from '../../db/customer-balance';
import { findCustomer } from '../../db/customers';
import { DomainError, ErrorCode } from '../../domain/errors';
import { singleLine } from '../../domain/input';
import { applyBalanceSchema, applyCustomerBalance } from '../../services/apply-customer-balance';
import { refundBalanceSchema, refundCustomerBalance } from '../../services/refund-customer-balance';
import type { HttpContext } from '../context';
import { parseBody, parseValue } from '../errors';
import { uuidParam } from './params';

const idempotencyKey = singleLine(255).optional();

/**
 * `/api/customers/:id/balance`: the customer's unapplied cash and credit per currency, and what was
 * done with it; apply it to open invoices (oldest first, or split by hand) or record a refund.
 */
export function customerBalanceRoutes(ctx: HttpContext): Router {
  const router = Router({ mergeParams: true });
  const customerId = async (params: Record<string, string | undefined>) => {
    const id = uuidParam(params.id, 'customer');
    if (!(await findCustomer(ctx.sql, id))) throw new DomainError(ErrorCode.NOT_FOUND, `customer ${id} does not exist`);
    return id;
  };
  const balanceOf = async (id: string) => ({
    customerId: id,
    balances: (await readBalanceDetails(ctx.sql, id)).map((b) => ({
      ...b,
      totalCents: b.cashCents + b.creditCents,
      unappliedCash: b.unappliedCash.map((c) => ({ ...c, receivedAt: c.receivedAt.toISOString() })),
    })),
  });

  router.get('/', async (req, res) => {
    const id = await customerId(req.params);
    res.json({ ...(await balanceOf(id)), movements: (await listMovements(ctx.sql, id, 50)).map(present) });
  });
  /** A movement of the balance (apply, refund): decided once per Idempotency-Key, answered with the balance after it. */
  const movementRoute = <B>(
    path: string,
    parse: (body: unknown) => B,
    move: (id: string, body: B, o: { actor: string; key?: string }) => Promise<{ movement: BalanceMovement; repeated: boolean }>,
  ) =>
    router.post(path, async (req, res) => {
      const id = uuidParam((req.params as Record<string, string>).id, 'customer');
      const key = parseValue(idempotencyKey, req.get('idempotency-key'), 'Idempotency-Key');
      const { movement, repeated } = await move(id, parse(req.body ?? {}), { actor: actorOf(res), ...(key ? { key: `api:${key}` } : {}) });
      res.status(repeated ? 200 : 201).json({ movement: present(movement), repeated, ...(await balanceOf(id)) });
    });
  movementRoute(
    '/apply',
    (body) => parseBody(applyBalanceSchema, body),
    (id, body, o) => applyCustomerBalance(ctx.sql, id, body, o),
  );
  movementRoute(
    '/refund',
    (body) => parseBody(refundBalanceSchema, body),
    (id, body, o) => refundCustomerBalance(ctx.sql, id, body, o),
  );
  return router;
}

function present(m: BalanceMovement) {
  return {
    id: m.id,
    kind: m.kind,
    currency: m.currency,
    amountCents: m.cashCents + m.creditCents,
    cashCents: m.cashCents,
    creditCents: m.creditCents,
    allocations: m.allocations,
    reference: m.reference,
    actor: m.actor,
    reason: m.reason,
    createdAt: m.createdAt.toISOString(),
  };
}
