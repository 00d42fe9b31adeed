import { billingPeriodOf, calendarsFor, intervalSchema, planWindow } from '../../src/domain/recurrence';

describe('calendarsFor', () => {
  it('fires a monthly plan on its day, and on the last day of months that lack it', () => {
    const calendars = calendarsFor({ every: 'month', dayOfMonth: 31 }, 9);
    const byDay = Object.fromEntries(calendars.map((c) => [c.dayOfMonth, c.month]));
    expect(byDay[31]).toEqual(['JANUARY', 'MARCH', 'MAY', 'JULY', 'AUGUST', 'OCTOBER', 'DECEMBER']);
    expect(byDay[30]).toEqual(['APRIL', 'JUNE', 'SEPTEMBER', 'NOVEMBER']);
    expect(byDay[28]).toEqual(['FEBRUARY']);
    // Every month fires exactly once.
    expect(calendars.flatMap((c) => c.month ?? []).sort()).toHaveLength(12);
    expect(calendars.every((c) => c.hour === 9 && c.minute === 0 && c.second === 0)).toBe(true);
  });

  it('fires a plan on a day every month has with one entry for all months', () => {
    expect(calendarsFor({ every: 'month', dayOfMonth: 1 }, 6)).toEqual([
      { hour: 6, minute: 0, second: 0, dayOfMonth: 1, comment: 'monthly on day 1 at 6:00' },
    ]);
  });

  it('fires a weekly plan on its weekday', () => {
    expect(calendarsFor({ every: 'week', dayOfWeek: 'friday' }, 17)).toEqual([
      { hour: 17, minute: 0, second: 0, dayOfWeek: 'FRIDAY', comment: 'every friday at 17:00' },
    ]);
  });
});

describe('billingPeriodOf', () => {
  it('names the month on the plan calendar, not in UTC', () => {
    // 1 Dec 05:30 UTC is still 30 Nov in Chicago.
    expect(billingPeriodOf({ every: 'month', dayOfMonth: 30 }, '2026-12-01T05:30:00Z', 'America/Chicago')).toBe('2026-11');
    expect(billingPeriodOf({ every: 'month', dayOfMonth: 1 }, '2026-12-01T05:30:00Z', 'Europe/Berlin')).toBe('2026-12');
  });

  it('names the ISO week for weekly plans, across a year end', () => {
    expect(billingPeriodOf({ every: 'week', dayOfWeek: 'monday' }, '2026-12-28T09:00:00Z', 'UTC')).toBe('2026-W53');
    expect(billingPeriodOf({ every: 'week', dayOfWeek: 'monday' }, '2027-01-04T09:00:00Z', 'UTC')).toBe('2027-W01');
  });
});

describe('intervalSchema', () => {
  it.each([
    [{ every: 'month', dayOfMonth: 0 }, 'must be 1–31'],
    [{ every: 'month', dayOfMonth: 32 }, 'must be 1–31'],
    [{ every: 'month', dayOfMonth: 1.5 }, 'must be a whole day'],
    [{ every: 'week', dayOfWeek: 'mon' }, 'must be one of monday'],
    [{ every: 'fortnight' }, 'must be { every: "month"'],
  ])('refuses %j', (interval, message) => {
    const result = intervalSchema.safeParse(interval);
    expect(result.success).toBe(false);
    expect(result.error!.issues[0]!.message).toContain(message);
  });
});

it('planWindow bounds the plan by local days', () => {
  expect(planWindow('2027-01-01', '2027-06-30', 'Asia/Tokyo')).toEqual({
    startAt: new Date('2026-12-31T15:00:00.000Z'),
    endAt: new Date('2027-06-30T14:59:59.999Z'),
  });
});
