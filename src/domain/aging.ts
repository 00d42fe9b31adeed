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
