import { z } from 'zod';
import { MAX_AMOUNT_MINOR, SUPPORTED_CURRENCIES } from './money';
import { CONTROL_CHARACTERS_MESSAGE, isStorableText } from './text';

/**
 * The one validation layer for what comes in from outside: the API, the portal, the webhooks and the
 * import all build their schemas from these, so nothing reaches a workflow or Postgres that either
 * cannot hold. Text is free of control characters, amounts are positive whole minor units within
 * `MAX_AMOUNT_MINOR`, dates fall within `EARLIEST_DATE`…`LATEST_DATE`.
 */

/** The earliest calendar date accepted anywhere (an issue date, a report date). */
export const EARLIEST_DATE = '1970-01-01';
/** The latest calendar date accepted anywhere; due dates are also bounded by `MAX_TERM_DAYS`. */
export const LATEST_DATE = '2199-12-31';
/** An invoice falls due at most this many days after it is issued. */
export const MAX_TERM_DAYS = 3650;

/** One line of text (a name, a reference), trimmed, 1…`max` characters. */
export const singleLine = (max: number) =>
  z
    .string()
    .trim()
    .min(1, 'must not be empty')
    .max(max, `must be at most ${max} characters`)
    .refine((v) => isStorableText(v), CONTROL_CHARACTERS_MESSAGE);

/** Free text that may span lines (a reason, a note), trimmed, 1…`max` characters. */
export const multiLine = (max: number) =>
  z
    .string()
    .trim()
    .min(1, 'must not be empty')
    .max(max, `must be at most ${max} characters`)
    .refine((v) => isStorableText(v, { multiline: true }), CONTROL_CHARACTERS_MESSAGE);

/** An amount in minor units: a whole number, 1…`MAX_AMOUNT_MINOR` (or from 0 when `min` says so). */
export const minorUnits = (o: { min?: 0 | 1 } = {}) =>
  z
    .number({ error: 'must be a number of minor units' })
    .int('must be an integer number of minor units')
    .min(o.min ?? 1, o.min === 0 ? 'must not be negative' : 'must be greater than 0')
    .max(MAX_AMOUNT_MINOR, `must be at most ${MAX_AMOUNT_MINOR} minor units`);

export const currencyCode = z
  .string()
  .transform((c) => c.toUpperCase())
  .pipe(z.enum(SUPPORTED_CURRENCIES as [string, ...string[]], { error: 'unsupported currency' }));

/** A calendar date YYYY-MM-DD within `EARLIEST_DATE`…`LATEST_DATE`. */
export const calendarDate = z.iso
  .date({ error: 'must be a date YYYY-MM-DD' })
  .refine((d) => d >= EARLIEST_DATE && d <= LATEST_DATE, `must be between ${EARLIEST_DATE} and ${LATEST_DATE}`);

/** An ISO-8601 instant with an offset, within the same years as `calendarDate`. */
export const instant = z.iso.datetime({ offset: true, error: 'must be an ISO-8601 instant' }).refine((t) => {
  const ms = Date.parse(t);
  return ms >= Date.parse(`${EARLIEST_DATE}T00:00:00Z`) && ms <= Date.parse(`${LATEST_DATE}T23:59:59.999Z`);
}, `must be between ${EARLIEST_DATE} and ${LATEST_DATE}`);

/** A positive row id of a Postgres `integer` column (a version number), from a query string or a path. */
export const int4Id = (what: string) =>
  z.coerce
    .number({ error: `must be a ${what}` })
    .int(`must be a whole ${what}`)
    .min(1, `must be a positive ${what}`)
    .max(2_147_483_647, `must be a ${what} of at most 2147483647`);

/** Policy names: lower-case letters, digits, `-` and `_` (as documents require). */
export const POLICY_NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;
export const policyName = z.string().regex(POLICY_NAME, 'must be lower-case letters, digits, - or _ (max 63)');
