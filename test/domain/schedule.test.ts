import { DateTime } from 'luxon';
import { parseDuration } from '../../src/domain/duration';
import { EARLIER_STANDARD_POLICIES, STANDARD_POLICY, type PolicyDocument } from '../../src/domain/policy';
import { computeSchedule, endOfLocalDay, nextOpening } from '../../src/domain/schedule';

const weekdays9to17 = { days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '09:00', end: '17:00' } as const;

describe('parseDuration', () => {
  it.each([
    ['-3d', -3 * 86_400_000],
    ['0d', 0],
    ['7d', 7 * 86_400_000],
    ['30s', 30_000],
    ['2m', 120_000],
    ['1d12h', 36 * 3_600_000],
    ['2w', 14 * 86_400_000],
  ])('%s', (text, ms) => expect(parseDuration(text)).toBe(ms));

  it.each(['', '3', 'd', '3y', '1.5d', '--3d', '3d-'])('rejects %p', (text) => {
    expect(() => parseDuration(text)).toThrow(/not a duration/);
  });
});

describe('computeSchedule, instant rules (invoices started before calendar-day offsets)', () => {
  it('places the standard ladder at offsets from the due instant', () => {
    const dueAt = '2026-03-31T21:59:59.999Z';
    const steps = computeSchedule({ policy: EARLIER_STANDARD_POLICIES[0]!, dueAt, timeZone: 'UTC' });
    expect(steps.map((s) => s.sendAt)).toEqual([
      '2026-03-28T21:59:59.999Z',
      '2026-03-31T21:59:59.999Z',
      '2026-04-07T21:59:59.999Z',
      '2026-04-14T21:59:59.999Z',
      '2026-04-30T21:59:59.999Z',
      '2026-05-15T21:59:59.999Z',
    ]);
    expect(steps[3]!.lateFee).toEqual({ percent: 1.5 });
    expect(steps[4]).toMatchObject({ creditHold: true, finalNotice: true });
    expect(steps[5]!.handOff).toBe(true);
  });

  it('shifts the ladder by time paused', () => {
    const [step] = computeSchedule({
      policy: { name: 'p', steps: [{ offset: '1d', template: 'reminder_overdue' }] },
      dueAt: '2026-01-01T00:00:00Z',
      timeZone: 'UTC',
      shiftMs: 3_600_000,
    });
    expect(step!.sendAt).toBe('2026-01-02T01:00:00.000Z');
  });

  it('moves a step outside the window to the next opening in the customer zone', () => {
    const policy: PolicyDocument = { name: 'w', steps: [{ offset: '0d', template: 'reminder_due_today' }], sendWindow: weekdays9to17 };
    // Due Friday 2026-03-06 23:59:59 in New York → next opening Monday 09:00 EST.
    const dueAt = endOfLocalDay('2026-03-06', 'America/New_York');
    const [step] = computeSchedule({ policy, dueAt, timeZone: 'America/New_York' });
    expect(step!.scheduledAt).toBe('2026-03-07T04:59:59.999Z');
    expect(step!.sendAt).toBe('2026-03-09T13:00:00.000Z'); // 09:00 EDT (DST began 2026-03-08)
  });
});

describe('nextOpening', () => {
  const ny = 'America/New_York';
  it('keeps an instant already inside the window', () => {
    const t = Date.parse('2026-03-04T15:00:00Z'); // Wed 10:00 EST
    expect(nextOpening(t, weekdays9to17, ny)).toBe(t);
  });
  it('moves an early-morning instant to 09:00 the same day', () => {
    expect(new Date(nextOpening(Date.parse('2026-03-04T11:00:00Z'), weekdays9to17, ny)).toISOString()).toBe('2026-03-04T14:00:00.000Z');
  });
  it('treats the end of the window as closed', () => {
    expect(new Date(nextOpening(Date.parse('2026-03-04T22:00:00Z'), weekdays9to17, ny)).toISOString()).toBe('2026-03-05T14:00:00.000Z');
  });
  it('stays at 09:00 local across the spring-forward change', () => {
    // Saturday 2026-03-07 → Monday 09:00 EDT = 13:00Z (was 14:00Z the week before).
    expect(new Date(nextOpening(Date.parse('2026-03-07T15:00:00Z'), weekdays9to17, ny)).toISOString()).toBe('2026-03-09T13:00:00.000Z');
  });
  it('stays at 09:00 local across the fall-back change in Europe', () => {
    // Saturday 2026-10-24 in Berlin → Monday 2026-10-26 09:00 CET = 08:00Z.
    expect(new Date(nextOpening(Date.parse('2026-10-24T10:00:00Z'), weekdays9to17, 'Europe/Berlin')).toISOString()).toBe(
      '2026-10-26T08:00:00.000Z',
    );
  });
  it('resolves an opening inside a DST gap forward', () => {
    const window = { days: ['sun'], start: '02:30', end: '04:00' } as const;
    // 02:30 does not exist on 2026-03-08 in New York; clocks jump to 03:00 EDT (07:00Z).
    const at = nextOpening(Date.parse('2026-03-08T05:00:00Z'), window, ny);
    expect(new Date(at).toISOString()).toBe('2026-03-08T07:30:00.000Z');
  });
  it('uses the customer zone, not the host zone, for the weekday', () => {
    // Monday 2026-03-09 01:00 in Tokyo is still Sunday in UTC.
    const at = Date.parse('2026-03-08T16:00:00Z');
    expect(new Date(nextOpening(at, weekdays9to17, 'Asia/Tokyo')).toISOString()).toBe('2026-03-09T00:00:00.000Z');
  });
});

