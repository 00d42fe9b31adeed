import { DomainError, ErrorCode } from './errors';

const UNIT_MS = { w: 604_800_000, d: 86_400_000, h: 3_600_000, m: 60_000, s: 1_000 } as const;
const DURATION = /^([+-]?)((?:\d+[wdhms])+)$/;
const PART = /(\d+)([wdhms])/g;
const CALENDAR = /^[+-]?(?:\d+[wd])+$/;

/**
 * Parses an offset such as `-3d`, `0d`, `7d`, `2w`, `1d12h`, `30s` or `2m` into signed milliseconds
 * (a week is 7 days, a day 24 hours). How the schedule reads them: `calendarDays` and `computeSchedule`.
 */
export function parseDuration(text: string): number {
  const match = DURATION.exec(text.trim());
  if (!match) {
    throw new DomainError(ErrorCode.VALIDATION, `"${text}" is not a duration; use forms like -3d, 0d, 7d, 2w, 12h, 2m, 30s`, {
      value: text,
    });
  }
  let total = 0;
  for (const [, count, unit] of match[2]!.matchAll(PART)) {
    total += Number(count) * UNIT_MS[unit as keyof typeof UNIT_MS];
  }
  if (!Number.isSafeInteger(total)) {
    throw new DomainError(ErrorCode.VALIDATION, `duration "${text}" is too large`, { value: text });
  }
  return match[1] === '-' ? -total : total;
}

export function isDuration(text: string): boolean {
  return DURATION.test(text.trim());
}

/**
 * The whole number of calendar days an offset made of weeks and days only says (`-3d`, `2w`,
 * `1w2d`), or null for an offset with hours, minutes or seconds (which stays relative to an instant).
 */
export function calendarDays(text: string): number | null {
  const t = text.trim();
  if (!CALENDAR.test(t)) return null;
  return Math.round(parseDuration(t) / UNIT_MS.d);
}
