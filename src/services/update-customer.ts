import type { Client } from '@temporalio/client';
import { z } from 'zod';
import type { Sql } from '../db/client';
import { settleCreditStanding } from '../db/credit-standing';
import { customerHasInvoices, updateCustomer, type CustomerChanges, type CustomerRow } from '../db/customers';
import { findPolicyVersion } from '../db/policies';
import { DomainError, ErrorCode } from '../domain/errors';
import { currencyCode, multiLine, policyName, singleLine } from '../domain/input';
import { syncStatementSchedule } from '../temporal/statement-schedules';
import { contactSchema, creditLimitsSchema, emailAddress, locale, reminderSettingsSchema, timeZone } from './create-customer';

export const statementSettingsSchema = z
  .strictObject({
    monthly: z.boolean(),
    /** @default 1 */
    dayOfMonth: z.number().int().min(1, 'must be between 1 and 28').max(28, 'must be between 1 and 28 (every month has it)').optional(),
  })
  .refine((s) => s.monthly || s.dayOfMonth === undefined, { message: 'a day of the month goes with monthly: true', path: ['dayOfMonth'] });

export const updateCustomerSchema = z
  .strictObject({
    name: singleLine(200).optional(),
    /** Replaces the primary billing contact's address. */
    email: emailAddress.optional(),
    /** Replaces every contact; the first billing one becomes the primary. */
    contacts: z
      .array(contactSchema)
      .min(1)
      .max(21)
      .refine((cs) => cs.some((c) => c.role === 'billing'), 'must include a billing contact')
      .optional(),
    timeZone: timeZone.optional(),
    currency: currencyCode.optional(),
    paymentTermsDays: z.number().int().min(0).max(365).optional(),
    /** A policy override, or null for the company default. */
    policy: policyName.nullable().optional(),
    locale: locale.optional(),
    creditLimits: creditLimitsSchema.optional(),
    creditHoldAutoRelease: z.boolean().optional(),
    reminders: reminderSettingsSchema.optional(),
    /** Monthly statements of account, on a day of the month (1–28) on the customer's calendar. */
    statements: statementSettingsSchema.optional(),
    /** Why, for the audit log. */
    reason: multiLine(500).optional(),
  })
  .refine((b) => !(b.email && b.contacts), { message: 'give email or contacts, not both', path: ['email'] })
  .refine((b) => Object.keys(b).some((k) => k !== 'reason'), { message: 'must change at least one field' });
export type UpdateCustomerInput = z.output<typeof updateCustomerSchema>;

/**
 * Changes a customer: each changed field is audited with its value before and after. A currency is
 * fixed once the customer has invoices; a policy override must exist. New limits are applied at
 * once (a customer now over its limit is held). A time zone, terms or policy change applies to new
 * invoices: running ones keep what they were issued with. The monthly statement Schedule follows
 * the record in the same transaction: a Schedule Temporal will not take undoes the change (503).
 */
export async function updateCustomerRecord(
  deps: { sql: Sql; now: () => Date; client: Client; taskQueue: string },
  customerId: string,
  input: UpdateCustomerInput,
  actor: string,
): Promise<{ customer: CustomerRow; changed: string[] }> {
  if (input.policy && !(await findPolicyVersion(deps.sql, input.policy))) {
    throw new DomainError(ErrorCode.VALIDATION, `policy "${input.policy}" does not exist`, { field: 'policy' });
  }
  const changes: CustomerChanges = {
    ...(input.name !== undefined ? { name: input.name } : {}),
    ...(input.contacts ? { contacts: input.contacts } : {}),
    ...(input.timeZone !== undefined ? { timeZone: input.timeZone } : {}),
    ...(input.currency !== undefined ? { currency: input.currency } : {}),
    ...(input.paymentTermsDays !== undefined ? { paymentTermsDays: input.paymentTermsDays } : {}),
    ...(input.policy !== undefined ? { policyName: input.policy } : {}),
    ...(input.locale !== undefined ? { locale: input.locale } : {}),
    ...(input.creditLimits ? { creditLimits: input.creditLimits } : {}),
    ...(input.creditHoldAutoRelease !== undefined ? { creditHoldAutoRelease: input.creditHoldAutoRelease } : {}),
    ...(input.reminders?.groupingWindow !== undefined ? { reminderGroupingWindow: input.reminders.groupingWindow } : {}),
    ...(input.reminders?.minGap !== undefined ? { reminderMinGap: input.reminders.minGap } : {}),
    ...(input.statements ? { statementDay: input.statements.monthly ? (input.statements.dayOfMonth ?? 1) : null } : {}),
  };
  const updated = await updateCustomer(deps.sql, customerId, changes, {
    actor,
    ...(input.reason ? { reason: input.reason } : {}),
    check: async (tx, before) => {
      if (input.currency && input.currency !== before.currency && (await customerHasInvoices(tx, customerId))) {
        throw new DomainError(ErrorCode.CURRENCY_LOCKED, `the customer has invoices in ${before.currency}; its currency cannot change`, {
          field: 'currency',
        });
      }
      if (!input.email) return;
      // The primary billing contact gets the new address; the other contacts stay.
      const primary = before.contacts.findIndex((c) => c.role === 'billing');
      return { contacts: before.contacts.map((c, i) => (i === primary ? { ...c, email: input.email! } : c)) };
    },
    afterWrite: async (_tx, row, changed) => {
      if (changed.includes('statementDay') || (row.statementDay !== null && (changed.includes('timeZone') || changed.includes('name'))))
        await syncStatementSchedule(deps.client, deps.taskQueue, row);
    },
  });
  if (!updated) throw new DomainError(ErrorCode.NOT_FOUND, `customer ${customerId} does not exist`);
  if (updated.changed.includes('creditLimits') || updated.changed.includes('creditHoldAutoRelease')) {
    await deps.sql.begin((tx) => settleCreditStanding(tx as unknown as Sql, customerId, { actor, now: deps.now() }));
  }
  return { customer: updated.row, changed: updated.changed };
}