describe('policies stored before offsets were bounded', () => {
  it('act at ten years from the due date instead of at a date no clock can show', () => {
    const policy: PolicyDocument = {
      name: 'old',
      steps: [
        { offset: '99999999d', template: 'reminder_overdue' },
        { offset: '999999999999999999d', template: 'final_notice' },
      ],
    };
    const [far, beyond] = computeSchedule({ policy, dueAt: '2026-12-31T23:59:59.999Z', timeZone: 'UTC' });
    expect(far!.scheduledAt).toBe('2036-12-28T23:59:59.999Z');
    expect(beyond!.scheduledAt).toBe('2036-12-28T23:59:59.999Z');
  });
});

describe('computeSchedule, calendar rules: day offsets are days on the customer calendar', () => {
  const calendar = (policy: PolicyDocument, dueDate: string, timeZone: string, shiftMs = 0) =>
    computeSchedule({ policy, dueAt: endOfLocalDay(dueDate, timeZone), timeZone, shiftMs, rules: 'calendar' });
  const local = (iso: string, zone: string) => DateTime.fromISO(iso, { zone }).toFormat('ccc yyyy-MM-dd HH:mm');
  const noWindow = (offsets: string[]): PolicyDocument => ({
    name: 'n',
    steps: offsets.map((offset) => ({ offset, template: 'reminder_overdue' as const })),
  });

  it('acts on the due date at the window opening, not at 09:00 the next day (due 15 Dec in Berlin)', () => {
    const steps = calendar(STANDARD_POLICY, '2026-12-15', 'Europe/Berlin');
    expect(steps.map((s) => local(s.sendAt, 'Europe/Berlin'))).toEqual([
      'Mon 2026-12-14 09:00', // -3d is Saturday 12 December: the next opening
      'Tue 2026-12-15 09:00', // due today, on the due day
      'Tue 2026-12-22 09:00',
      'Tue 2026-12-29 09:00',
      'Thu 2027-01-14 09:00',
      'Fri 2027-01-29 09:00',
    ]);
  });

  it('acts at 09:00 local when the policy has no window, weekends included', () => {
    const steps = calendar(noWindow(['-3d', '0d', '4d']), '2026-12-15', 'America/Chicago');
    expect(steps.map((s) => s.sendAt)).toEqual(['2026-12-12T15:00:00.000Z', '2026-12-15T15:00:00.000Z', '2026-12-19T15:00:00.000Z']);
  });

  it('stays at 09:00 on the wall clock across both daylight-saving changes', () => {
    const spring = calendar(noWindow(['1d', '2d', '3d']), '2026-03-28', 'Europe/Berlin'); // clocks go forward on 29 March
    expect(spring.map((s) => s.sendAt)).toEqual(['2026-03-29T07:00:00.000Z', '2026-03-30T07:00:00.000Z', '2026-03-31T07:00:00.000Z']);
    const autumn = calendar(noWindow(['0d', '1d']), '2026-10-24', 'Europe/Berlin'); // back on 25 October
    expect(autumn.map((s) => s.sendAt)).toEqual(['2026-10-24T07:00:00.000Z', '2026-10-25T08:00:00.000Z']);
  });

  it.each([
    ['Pacific/Pago_Pago', '2026-12-31T20:00:00.000Z'], // UTC−11
    ['America/Sao_Paulo', '2026-12-31T12:00:00.000Z'],
    ['UTC', '2026-12-31T09:00:00.000Z'],
    ['Asia/Kathmandu', '2026-12-31T03:15:00.000Z'], // UTC+05:45
    ['Pacific/Chatham', '2026-12-30T19:15:00.000Z'], // UTC+13:45 in summer
    ['Pacific/Kiritimati', '2026-12-30T19:00:00.000Z'], // UTC+14: the day before in UTC
  ])('due today in %s is 09:00 there on the due date', (zone, sendAt) => {
    const [step] = calendar(noWindow(['0d']), '2026-12-31', zone);
    expect(step!.sendAt).toBe(sendAt);
  });

  it('reads weeks as seven days and keeps sub-day offsets relative to the due instant', () => {
    const steps = calendar(noWindow(['2w', '1w1d', '30s', '1d12h']), '2026-12-15', 'UTC');
    expect(steps.map((s) => s.sendAt)).toEqual([
      '2026-12-29T09:00:00.000Z',
      '2026-12-23T09:00:00.000Z',
      '2026-12-16T00:00:29.999Z', // the end of the due day + 30 s
      '2026-12-17T11:59:59.999Z',
    ]);
  });

  it('pushes a step by the time disputed, into the next opening when it falls outside the window', () => {
    const policy: PolicyDocument = { ...STANDARD_POLICY, steps: [{ offset: '7d', template: 'reminder_overdue' }] };
    // Due Tue 15 Dec → +7d Tue 22 Dec 09:00; 3 h disputed → 12:00, inside the window.
    expect(local(calendar(policy, '2026-12-15', 'Europe/Berlin', 3 * 3_600_000)[0]!.sendAt, 'Europe/Berlin')).toBe('Tue 2026-12-22 12:00');
    // 3 days 10 h disputed → Fri 25 Dec 19:00, after hours → Monday 28 Dec 09:00.
    expect(local(calendar(policy, '2026-12-15', 'Europe/Berlin', (3 * 24 + 10) * 3_600_000)[0]!.sendAt, 'Europe/Berlin')).toBe(
      'Mon 2026-12-28 09:00',
    );
  });
});

