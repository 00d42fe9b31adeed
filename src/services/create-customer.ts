import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Sql } from '../db/client';
import { insertCustomer, type CustomerRow } from '../db/customers';
import { findPolicyVersion } from '../db/policies';
import { CONTACT_ROLES, type Contact } from '../domain/customer';
import { isDuration, parseDuration } from '../domain/duration';
import { DomainError, ErrorCode } from '../domain/errors';
import { STEP_TEMPLATES } from '../domain/policy';
import { isValidTimeZone } from '../domain/schedule';
import { currencyCode, minorUnits, policyName, singleLine } from '../domain/input';

const DAY_MS = 86_400_000;

export const emailAddress = z.email({ error: 'must be an email address' }).max(254);
export const timeZone = z.string().max(64).refine(isValidTimeZone, 'must be an IANA time zone such as Europe/Berlin');
/** A BCP 47 language tag such as `en`, `de-CH`; emails and documents are written in it where we can. */
export const locale = z
  .string()
  .max(35)
  .refine((v) => {
    try {
      return Intl.getCanonicalLocales(v).length === 1;
    } catch {
      return false;
    }
  }, 'must be a language tag such as en or de-CH')
  .transform((v) => Intl.getCanonicalLocales(v)[0]!);

export const contactSchema = z
  .strictObject({
    email: emailAddress,
    name: singleLine(200).optional(),
    role: z.enum(CONTACT_ROLES, { error: `must be one of ${CONTACT_ROLES.join(', ')}` }),
    /** For an escalation contact: the first template (in severity order) that copies them, e.g. final_notice. */
    escalateFrom: z.enum(STEP_TEMPLATES, { error: `must be one of ${STEP_TEMPLATES.join(', ')}` }).optional(),
  })
  .refine((c) => (c.role === 'escalation') === (c.escalateFrom !== undefined), {
    message: 'an escalation contact needs escalateFrom, and only an escalation contact has one',
    path: ['escalateFrom'],
  })
  .transform((c): Contact => ({ email: c.email, name: c.name ?? null, role: c.role, escalateFrom: c.escalateFrom ?? null }));

export const creditLimitsSchema = z
  .array(z.strictObject({ currency: currencyCode, limitCents: minorUnits({ min: 0 }) }))
  .max(50)
  .refine((ls) => new Set(ls.map((l) => l.currency)).size === ls.length, 'must name each currency once');

/** A duration for the reminder settings: 0s…30d. */
const settingDuration = z
  .string()
  .max(32)
  .refine(isDuration, 'must be a duration such as 1h or 2d')
  .refine((d) => !isDuration(d) || (parseDuration(d) >= 0 && parseDuration(d) <= 30 * DAY_MS), 'must be between 0s and 30d');

export const reminderSettingsSchema = z.strictObject({
  /** Reminders falling due within this window of each other go out as one email. */
  groupingWindow: settingDuration.nullable().optional(),
  /** At least this long between two reminder emails to the customer. */
  minGap: settingDuration.nullable().optional(),
});

export const createCustomerSchema = z.strictObject({
  name: singleLine(200),
  /** The primary billing contact. */
  email: emailAddress,
  timeZone,
  currency: currencyCode,
  paymentTermsDays: z.number().int().min(0).max(365).default(30),
  policy: policyName.optional(),
  locale: locale.optional(),
  /** Further contacts, after the primary one. */
  contacts: z.array(contactSchema).max(20).optional(),
  creditLimits: creditLimitsSchema.optional(),
  creditHoldAutoRelease: z.boolean().optional(),
  reminders: reminderSettingsSchema.optional(),
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
      ...(raw.locale ? { locale: raw.locale } : {}),
      ...(raw.contacts ? { contacts: raw.contacts } : {}),
      ...(raw.creditLimits ? { creditLimits: raw.creditLimits } : {}),
      ...(raw.creditHoldAutoRelease !== undefined ? { creditHoldAutoRelease: raw.creditHoldAutoRelease } : {}),
      ...(raw.reminders?.groupingWindow ? { reminderGroupingWindow: raw.reminders.groupingWindow } : {}),
      ...(raw.reminders?.minGap ? { reminderMinGap: raw.reminders.minGap } : {}),
      ...(externalId ? { externalId } : {}),
    },
    actor,
  );
}
