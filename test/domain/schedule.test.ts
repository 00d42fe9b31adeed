import { parseDuration } from '../../src/domain/duration';
import { STANDARD_POLICY, type PolicyDocument } from '../../src/domain/policy';
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
  ])('%s', (text, ms) => expect(parseDuration(text)).toBe(ms));

  it.each(['', '3', 'd', '3w', '1.5d', '--3d', '3d-'])('rejects %p', (text) => {
    expect(() => parseDuration(text)).toThrow(/not a duration/);
  });
});

describe('computeSchedule', () => {
  it('places the standard ladder at offsets from the due instant', () => {
    const dueAt = '2026-03-31T21:59:59.999Z';
    const steps = computeSchedule({ policy: STANDARD_POLICY, dueAt, timeZone: 'UTC' });
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
    const [step] = computeSchedule({ policy: { name: 'p', steps: [{ offset: '1d', template: 'reminder_overdue' }] }, dueAt: '2026-01-01T00:00:00Z', timeZone: 'UTC', shiftMs: 3_600_000 });
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
    expect(new Date(nextOpening(Date.parse('2026-10-24T10:00:00Z'), weekdays9to17, 'Europe/Berlin')).toISOString()).toBe('2026-10-26T08:00:00.000Z');
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
    const policy: PolicyDocument = { name: 'old', steps: [{ offset: '99999999d', template: 'reminder_overdue' }, { offset: '999999999999999999d', template: 'final_notice' }] };
    const [far, beyond] = computeSchedule({ policy, dueAt: '2026-12-31T23:59:59.999Z', timeZone: 'UTC' });
    expect(far!.scheduledAt).toBe('2036-12-28T23:59:59.999Z');
    expect(beyond!.scheduledAt).toBe('2036-12-28T23:59:59.999Z');
  });
});
