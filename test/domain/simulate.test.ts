import { initialState, type InvoiceWorkflowInput } from '../../src/domain/invoice';
import { STANDARD_POLICY, type PolicyDocument } from '../../src/domain/policy';
import { computeSchedule } from '../../src/domain/schedule';
import { simulateDunning } from '../../src/domain/simulate';

const input = (o: Partial<Omit<InvoiceWorkflowInput, 'policy'>> & { policy?: PolicyDocument } = {}): InvoiceWorkflowInput => ({
  invoiceId: 'inv',
  number: 'INV-1',
  customerId: 'c',
  timeZone: 'America/New_York',
  currency: 'USD',
  totalCents: 100_001,
  issueDate: '2026-11-01',
  dueAt: '2026-12-01T04:59:59.999Z',
  scheduleRules: 'calendar',
  ...o,
  policy: { ...(o.policy ?? STANDARD_POLICY), version: 1 },
});

describe('simulateDunning', () => {
  it('plays the standard ladder: each step at its instant, the 1.5 % fee on the open amount, then hand-off', () => {
    const start = initialState(input());
    const sim = simulateDunning(start, Date.parse('2026-11-01T15:00:00Z'));
    const schedule = computeSchedule({
      policy: start.input.policy,
      dueAt: start.input.dueAt,
      timeZone: 'America/New_York',
      rules: 'calendar',
    });
    expect(sim.actions.map((a) => [a.index, a.actsAt])).toEqual(schedule.map((s) => [s.index, s.sendAt]));
    expect(sim.actions.map((a) => a.lateFeeCents)).toEqual([0, 0, 0, 1500, 0, 0]); // 1.5 % of 1,000.01, half up
    expect(sim.actions.map((a) => a.amountDueCents)).toEqual([100_001, 100_001, 100_001, 101_501, 101_501, 101_501]);
    expect(sim.actions[4]).toMatchObject({ template: 'final_notice', finalNotice: true, creditHold: true });
    expect(sim.actions[5]).toMatchObject({ template: 'handoff_notice', handOff: true });
    expect(sim.final).toEqual({ status: 'uncollectible', dunningStage: 'handoff_notice', feesCents: 1500, amountDueCents: 101_501 });
    expect(sim.actions[1]!.actsAtLocal).toBe('2026-11-30T09:00:00.000-05:00'); // due today: 09:00 on the due date, on the customer's clock
  });

  it('issued late, the steps already due are caught up in one action that sends only the latest email', () => {
    const from = Date.parse('2026-12-10T12:00:00Z'); // after -3d, 0d and 7d
    const sim = simulateDunning(initialState(input()), from);
    expect(sim.actions[0]).toMatchObject({
      index: 2,
      template: 'reminder_overdue',
      mergedSteps: [0, 1],
      actsAt: new Date(from).toISOString(),
    });
    expect(sim.actions.map((a) => a.index)).toEqual([2, 3, 4, 5]);
  });

  it('moves steps into the send window on the customer wall clock, across the DST change', () => {
    const policy: PolicyDocument = {
      name: 'windowed',
      steps: [
        { offset: '0d', template: 'reminder_due_today' },
        { offset: '2d', template: 'reminder_overdue' },
      ],
      sendWindow: { days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '09:00', end: '17:00' },
    };
    // Due end of Friday 2026-10-23 in Berlin; +2d is Sunday 25 October, the day clocks go back.
    const sim = simulateDunning(
      initialState(input({ policy, timeZone: 'Europe/Berlin', dueAt: '2026-10-23T21:59:59.999Z' })),
      Date.parse('2026-10-01T00:00:00Z'),
    );
    // Due today on Friday's opening (CEST); +2d on Monday's (CET by then).
    expect(sim.actions).toEqual([
      expect.objectContaining({ index: 0, mergedSteps: [], actsAtLocal: '2026-10-23T09:00:00.000+02:00' }),
      expect.objectContaining({ index: 1, mergedSteps: [], actsAtLocal: '2026-10-26T09:00:00.000+01:00' }),
    ]);
  });

  it('a fixed fee in another currency is skipped, never converted', () => {
    const policy: PolicyDocument = {
      name: 'eur-fee',
      steps: [{ offset: '1d', template: 'late_fee_notice', lateFee: { amountCents: 2500, currency: 'EUR' } }],
    };
    const sim = simulateDunning(initialState(input({ policy })), Date.parse('2026-11-01T00:00:00Z'));
    expect(sim.actions[0]).toMatchObject({ lateFeeCents: 0, amountDueCents: 100_001 });
  });
});
