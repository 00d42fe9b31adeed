import { decidePayment, decideRefund, normalizePayment } from '../../src/domain/commands';
import { type DomainError } from '../../src/domain/errors';
import { amountDue, initialState, record, type InvoiceEventBody, type InvoiceState } from '../../src/domain/invoice';
import { identityProblems, ledgerFactsOf } from '../../src/domain/ledger';
import { STANDARD_POLICY } from '../../src/domain/policy';
import { checkWriteOff, decideWriteOff } from '../../src/domain/write-off';

const fresh = (totalCents = 10_000): InvoiceState =>
  initialState({
    invoiceId: 'inv-1',
    number: 'INV-000001',
    customerId: 'cus-1',
    timeZone: 'UTC',
    currency: 'EUR',
    totalCents,
    issueDate: '2026-11-01',
    dueAt: '2026-11-30T23:59:59.999Z',
    policy: { ...STANDARD_POLICY, version: 1 },
  });
const apply = (s: InvoiceState, events: InvoiceEventBody[]) => record(s, events, { at: '2026-12-01T10:00:00.000Z', actor: 'test' });
const types = (events: InvoiceEventBody[]) => events.map((e) => e.type);
const short = (paymentId: string, amountCents: number, upToCents: number) =>
  ({ paymentId, amountCents, currency: 'EUR', writeOff: { upToCents, category: 'bank_charges' } }) as const;
const codeOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return (err as DomainError).code;
  }
  return 'no error';
};
const whole = (s: InvoiceState) => expect(identityProblems(ledgerFactsOf(s), 'workflow')).toEqual([]);

describe('a short payment settling with a write-off', () => {
  it('writes off what it leaves owed, up to its allowance, and settles the invoice', () => {
    const events = decidePayment(fresh(), short('bank:l1:inv-1', 9_950, 100));
    expect(types(events)).toEqual(['payment_received', 'written_off', 'paid']);
    expect(events[1]).toMatchObject({ writeOffId: 'bank:l1:inv-1:write-off', amountCents: 50, category: 'bank_charges' });
    const s = apply(fresh(), events);
    expect(s).toMatchObject({ status: 'paid', ledger: { paidCents: 9_950, writtenOffCents: 50 } });
    whole(s);
  });

  it('writes off only its allowance when more is owed (a fee added since the match): the rest stays open', () => {
    const withFee = apply(fresh(), [{ type: 'late_fee_applied', stepIndex: 2, amountCents: 500, currency: 'EUR' }]);
    const s = apply(withFee, decidePayment(withFee, short('p', 9_950, 50)));
    expect(s).toMatchObject({ status: 'open', ledger: { writtenOffCents: 50 } });
    expect(amountDue(s.ledger)).toBe(500);
    whole(s);
  });

  it('writes off nothing when the payment leaves nothing owed (paid meanwhile), and keeps the excess as credit', () => {
    const part = apply(fresh(), decidePayment(fresh(), { paymentId: 'p0', amountCents: 500, currency: 'EUR' }));
    const events = decidePayment(part, short('p1', 9_950, 100));
    expect(types(events)).toEqual(['payment_received', 'credit_recorded', 'paid']);
    whole(apply(part, events));
  });

  it('drops an allowance no write-off could honour (from any client), applying the payment alone', () => {
    for (const writeOff of [{ upToCents: -5, category: 'bank_charges' }, { upToCents: 10, category: 'bad_debt' }, 'all', null]) {
      const fact = normalizePayment({ paymentId: 'p', amountCents: 9_950, currency: 'EUR', writeOff } as never);
      expect(types(decidePayment(fresh(), fact))).toEqual(['payment_received']);
    }
  });

  it('is undone when its payment is refunded in full (unapplied): all of it is owed again', () => {
    const paid = apply(fresh(), decidePayment(fresh(), short('p', 9_950, 100)));
    const partly = decideRefund(paid, { paymentId: 'p', refundId: 'r1', amountCents: 950, currency: 'EUR' });
    expect(types(partly)).toEqual(['payment_refunded', 'reopened']);
    const afterPart = apply(paid, partly);
    const rest = decideRefund(afterPart, { paymentId: 'p', refundId: 'r2', amountCents: 9_000, currency: 'EUR' });
    expect(types(rest)).toEqual(['payment_refunded', 'write_off_reversed']);
    const s = apply(afterPart, rest);
    expect(amountDue(s.ledger)).toBe(10_000);
    expect(s.books.writeOffs).toEqual({});
    whole(s);
  });
});

describe('a write-off by hand', () => {
  const request = { writeOffId: 'api:k1', amountCents: 300, currency: 'EUR', category: 'small_balance' } as const;

  it('reduces what is owed; writing off the rest settles the invoice (a kept promise first)', () => {
    const s = apply(fresh(), decideWriteOff(fresh(), request));
    expect(amountDue(s.ledger)).toBe(9_700);
    const promised = apply(s, [{ type: 'promise_made', date: '2026-12-10', deadline: '2026-12-10T23:59:59.999Z' }]);
    const rest = decideWriteOff(promised, { ...request, writeOffId: 'api:k2', amountCents: 9_700, category: 'goodwill' });
    expect(types(rest)).toEqual(['written_off', 'promise_kept', 'paid']);
    whole(apply(promised, rest));
  });

  it('answers the same id again with nothing new, and refuses what it cannot write off', () => {
    const s = apply(fresh(), decideWriteOff(fresh(), request));
    expect(decideWriteOff(s, request)).toEqual([]);
    expect(codeOf(() => checkWriteOff(s, { ...request, writeOffId: 'x', amountCents: 9_701 }))).toBe('EXCEEDS_AMOUNT_DUE');
    expect(codeOf(() => checkWriteOff(s, { ...request, writeOffId: 'x', amountCents: 0 }))).toBe('INVALID_AMOUNT');
    expect(codeOf(() => checkWriteOff(s, { ...request, writeOffId: 'x', amountCents: 1.5 }))).toBe('INVALID_AMOUNT');
    expect(codeOf(() => checkWriteOff(s, { ...request, writeOffId: 'x', currency: 'USD' }))).toBe('CURRENCY_MISMATCH');
    expect(codeOf(() => checkWriteOff(s, { ...request, writeOffId: 'x', category: 'bad_debt' as never }))).toBe('VALIDATION');
    const voided = apply(fresh(), [{ type: 'voided' }]);
    expect(codeOf(() => checkWriteOff(voided, request))).toBe('INVOICE_NOT_OPEN');
  });

  it('reads a ledger from before write-offs as having none', () => {
    const { writtenOffCents: _none, ...old } = { ...fresh().ledger, writtenOffCents: undefined };
    expect(amountDue(old)).toBe(10_000);
    expect(ledgerFactsOf({ ...fresh(), ledger: old })).toMatchObject({ writtenOffCents: 0, writeOffs: {} });
  });
});
