import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Sql } from '../db/client';
import { insertCustomer, type CustomerRow } from '../db/customers';
import { findPolicyVersion } from '../db/policies';
import { DomainError, ErrorCode } from '../domain/errors';
import { isValidTimeZone } from '../domain/schedule';
import { currencyCode, policyName, singleLine } from '../domain/input';

export const createCustomerSchema = z.strictObject({
  name: singleLine(200),
  email: z.email().max(254),
  timeZone: z.string().max(64).refine(isValidTimeZone, 'must be an IANA time zone such as Europe/Berlin'),
  currency: currencyCode,
  paymentTermsDays: z.number().int().min(0).max(365).default(30),
  policy: policyName.optional(),
});
export type CreateCustomerInput = z.input<typeof createCustomerSchema>;

/** Creates a customer; a named policy override must exist. */
export async function createCustomer(sql: Sql, raw: z.output<typeof createCustomerSchema>, actor: string): Promise<CustomerRow> {
  return (await insertNewCustomer(sql, raw, actor))!;
}

/**
 * Creates a customer carrying its ERP id; `null` when a customer with that id exists (a re-run
 * import, or a concurrent one).
 */
export async function createImportedCustomer(
  sql: Sql,
  raw: z.output<typeof createCustomerSchema>,
  externalId: string,
  actor: string,
): Promise<CustomerRow | null> {
  return insertNewCustomer(sql, raw, actor, externalId);
}

async function insertNewCustomer(
  sql: Sql,
  raw: z.output<typeof createCustomerSchema>,
  actor: string,
  externalId?: string,
): Promise<CustomerRow | null> {
  if (raw.policy && !(await findPolicyVersion(sql, raw.policy))) {
    throw new DomainError(ErrorCode.VALIDATION, `policy "${raw.policy}" does not exist`, { field: 'policy' });
  }
  return insertCustomer(
    sql,
    {
      id: randomUUID(),
      name: raw.name,
      email: raw.email,
      timeZone: raw.timeZone,
      currency: raw.currency,
      paymentTermsDays: raw.paymentTermsDays,
      policyName: raw.policy ?? null,
      ...(externalId ? { externalId } : {}),
    },
    actor,
  );
}
