import { DateTime } from 'luxon';
import { z } from 'zod';

/**
 * How often a recurring plan bills: monthly on a day of the month, or weekly on a weekday, at a
 * local hour in the plan's time zone. Days 29–31 fall on the month's last day in shorter months.
 */
export const DAYS_OF_WEEK = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'] as const;

export const intervalSchema = z.discriminatedUnion(
  'every',
  [
    z.strictObject({
      every: z.literal('month'),
      dayOfMonth: z.number().int('must be a whole day').min(1, 'must be 1–31').max(31, 'must be 1–31'),
    }),
    z.strictObject({
      every: z.literal('week'),
      dayOfWeek: z.enum(DAYS_OF_WEEK, { error: `must be one of ${DAYS_OF_WEEK.join(', ')}` }),
    }),
  ],
  { error: 'must be { every: "month", dayOfMonth } or { every: "week", dayOfWeek }' },
);
export type Interval = z.output<typeof intervalSchema>;

/** Temporal's calendar fields, as `ScheduleSpec.calendars` takes them. */
export interface Calendar {
  readonly hour: number;
  readonly minute: 0;
  readonly second: 0;
  readonly dayOfMonth?: number;
  readonly month?: readonly Month[];
  readonly dayOfWeek?: string;
  readonly comment: string;
}
type Month =
  'JANUARY' | 'FEBRUARY' | 'MARCH' | 'APRIL' | 'MAY' | 'JUNE' | 'JULY' | 'AUGUST' | 'SEPTEMBER' | 'OCTOBER' | 'NOVEMBER' | 'DECEMBER';
const MONTHS: readonly Month[] = [
  'JANUARY',
  'FEBRUARY',
  'MARCH',
  'APRIL',
  'MAY',
  'JUNE',
  'JULY',
  'AUGUST',
  'SEPTEMBER',
  'OCTOBER',
  'NOVEMBER',
  'DECEMBER',
];
/** Days in each month, February counted as 28 (a plan on the 29th–31st bills on 28 February). */
const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * The calendar entries that fire a plan. A month without the plan's day fires on its last day
 * instead (one entry per distinct day), so "monthly on the 31st" bills every month exactly once.
 */
export function calendarsFor(interval: Interval, hour: number): Calendar[] {
  if (interval.every === 'week') {
    return [
      { hour, minute: 0, second: 0, dayOfWeek: interval.dayOfWeek.toUpperCase(), comment: `every ${interval.dayOfWeek} at ${hour}:00` },
    ];
  }
  const byDay = new Map<number, Month[]>();
  MONTHS.forEach((month, i) => {
    const day = Math.min(interval.dayOfMonth, MONTH_DAYS[i]!);
    byDay.set(day, [...(byDay.get(day) ?? []), month]);
  });
  return [...byDay].map(([dayOfMonth, month]) => ({
    hour,
    minute: 0,
    second: 0,
    dayOfMonth,
    ...(month.length < 12 ? { month } : {}),
    comment:
      dayOfMonth === interval.dayOfMonth ? `monthly on day ${dayOfMonth} at ${hour}:00` : `day ${dayOfMonth} where the month is shorter`,
  }));
}

/**
 * The billing period a firing belongs to, on the plan's calendar: `2026-12` for monthly plans,
 * the ISO week `2026-W49` for weekly ones. One invoice per plan and period, however often the
 * schedule fires for it (triggers, backfills, catch-up after an outage).
 */
export function billingPeriodOf(interval: Interval, scheduledAt: string | Date, timeZone: string): string {
  const local = DateTime.fromJSDate(new Date(scheduledAt), { zone: timeZone });
  if (!local.isValid) throw new RangeError(`invalid instant or zone: ${String(scheduledAt)} ${timeZone}`);
  return interval.every === 'month' ? local.toFormat('yyyy-LL') : `${local.weekYear}-W${String(local.weekNumber).padStart(2, '0')}`;
}

/** The plan's first and last instants from its optional local start and end dates. */
export function planWindow(startsOn: string | null, endsOn: string | null, timeZone: string): { startAt?: Date; endAt?: Date } {
  const day = (date: string) => DateTime.fromISO(date, { zone: timeZone });
  return {
    ...(startsOn ? { startAt: day(startsOn).startOf('day').toJSDate() } : {}),
    ...(endsOn ? { endAt: day(endsOn).endOf('day').toJSDate() } : {}),
  };
}
