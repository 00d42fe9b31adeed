import { buildStatement, previousMonth, type StatementInvoice } from '../../src/domain/statement';

const invoice = (id: string, over: Partial<StatementInvoice> = {}): StatementInvoice => ({
  id,
  number: `INV-${id}`,
  currency: 'EUR',
  totalCents: 10_000,
  issueDate: '2026-03-01',
  dueDate: '2026-03-31',
  closedOn: null,
  closedAs: null,
  closedCents: 0,
  ...over,
});

describe('buildStatement', () => {
  it('carries earlier facts into the opening balance and lists only the period’s, in date order', () => {
    const s = buildStatement({
      from: '2026-04-01',
      to: '2026-04-30',
      invoices: [invoice('1'), invoice('2', { issueDate: '2026-04-10', dueDate: '2026-05-10' })],
      entries: [
        { invoiceId: '1', kind: 'payment', id: 'p0', amountCents: 3_000, bookedOn: '2026-03-20' },
        { invoiceId: '1', kind: 'fee', id: '0/3', amountCents: 500, bookedOn: '2026-04-05' },
        { invoiceId: '1', kind: 'payment', id: 'p1', amountCents: 2_000, bookedOn: '2026-04-12', method: 'bank_transfer', reference: 'R1' },
        { invoiceId: '1', kind: 'payment', id: 'late', amountCents: 9_999, bookedOn: '2026-05-02' },
      ],
    });
    const [eur] = s.currencies;
    expect(eur!.opening).toEqual({ balanceCents: 7_000, owedCents: 7_000, creditCents: 0 });
    expect(eur!.lines.map((l) => [l.date, l.kind, l.amountCents, l.balanceCents])).toEqual([
      ['2026-04-05', 'fee', 500, 7_500],
      ['2026-04-10', 'invoice', 10_000, 17_500],
      ['2026-04-12', 'payment', -2_000, 15_500],
    ]);
    expect(eur!.lines[2]!.description).toBe('Payment on INV-1 (bank transfer, R1)');
    expect(eur!.closing.balanceCents).toBe(15_500);
    expect(eur!.aging).toMatchObject({ current: 10_000, '1-30': 5_500 });
    expect(eur!.openItems.map((i) => [i.invoiceNumber, i.owedCents, i.daysPastDue])).toEqual([
      ['INV-1', 5_500, 30],
      ['INV-2', 10_000, -10],
    ]);
  });

  it('shows an overpayment as credit, not as a negative amount owed', () => {
    const s = buildStatement({
      from: '2026-03-01',
      to: '2026-03-31',
      invoices: [invoice('1'), invoice('2')],
      entries: [{ invoiceId: '1', kind: 'payment', id: 'p', amountCents: 12_500, bookedOn: '2026-03-10' }],
    });
    expect(s.currencies[0]!.closing).toEqual({ balanceCents: 7_500, owedCents: 10_000, creditCents: 2_500 });
    expect(s.currencies[0]!.openItems.map((i) => i.invoiceNumber)).toEqual(['INV-2']);
  });

  it('takes a void and a write-off out of the balance on the day they closed', () => {
    const s = buildStatement({
      from: '2026-03-01',
      to: '2026-06-30',
      invoices: [
        invoice('1', { closedAs: 'void', closedOn: '2026-03-05', closedCents: 10_000 }),
        invoice('2', { closedAs: 'uncollectible', closedOn: '2026-06-01', closedCents: 8_000 }),
      ],
      entries: [{ invoiceId: '2', kind: 'payment', id: 'p', amountCents: 2_000, bookedOn: '2026-04-01' }],
    });
    const [eur] = s.currencies;
    expect(eur!.lines.map((l) => [l.kind, l.amountCents])).toEqual([
      ['invoice', 10_000],
      ['invoice', 10_000],
      ['void', -10_000],
      ['payment', -2_000],
      ['write_off', -8_000],
    ]);
    expect(eur!.closing).toEqual({ balanceCents: 0, owedCents: 0, creditCents: 0 });
    expect(eur!.openItems).toEqual([]);
  });

  it('leaves out a currency with nothing owed and nothing moved', () => {
    const s = buildStatement({
      from: '2026-05-01',
      to: '2026-05-31',
      invoices: [invoice('1')],
      entries: [{ invoiceId: '1', kind: 'payment', id: 'p', amountCents: 10_000, bookedOn: '2026-03-02' }],
    });
    expect(s.currencies).toEqual([]);
  });
});

describe('previousMonth', () => {
  it.each([
    ['2026-12-01', '2026-11-01', '2026-11-30'],
    ['2026-03-15', '2026-02-01', '2026-02-28'],
    ['2028-03-01', '2028-02-01', '2028-02-29'],
    ['2027-01-05', '2026-12-01', '2026-12-31'],
  ])('before %s is %s to %s', (date, from, to) => {
    expect(previousMonth(date)).toEqual({ from, to });
  });
});