describe('computeSchedule, an endless tail (repeatEvery)', () => {
  const policy: PolicyDocument = {
    name: 'endless',
    steps: [
      { offset: '0d', template: 'reminder_due_today' },
      { offset: '7d', template: 'reminder_overdue' },
    ],
    sendWindow: weekdays9to17,
    repeatEvery: '7d',
  };
  // Due Tuesday 1 December 2026 in Berlin.
  const base = { policy, dueAt: endOfLocalDay('2026-12-01', 'Europe/Berlin'), timeZone: 'Europe/Berlin', rules: 'calendar' as const };
  const local = (iso: string) => DateTime.fromISO(iso, { zone: 'Europe/Berlin' }).toFormat('ccc yyyy-MM-dd HH:mm');

  it("lists the first repetition a week after the last step, at the opening, with the last step's template", () => {
    const steps = computeSchedule(base);
    expect(steps.map((s) => [s.index, s.offset, s.template, s.repetition ?? null, local(s.sendAt)])).toEqual([
      [0, '0d', 'reminder_due_today', null, 'Tue 2026-12-01 09:00'],
      [1, '7d', 'reminder_overdue', null, 'Tue 2026-12-08 09:00'],
      [2, '14d', 'reminder_overdue', 1, 'Tue 2026-12-15 09:00'],
    ]);
    expect(steps[2]).toMatchObject({ creditHold: false, finalNotice: false, handOff: false });
    expect(steps[2]!.lateFee).toBeUndefined();
  });

  it('lists, around an instant, the latest repetition due and the next one (after an outage: no burst)', () => {
    // 80 days later: repetitions 1…10 have passed; only the tenth is due, the eleventh is next.
    const now = Date.parse('2027-02-20T12:00:00Z');
    const tail = computeSchedule({ ...base, repeatAround: now }).slice(2);
    expect(tail.map((s) => [s.index, s.repetition, local(s.sendAt)])).toEqual([
      [11, 10, 'Tue 2027-02-16 09:00'],
      [12, 11, 'Tue 2027-02-23 09:00'],
    ]);
    // Before the last step, the tail starts at its first repetition.
    expect(
      computeSchedule({ ...base, repeatAround: Date.parse('2026-12-02T00:00:00Z') })
        .slice(2)
        .map((s) => s.repetition),
    ).toEqual([1]);
  });

  it('stays at 09:00 on the wall clock across daylight saving, and merges repetitions a closed window delays', () => {
    const march = computeSchedule({ ...base, repeatAround: Date.parse('2027-04-01T00:00:00Z') }).slice(2);
    expect(march.map((s) => local(s.sendAt))).toEqual(['Tue 2027-03-30 09:00', 'Tue 2027-04-06 09:00']);
    // Daily repetitions under a Mon–Fri window: Saturday's and Sunday's wait for Monday, where only
    // the latest of them (Monday's own) acts.
    const daily = { ...base, policy: { ...policy, repeatEvery: '1d' } };
    const monday = computeSchedule({ ...daily, repeatAround: Date.parse('2026-12-14T08:30:00Z') }).slice(2);
    expect(monday.map((s) => [s.repetition, local(s.sendAt)])).toEqual([
      [6, 'Mon 2026-12-14 09:00'],
      [7, 'Tue 2026-12-15 09:00'],
    ]);
  });

  it("repeats sub-day intervals from the last step's instant, and has no tail after a hand-off", () => {
    const demo = computeSchedule({
      policy: { name: 'demo', steps: [{ offset: '30s', template: 'reminder_overdue' }], repeatEvery: '1m' },
      dueAt: '2026-12-01T10:00:00.000Z',
      timeZone: 'UTC',
      rules: 'calendar',
      repeatAround: Date.parse('2026-12-01T10:05:10.000Z'),
    });
    expect(demo.slice(1).map((s) => [s.offset, s.sendAt])).toEqual([
      ['270s', '2026-12-01T10:04:30.000Z'],
      ['330s', '2026-12-01T10:05:30.000Z'],
    ]);
    expect(
      computeSchedule({ ...base, policy: { ...policy, steps: [{ offset: '7d', template: 'handoff_notice', handOff: true }] } }),
    ).toHaveLength(1);
  });
});
