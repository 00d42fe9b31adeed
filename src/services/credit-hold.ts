import { z } from 'zod';
import type { Sql } from '../db/client';
import { placeCreditHold, releaseCreditHold, settleCreditStanding } from '../db/credit-standing';
import { findCustomer, type CustomerRow } from '../db/customers';
import { DomainError, ErrorCode } from '../domain/errors';
import { multiLine } from '../domain/input';

export const creditHoldSchema = z.strictObject({ reason: multiLine(500) });
export const releaseHoldSchema = z.strictObject({ reason: multiLine(500).optional() });

/**
 * Puts a customer on credit hold by hand (a collector's decision: it never clears itself). A customer
 * already on hold stays as it is, and the answer says who placed that hold.
 */
export async function placeHold(
  deps: { sql: Sql; now: () => Date },
  customerId: string,
  input: z.output<typeof creditHoldSchema>,
  actor: string,
): Promise<{ customer: CustomerRow; placed: boolean }> {
  const placed = await deps.sql.begin((tx) =>
    placeCreditHold(tx as unknown as Sql, customerId, 'api', { actor, reason: input.reason, at: deps.now() }),
  );
  const customer = await findCustomer(deps.sql, customerId);
  if (!customer) throw new DomainError(ErrorCode.NOT_FOUND, `customer ${customerId} does not exist`);
  return { customer, placed };
}

/**
 * Releases a customer's hold, whoever placed it. Refused when there is none; a customer still over
 * its credit limit is held again at once by the limit (the answer shows it).
 */
export async function releaseHold(
  deps: { sql: Sql; now: () => Date },
  customerId: string,
  input: z.output<typeof releaseHoldSchema>,
  actor: string,
): Promise<CustomerRow> {
  const existing = await findCustomer(deps.sql, customerId);
  if (!existing) throw new DomainError(ErrorCode.NOT_FOUND, `customer ${customerId} does not exist`);
  await deps.sql.begin(async (t) => {
    const tx = t as unknown as Sql;
    const now = deps.now();
    const released = await releaseCreditHold(tx, customerId, { actor, reason: input.reason ?? 'released through the API', at: now });
    if (!released) throw new DomainError(ErrorCode.NOT_ON_HOLD, `customer ${customerId} is not on credit hold`);
    await settleCreditStanding(tx, customerId, { actor, now });
  });
  return (await findCustomer(deps.sql, customerId))!;
}
