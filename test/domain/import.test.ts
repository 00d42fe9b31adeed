import { decideImport } from '../../src/domain/commands';
import { decideSteps, nextActionOf, planNext } from '../../src/domain/dunning';
import type { ScheduledStep } from '../../src/domain/schedule';
import { amountDue, initialState, record, type InvoiceWorkflowInput } from '../../src/domain/invoice';
import { parseMajorUnits } from '../../src/domain/money';
import { STANDARD_POLICY, type PolicyVersion } from '../../src/domain/policy';

describe('parseMajorUnits', () => {
  it.each([
    ['1234.50', 'EUR', 123_450],
    ['1234.5', 'EUR', 123_450],
    ['0.07', 'USD', 7],
    ['1234', 'USD', 123_400],
    ['150000', 'JPY', 150_000],
    ['1.234', 'BHD', 1_234],
    // Where floating point would be off by one: 1.005 × 100 = 100.49999…
    ['1.01', 'EUR', 101],
    ['4.35', 'USD', 435],
    ['10000000000.00', 'USD', 1_000_000_000_000], // MAX_AMOUNT_MINOR
  ])('%s %s is %d minor units', (text, currency, cents) => {
    expect(parseMajorUnits(text, currency)).toBe(cents);
  });

  it.each([
    ['1,234.50', 'EUR', 'is not an amount'],
    ['1234,50', 'EUR', 'is not an amount'],
    ['-5.00', 'EUR', 'is not an amount'],
    ['1e3', 'EUR', 'is not an amount'],
    ['', 'EUR', 'is not an amount'],
    ['10.005', 'EUR', 'more decimals than EUR allows (2)'],
    ['100.5', 'JPY', 'more decimals than JPY allows (0)'],
    ['10000000000.01', 'USD', 'too large'],
    ['90071992547409.92', 'USD', 'too large'],
    ['10.00', 'XXX', 'unsupported currency XXX'],
  ])('refuses %j in %s', (text, currency, message) => {
    expect(() => parseMajorUnits(text, currency)).toThrow(message);
  });
});

describe('decideImport', () => {
  const policy: PolicyVersion = {
    ...STANDARD_POLICY,
    version: 1,
    steps: [
      { offset: '3d', template: 'reminder_overdue' },
      { offset: '7d', template: 'late_fee_notice', lateFee: { amountCents: 4_000, currency: 'EUR' } },
      { offset: '14d', template: 'final_notice', finalNotice: true },
    ],
  };
  const input: InvoiceWorkflowInput = {
    invoiceId: 'inv',
    number: 'INV-1',
    customerId: 'c',
    timeZone: 'Europe/Berlin',
    currency: 'EUR',
    totalCents: 120_050,
    issueDate: '2026-10-01',
    dueAt: '2026-11-01T22:59:59.999Z',
    policy,
    imported: { externalId: 'I-1', paidBeforeCents: 20_000 },
    scheduleRules: 'calendar',
  };
  const take = (nowIso: string) => {
    const state = initialState(input);
    return record(state, decideImport(state, Date.parse(nowIso)), { at: nowIso, actor: 'import' });
  };

  it('starts the ladder at the first step still ahead and counts what was paid before', () => {
    const state = take('2026-11-10T12:00:00Z'); // 9 days overdue: steps at +3d and +7d are behind
    expect(state.nextStepIndex).toBe(2);
    expect(amountDue(state.ledger)).toBe(100_050);
    expect(state.ledger.feesCents).toBe(0);
    const plan = planNext(state, Date.parse('2026-11-10T12:00:00Z'));
    // Due 1 November in Berlin; +14d is Sunday 15 November, so Monday's opening (09:00 CET).
    expect(plan).toMatchObject({ kind: 'wait', next: { step: { index: 2, template: 'final_notice' }, at: '2026-11-16T08:00:00.000Z' } });
  });

  it('takes a not-yet-due invoice over with its whole ladder ahead', () => {
    expect(take('2026-10-20T00:00:00Z').nextStepIndex).toBe(0);
  });

  it('catches an invoice past every step up: the latest step acts now, with its fee once', () => {
    const now = '2026-12-20T00:00:00Z';
    const late = take(now);
    expect(late.nextStepIndex).toBe(2);
    const plan = planNext(late, Date.parse(now));
    expect(plan).toMatchObject({ kind: 'perform', steps: [{ index: 2, template: 'final_notice' }] });
    const withFee = initialState({
      ...input,
      policy: {
        ...policy,
        steps: [...policy.steps.slice(0, 2), { ...policy.steps[2]!, lateFee: { amountCents: 1_000, currency: 'EUR' } }],
      },
    });
    const caught = record(withFee, decideImport(withFee, Date.parse(now)), { at: now, actor: 'import' });
    const { events } = decideSteps(
      caught,
      (planNext(caught, Date.parse(now)) as { steps: readonly ScheduledStep[] }).steps,
      Date.parse(now),
    );
    expect(events.filter((e) => e.type === 'late_fee_applied')).toEqual([
      { type: 'late_fee_applied', stepIndex: 2, amountCents: 1_000, currency: 'EUR' },
    ]);
    const after = record(caught, events, { at: now, actor: 'workflow' });
    expect(planNext(after, Date.parse(now) + 86_400_000)).toEqual({ kind: 'parked' });
    expect(nextActionOf(after, Date.parse(now))).toEqual({ at: null, step: null, reason: 'ladder_finished' });
  });

  it('parks an invoice past every step when the import asks for no action; with an endless tail, waits for its next repetition', () => {
    const now = '2026-12-20T00:00:00Z';
    const none = { ...input, imported: { ...input.imported!, catchUp: 'none' as const } };
    const parked = initialState(none);
    const state = record(parked, decideImport(parked, Date.parse(now)), { at: now, actor: 'import' });
    expect(state.nextStepIndex).toBe(3);
    expect(planNext(state, Date.parse(now))).toEqual({ kind: 'parked' });
    const endless = initialState({ ...none, policy: { ...policy, repeatEvery: '7d' } });
    const waiting = record(endless, decideImport(endless, Date.parse(now)), { at: now, actor: 'import' });
    // Due 1 Nov; the last step at +14d (15 Nov), then every week: the 5th repetition falls on Sunday
    // 20 Dec and waits for Monday's opening, so nothing is due now and it is next.
    expect(planNext(waiting, Date.parse(now))).toMatchObject({
      kind: 'wait',
      next: { step: { template: 'final_notice', repetition: 5 }, at: '2026-12-21T08:00:00.000Z' },
    });
    // Catching up instead performs the latest repetition due (the 4th, 14 Dec), not the final notice again and again.
    const caught = initialState({ ...input, policy: { ...policy, repeatEvery: '7d' } });
    const latest = record(caught, decideImport(caught, Date.parse(now)), { at: now, actor: 'import' });
    expect(planNext(latest, Date.parse(now))).toMatchObject({ kind: 'perform', steps: [{ repetition: 4 }] });
  });

  it('keeps the rule of invoices imported before parked-invoices (no catch-up: the ladder is over)', () => {
    const state = initialState(input);
    expect(decideImport(state, Date.parse('2026-12-20T00:00:00Z'), 'legacy')).toMatchObject([{ resumeAtStep: 3 }]);
  });

  it('refuses an invoice that was not imported', () => {
    const { imported: _imported, ...plain } = input;
    expect(() => decideImport(initialState(plain), Date.now())).toThrow('not an imported invoice');
  });
});
