import { combinationsSumming } from '../../src/domain/cash-matching/combinations';
import {
  buildMatchBook,
  DEFAULT_MATCHING_RULES,
  matchCredit,
  type CreditToMatch,
  type OpenItem,
} from '../../src/domain/cash-matching/match';
import { nameSimilarity } from '../../src/domain/cash-matching/names';
import { findReferences, oneTypoApart, referenceKey } from '../../src/domain/cash-matching/references';

const item = (number: string, customerId: string, amountDueCents: number, o: Partial<OpenItem> = {}): OpenItem => ({
  invoiceId: `id-${number}`,
  number,
  externalNumber: null,
  customerId,
  currency: 'EUR',
  amountDueCents,
  dueDate: '2026-11-01',
  ...o,
});
const customers = [
  { id: 'globex', name: 'Globex GmbH' },
  { id: 'initech', name: 'Initech SARL' },
  { id: 'umbrella', name: 'Umbrella Corporation' },
  { id: 'globe', name: 'Globe Express Ltd' },
];
const items = [
  item('INV-000042', 'globex', 123_456),
  item('INV-000043', 'initech', 10_000, { dueDate: '2026-10-01' }),
  item('INV-000044', 'initech', 20_000, { dueDate: '2026-10-15' }),
  item('INV-000045', 'umbrella', 20_000),
  item('INV-000046', 'umbrella', 35_000, { dueDate: '2026-11-20' }),
  item('INV-000047', 'umbrella', 15_000, { dueDate: '2026-11-25' }),
  item('INV-000050', 'globe', 99_000, { currency: 'USD' }),
  item('INV-000051', 'globe', 20_000),
  item('INV-000060', 'globex', 5_000, { externalNumber: '104217' }),
];
const book = buildMatchBook({ items, customers, accounts: new Map([['DE44500105175407324931', 'globex']]) });
const credit = (o: Partial<CreditToMatch>): CreditToMatch => ({
  amountCents: 0,
  currency: 'EUR',
  remittance: '',
  endToEndId: null,
  structuredReference: null,
  payerName: null,
  payerAccount: null,
  ...o,
});
const allocations = (d: ReturnType<typeof matchCredit>) =>
  d.kind === 'auto'
    ? d.proposal.allocations.map((a) => [a.number, a.amountCents])
    : d.kind === 'suggested'
      ? d.proposals[0]!.allocations.map((a) => [a.number, a.amountCents])
      : [];

describe('invoice numbers in remittance text', () => {
  it('compares numbers by prefix and digits, whatever the separators, case and zero padding', () => {
    expect(['INV-000042', 'inv 42', 'Inv.42', 'INV000042', 'INV_0042'].map(referenceKey)).toEqual([
      'INV42',
      'INV42',
      'INV42',
      'INV42',
      'INV42',
    ]);
    expect(findReferences('Rechnung INV-000042 / Kd-Nr 1203', ['INV']).map((r) => r.key)).toEqual(['INV42']);
    expect(findReferences('Facture inv 43 et inv 44', ['INV']).map((r) => r.key)).toEqual(['INV43', 'INV44']);
    expect(findReferences('REF INV 61 AND 62, 63', ['INV']).map((r) => r.key)).toEqual(['INV61', 'INV62', 'INV63']);
    // Not part of a longer word, nor an amount or a date.
    expect(findReferences('INVOICE PAYMENT 1.234,56 ON 2026-12-01', ['INV'])).toEqual([]);
    expect(findReferences('ERP 104217 paid 1234.56', [], { minBareDigits: 4 }).map((r) => r.key)).toEqual(['104217']);
  });

  it('knows one typo from two', () => {
    expect(oneTypoApart('42', '43')).toBe(true); // changed
    expect(oneTypoApart('000042', '00042')).toBe(true); // dropped
    expect(oneTypoApart('1042', '1024')).toBe(true); // swapped neighbours
    expect(oneTypoApart('1042', '2041')).toBe(false);
    expect(oneTypoApart('42', '42')).toBe(false);
  });
});

describe('payer names', () => {
  it('is the same payer through case, accents, legal forms and one typo, and not a look-alike', () => {
    expect(nameSimilarity('GLOBEX GMBH', 'Globex GmbH')).toBe(1);
    expect(nameSimilarity('Globex', 'Globex GmbH')).toBe(1);
    expect(nameSimilarity('Initech S.A.R.L.', 'Initech SARL')).toBe(1);
    expect(nameSimilarity('Umbrela Corporation', 'Umbrella Corporation')).toBe(1);
    expect(nameSimilarity('Société Générale', 'SOCIETE GENERALE SA')).toBe(1);
    expect(nameSimilarity('Globe Express', 'Globex GmbH')).toBe(0);
  });
});

