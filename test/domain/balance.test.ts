import { oldestFirst, planBalanceRefund, planBalanceUse, type BalanceFunds, type OpenItem } from '../../src/domain/balance';
import { type DomainError } from '../../src/domain/errors';

const open: OpenItem[] = [
  { invoiceId: 'c', number: 'INV-3', dueAt: '2026-12-30T00:00:00Z', amountDueCents: 3_000 },
  { invoiceId: 'a', number: 'INV-1', dueAt: '2026-12-10T00:00:00Z', amountDueCents: 1_000 },
  { invoiceId: 'b', number: 'INV-2', dueAt: '2026-12-10T00:00:00Z', amountDueCents: 2_000 },
];
const funds: BalanceFunds = {
  cash: [
    { source: 'bank', id: 'l1:rest', amountCents: 1_500 },
    { source: 'generic', id: 'p2', amountCents: 700 },
  ],
  credit: [{ invoiceId: 'old', amountCents: 2_000 }],
};
const codeOf = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return (e as DomainError).code;
  }
  return null;
};

describe('oldestFirst', () => {
  it('pays the earliest due first (number breaks a tie), each in full, the last in part', () => {
    expect(oldestFirst(open, 3_500)).toEqual([
      { invoiceId: 'a', amountCents: 1_000 },
      { invoiceId: 'b', amountCents: 2_000 },
      { invoiceId: 'c', amountCents: 500 },
    ]);
    expect(oldestFirst(open, 0)).toEqual([]);
    expect(oldestFirst(open, 99_999).reduce((s, t) => s + t.amountCents, 0)).toBe(6_000);
  });
});

describe('planBalanceUse', () => {
  it('spends cash before credit, oldest first, taking cash rows whole and giving back the rest', () => {
    const plan = planBalanceUse(funds, open, oldestFirst(open, 3_000));
    expect(plan.allocations).toEqual([
      { invoiceId: 'a', number: 'INV-1', cashCents: 1_000, creditCents: 0 },
      { invoiceId: 'b', number: 'INV-2', cashCents: 1_200, creditCents: 800 },
    ]);
    expect(plan).toMatchObject({
      cashCents: 2_200,
      creditCents: 800,
      cashRestCents: 0,
      creditUsed: [{ invoiceId: 'old', amountCents: 800 }],
    });
    const small = planBalanceUse(funds, open, [{ invoiceId: 'c', amountCents: 1_000 }]);
    expect(small).toMatchObject({ cashTaken: [{ id: 'l1:rest' }], cashRestCents: 500, creditCents: 0 });
  });

  it('refuses more than the balance holds, more than an invoice owes, or an invoice that is not open', () => {
    expect(
      codeOf(() =>
        planBalanceUse(funds, open, [
          { invoiceId: 'c', amountCents: 3_000 },
          { invoiceId: 'b', amountCents: 2_000 },
        ]),
      ),
    ).toBe('INSUFFICIENT_BALANCE');
    expect(codeOf(() => planBalanceUse(funds, open, [{ invoiceId: 'a', amountCents: 1_001 }]))).toBe('INVALID_AMOUNT');
    expect(codeOf(() => planBalanceUse(funds, open, [{ invoiceId: 'zz', amountCents: 1 }]))).toBe('INVOICE_NOT_OPEN');
    expect(codeOf(() => planBalanceRefund(funds, 0))).toBe('INVALID_AMOUNT');
    expect(planBalanceRefund(funds, 4_200)).toMatchObject({ cashCents: 2_200, creditCents: 2_000, allocations: [] });
  });
});
