import { DomainError, ErrorCode } from './errors';

const UNIT_MS = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1_000 } as const;
const DURATION = /^([+-]?)((?:\d+[dhms])+)$/;
const PART = /(\d+)([dhms])/g;

/**
 * Parses a policy offset such as `-3d`, `0d`, `7d`, `1d12h`, `30s` or `2m` into signed milliseconds.
 * Days are calendar-free 24-hour periods relative to the due instant; send windows then move the
 * instant into the customer's business hours.
 */
export function parseDuration(text: string): number {
  const match = DURATION.exec(text.trim());
  if (!match) {
    throw new DomainError(ErrorCode.VALIDATION, `"${text}" is not a duration; use forms like -3d, 0d, 7d, 12h, 2m, 30s`, { value: text });
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