describe('matching a credit', () => {
  it('auto-applies an invoice number with its exact amount', () => {
    const d = matchCredit(credit({ amountCents: 123_456, remittance: 'Rechnung INV-000042', payerName: 'Globex GmbH' }), book);
    expect(d.kind).toBe('auto');
    expect(allocations(d)).toEqual([['INV-000042', 123_456]]);
    if (d.kind === 'auto') {
      expect(d.proposal).toMatchObject({ customerId: 'globex', creditCents: 0, writeOffCents: 0, confidence: 0.99 });
      expect(d.proposal.rules).toEqual(
        expect.arrayContaining(['invoice number INV-000042 in the remittance', 'amount equals the amount due']),
      );
    }
  });

  it('spreads one payment over the invoices it names, oldest first', () => {
    const d = matchCredit(credit({ amountCents: 30_000, remittance: 'Facture inv 43 et inv 44' }), book);
    expect(d.kind).toBe('auto');
    expect(allocations(d)).toEqual([
      ['INV-000043', 10_000],
      ['INV-000044', 20_000],
    ]);
  });

  it('takes an overpayment of a named invoice as customer credit, and a partial one as partial', () => {
    const over = matchCredit(credit({ amountCents: 130_000, remittance: 'INV-000042', payerName: 'GLOBEX' }), book);
    expect(over).toMatchObject({ kind: 'auto', proposal: { creditCents: 6_544 } });
    // Not the amount due and no payer to confirm it: a mistyped number looks like this, so a human decides.
    expect(matchCredit(credit({ amountCents: 130_000, remittance: 'INV-000042' }), book).kind).toBe('suggested');
    const part = matchCredit(credit({ amountCents: 50_000, remittance: 'INV 42', payerName: 'Globex GmbH' }), book);
    expect(part.kind).toBe('auto');
    expect(allocations(part)).toEqual([['INV-000042', 50_000]]);
    // Partial across several named invoices: which is short is a question for a human.
    const ambiguous = matchCredit(credit({ amountCents: 25_000, remittance: 'inv 43, 44', payerName: 'Initech' }), book);
    expect(ambiguous.kind).toBe('suggested');
  });

  it('settles a payment short by bank charges within tolerance, writing the difference off (or leaving it open)', () => {
    const d = matchCredit(credit({ amountCents: 122_456, remittance: 'INV-000042', payerName: 'Globex GmbH' }), book);
    expect(d).toMatchObject({ kind: 'auto', proposal: { writeOffCents: 1_000, allocations: [{ amountCents: 122_456 }] } });
    if (d.kind === 'auto') expect(d.proposal.rules).toContain('short by EUR 10.00 (bank charges): written off');
    const open = matchCredit(credit({ amountCents: 122_456, remittance: 'INV-000042', payerName: 'Globex GmbH' }), book, {
      ...DEFAULT_MATCHING_RULES,
      shortPayment: 'leave_open',
    });
    expect(open).toMatchObject({ kind: 'auto', proposal: { writeOffCents: 0, allocations: [{ amountCents: 122_456 }] } });
    // Beyond the tolerance it is a partial payment.
    expect(matchCredit(credit({ amountCents: 100_000, remittance: 'INV-000042', payerName: 'Globex GmbH' }), book)).toMatchObject({
      proposal: { writeOffCents: 0 },
    });
    // Short by all of the last invoice named: that invoice is unpaid (the amount is the other's), not bank charges on it.
    const big = buildMatchBook({
      items: [item('INV-000070', 'globex', 300_000, { dueDate: '2026-10-01' }), item('INV-000071', 'globex', 1_000)],
      customers,
      accounts: new Map(),
    });
    const unpaidLast = matchCredit(credit({ amountCents: 300_000, remittance: 'INV-000070 INV-000071', payerName: 'Globex GmbH' }), big);
    expect(unpaidLast).toMatchObject({
      kind: 'auto',
      proposal: { writeOffCents: 0, allocations: [{ number: 'INV-000070', amountCents: 300_000 }] },
    });
    if (unpaidLast.kind === 'auto') expect(unpaidLast.proposal.allocations).toHaveLength(1);
  });

  it('finds the invoice behind one typo only when the payer agrees, and never when the typo could be two invoices', () => {
    // INV-000024 is no invoice; one typo from INV-000042 (Globex), and the payer account is Globex's.
    const confirmed = matchCredit(credit({ amountCents: 123_456, remittance: 'INV-000024', payerAccount: 'DE44500105175407324931' }), book);
    expect(confirmed).toMatchObject({ kind: 'auto', proposal: { customerId: 'globex' } });
    const unconfirmed = matchCredit(credit({ amountCents: 123_456, remittance: 'INV-000024' }), book);
    expect(unconfirmed.kind).toBe('suggested');
    // INV-000048 is one typo from 045, 046, 047: no answer from the number.
    const several = matchCredit(credit({ amountCents: 1, remittance: 'INV-000048' }), book);
    expect(several.kind).toBe('unmatched');
  });

  it('names the customer by a confirmed payer account, then applies the one invoice of that amount, or the one combination', () => {
    const single = matchCredit(credit({ amountCents: 5_000, payerAccount: 'DE44500105175407324931', remittance: 'thanks' }), book);
    expect(single).toMatchObject({ kind: 'auto', proposal: { customerId: 'globex', allocations: [{ number: 'INV-000060' }] } });
    // Umbrella by name: 35,000 + 15,000 is the one combination making 50,000.
    const combined = matchCredit(credit({ amountCents: 50_000, payerName: 'UMBRELLA CORP', remittance: 'payment' }), book);
    expect(combined.kind).toBe('suggested');
    expect(allocations(combined)).toEqual([
      ['INV-000046', 35_000],
      ['INV-000047', 15_000],
    ]);
  });

  it('reads a number mistyped into another customer’s invoice as the payer’s own, one typo away', () => {
    // INV-000180 is Umbrella's; the payer is Initech, whose INV-000190 is one typo away.
    const mini = buildMatchBook({
      items: [item('INV-000180', 'umbrella', 15_000), item('INV-000190', 'initech', 15_000)],
      customers,
      accounts: new Map(),
    });
    const d = matchCredit(credit({ amountCents: 15_000, remittance: 'INV-000180', payerName: 'Initech SARL' }), mini);
    expect(d).toMatchObject({ kind: 'auto', proposal: { customerId: 'initech', allocations: [{ number: 'INV-000190' }] } });
    if (d.kind === 'auto') expect(d.proposal.rules).toContain('INV-000190 (written "INV-000180", one typo)');
    // Two of the payer's invoices one typo away: no answer from the number.
    const two = buildMatchBook({
      items: [item('INV-000180', 'umbrella', 15_000), item('INV-000190', 'initech', 15_000), item('INV-000181', 'initech', 15_000)],
      customers,
      accounts: new Map(),
    });
    expect(matchCredit(credit({ amountCents: 15_000, remittance: 'INV-000180', payerName: 'Initech SARL' }), two).kind).toBe('suggested');
  });

  it('reads an ERP number written bare only with the payer to confirm it', () => {
    expect(matchCredit(credit({ amountCents: 5_000, remittance: 'ERP 104217', payerName: 'Globex' }), book)).toMatchObject({
      kind: 'auto',
    });
    expect(matchCredit(credit({ amountCents: 5_000, remittance: 'ERP 104217' }), book).kind).toBe('suggested');
  });

  it('lowers its confidence when the payer is another customer than the one the invoice named belongs to, or a stranger', () => {
    expect(matchCredit(credit({ amountCents: 20_000, remittance: 'INV-000045', payerAccount: 'DE44500105175407324931' }), book).kind).toBe(
      'suggested',
    );
    // A number mistyped into another customer's invoice of the same amount: the payer's name gives it away.
    expect(matchCredit(credit({ amountCents: 20_000, remittance: 'INV-000045', payerName: 'Initech' }), book).kind).toBe('suggested');
    expect(matchCredit(credit({ amountCents: 20_000, remittance: 'INV-000045', payerName: 'Zeta Omega' }), book).kind).toBe('suggested');
    expect(matchCredit(credit({ amountCents: 20_000, remittance: 'INV-000045', payerName: 'Umbrella Corp' }), book).kind).toBe('auto');
  });

  it('never converts currencies: a USD invoice is not paid by euros', () => {
    const d = matchCredit(credit({ amountCents: 99_000, remittance: 'INV-000050' }), book);
    expect(d.kind).toBe('unmatched');
    expect(matchCredit(credit({ amountCents: 99_000, currency: 'USD', remittance: 'INV-000050' }), book)).toMatchObject({ kind: 'auto' });
  });

  it('suggests, never applies, an invoice of the same amount from an unknown payer, and says why nothing matched', () => {
    const same = matchCredit(credit({ amountCents: 123_456, payerName: 'Someone Else' }), book);
    expect(same).toMatchObject({ kind: 'suggested', why: expect.stringContaining('no invoice number and no known payer') });
    expect(matchCredit(credit({ amountCents: 777, payerName: 'Nobody' }), book)).toEqual({
      kind: 'unmatched',
      why: 'no invoice number, no known payer, and no open invoice of this amount',
    });
  });
});

it('finds combinations adding up to an amount, stopping at two and within its step budget', () => {
  const xs = [100, 200, 300, 400].map((amountDueCents) => ({ amountDueCents }));
  expect(combinationsSumming(xs, 600, { maxItems: 3, maxSteps: 1000 }).sets.map((s) => s.map((x) => x.amountDueCents))).toEqual([
    [100, 200, 300],
    [200, 400],
  ]);
  expect(combinationsSumming(xs, 1000, { maxItems: 3, maxSteps: 1000 }).sets).toEqual([]);
  const many = Array.from({ length: 60 }, (_, i) => ({ amountDueCents: 1_000 + i }));
  expect(combinationsSumming(many, 7_777_777, { maxItems: 6, maxSteps: 500 })).toMatchObject({ sets: [] });
  expect(combinationsSumming(many, 5_010, { maxItems: 6, maxSteps: 50 }).exhausted).toBe(true);
});
