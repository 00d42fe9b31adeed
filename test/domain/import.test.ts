import { decideImport } from '../../src/domain/commands';
import { planNext } from '../../src/domain/dunning';
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
    invoiceId: 'inv', number: 'INV-1', customerId: 'c', timeZone: 'Europe/Berlin', currency: 'EUR', totalCents: 120_050,
    issueDate: '2026-10-01', dueAt: '2026-11-01T22:59:59.999Z', policy, imported: { externalId: 'I-1', paidBeforeCents: 20_000 }, scheduleRules: 'calendar',
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

  it('takes a not-yet-due invoice over with its whole ladder ahead, and one past every step with none', () => {
    expect(take('2026-10-20T00:00:00Z').nextStepIndex).toBe(0);
    const late = take('2026-12-20T00:00:00Z');
    expect(late.nextStepIndex).toBe(3);
    expect(planNext(late, Date.parse('2026-12-20T00:00:00Z'))).toEqual({ kind: 'idle' });
  });

  it('refuses an invoice that was not imported', () => {
    const { imported: _imported, ...plain } = input;
    expect(() => decideImport(initialState(plain), Date.now())).toThrow('not an imported invoice');
  });
});
