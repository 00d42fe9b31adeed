import { addDays, daysBetween, localDate, startOfLocalDay } from './schedule';

/**
 * Aging: how long an open amount is past its due date, on the customer's calendar. The one
 * definition of the buckets; the report SQL (`src/db/report-sql.ts`) is generated from it, and a
 * test holds Postgres and this function to the same answer for every day.
 */

/** The aging buckets, by days past the due date on the customer's calendar. */
export const AGING_BUCKETS = ['current', '1-30', '31-60', '61-90', '90+'] as const;
export type AgingBucket = (typeof AGING_BUCKETS)[number];

/** Each bucket but the last holds amounts up to this many days past due (not yet due is `current`). */
export const AGING_LIMITS: readonly { readonly bucket: AgingBucket; readonly throughDays: number }[] = [
  { bucket: 'current', throughDays: 0 },
  { bucket: '1-30', throughDays: 30 },
  { bucket: '31-60', throughDays: 60 },
  { bucket: '61-90', throughDays: 90 },
];
/** Beyond the last limit. */
export const OLDEST_BUCKET: AgingBucket = '90+';

/** The bucket of an amount `daysPastDue` days past its due date (zero or less: not yet due). */
export function agingBucketOf(daysPastDue: number): AgingBucket {
  return AGING_LIMITS.find((l) => daysPastDue <= l.throughDays)?.bucket ?? OLDEST_BUCKET;
}

/** How far an invoice due at `dueAt` is past due at `nowMs`, in days on the customer's calendar, and its bucket. */
export function agingAt(dueAt: string, timeZone: string, nowMs: number): { readonly daysPastDue: number; readonly bucket: AgingBucket } {
  const daysPastDue = daysBetween(localDate(Date.parse(dueAt), timeZone), localDate(nowMs, timeZone));
  return { daysPastDue, bucket: agingBucketOf(daysPastDue) };
}

/**
 * When an invoice due at `dueAt` next moves to an older bucket (the start of that day on the
 * customer's calendar), in epoch milliseconds; null once it is in the oldest.
 */
export function nextAgingChange(dueAt: string, timeZone: string, nowMs: number): number | null {
  const { daysPastDue } = agingAt(dueAt, timeZone, nowMs);
  const limit = AGING_LIMITS.find((l) => daysPastDue <= l.throughDays);
  if (!limit) return null;
  return startOfLocalDay(addDays(localDate(Date.parse(dueAt), timeZone), limit.throughDays + 1), timeZone);
}
