import { readFileSync } from 'node:fs';
import path from 'node:path';
import { csvMappingSchema, detectBankFormat, parseBankFile, type BankLine } from '../../src/domain/bank-files';
import { DomainError } from '../../src/domain/errors';

const fixture = (name: string) => readFileSync(path.join(__dirname, 'fixtures', 'bank', name), 'utf8');
const credits = (lines: readonly BankLine[]) => lines.filter((l) => l.direction === 'credit');
/** The refusal's message, or 'parsed'. */
function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof DomainError) return err.message;
    throw err;
  }
  return 'parsed';
}

describe('camt.053', () => {
  it('reads a .001.02 statement: balances, single and batch entries, debits kept, pending left out', () => {
    const file = fixture('camt053-001-02.xml');
    expect(detectBankFormat(file)).toBe('camt053');
    const { statements } = parseBankFile(file);
    expect(statements).toHaveLength(1);
    const [s] = statements;
    expect(s).toMatchObject({
      account: 'DE89370400440532013000',
      currency: 'EUR',
      statementId: '2026-12-01-DE89',
      from: '2026-12-01',
      to: '2026-12-01',
      openingBalanceCents: 1_000_000,
      closingBalanceCents: 1_191_956,
    });
    expect(s!.lines.map((l) => [l.direction, l.amountCents, l.location])).toEqual([
      ['credit', 123_456, 'Stmt 1 / Ntry 1'],
      ['credit', 10_000, 'Stmt 1 / Ntry 2 / TxDtls 1'],
      ['credit', 20_000, 'Stmt 1 / Ntry 2 / TxDtls 2'],
      ['debit', 1_500, 'Stmt 1 / Ntry 3'],
      ['credit', 40_000, 'Stmt 1 / Ntry 5'],
    ]);
    expect(s!.lines[0]).toEqual({
      direction: 'credit',
      amountCents: 123_456,
      currency: 'EUR',
      bookingDate: '2026-12-01',
      valueDate: '2026-12-01',
      bankReference: '2026120100012345',
      endToEndId: 'GLOBEX-PAY-7781',
      structuredReference: null,
      remittance: 'Rechnung INV-000042 / Kd-Nr 1203',
      payerName: 'Globex GmbH',
      payerAccount: 'DE44500105175407324931',
      typeCode: 'ESCT',
      location: 'Stmt 1 / Ntry 1',
    });
    // A batch: each transaction its own payer, remittance lines joined, references per transaction.
    expect(s!.lines[1]).toMatchObject({
      payerName: 'Initech SARL',
      remittance: 'Facture inv 43 et inv 44',
      endToEndId: null,
      bankReference: '2026120100012399-1',
    });
    expect(s!.lines[2]).toMatchObject({ payerName: 'Umbrella Corp & Co', payerAccount: '9876543210', bankReference: '2026120100012399/2' });
    // A date-time booking date, a structured creditor reference and NOTPROVIDED.
    expect(s!.lines[4]).toMatchObject({
      bookingDate: '2026-12-01',
      valueDate: '2026-12-02',
      structuredReference: 'RF18539007547034',
      endToEndId: null,
    });
  });

  it('reads a .001.08 statement: status as a code, the debtor as a party, an account without IBAN, a debit opening balance', () => {
    const [s] = parseBankFile(fixture('camt053-001-08.xml')).statements;
    expect(s).toMatchObject({ account: '0235100110.01', currency: 'CHF', openingBalanceCents: -25_000 });
    expect(credits(s!.lines)).toEqual([
      expect.objectContaining({
        amountCents: 540_000,
        payerName: 'Cyberdyne Systems AG',
        payerAccount: 'CH9300762011623852957',
        remittance: 'Payment invoices INV-000050, INV-000051',
      }),
    ]);
  });

  it.each([
    ['XML that is not well-formed, with its line', (x: string) => x.replace('</Acct>', '</Acc>'), /^line \d+: not well-formed XML/],
    [
      'a document type declaration',
      (x: string) => x.replace('<Document', '<!DOCTYPE d [<!ENTITY a "b">]><Document'),
      /document type declaration is not allowed/,
    ],
    ['another kind of document', (x: string) => x.replace(/BkToCstmrStmt/g, 'FIToFICstmrCdtTrf'), /not a camt.053 statement/],
    [
      'an entry neither credit nor debit',
      (x: string) => x.replace('<CdtDbtInd>DBIT</CdtDbtInd>\n        <Sts>', '<CdtDbtInd>DEBIT</CdtDbtInd>\n        <Sts>'),
      /^Stmt 1 \/ Ntry 3 \/ CdtDbtInd: "DEBIT" is neither CRDT nor DBIT/,
    ],
    ['an amount with a comma', (x: string) => x.replace('1234.56', '1234,56'), /^Stmt 1 \/ Ntry 1 \/ Amt: amount "1234,56"/],
    [
      'an unknown currency',
      (x: string) => x.replace('<Amt Ccy="EUR">1234.56', '<Amt Ccy="XYZ">1234.56'),
      /^Stmt 1 \/ Ntry 1 \/ Amt: "XYZ" is not a supported currency/,
    ],
    [
      'an entry without a booking date',
      (x: string) =>
        x.replace(
          '<BookgDt><Dt>2026-12-01</Dt></BookgDt>\n        <ValDt><Dt>2026-12-01</Dt></ValDt>\n        <AcctSvcrRef>2026120100012345',
          '<AcctSvcrRef>2026120100012345',
        ),
      /^Stmt 1 \/ Ntry 1 \/ BookgDt: has no booking date/,
    ],
  ])('refuses %s', (_label, change, message) => {
    expect(refusal(() => parseBankFile(change(fixture('camt053-001-02.xml')), { format: 'camt053' }))).toMatch(message);
  });
});

describe('BAI2', () => {
  it('reads groups, accounts and details: funds types, continuation records, commas in text, credits by type code', () => {
    const file = fixture('bai2-sample.bai');
    expect(detectBankFormat(file)).toBe('bai2');
    const [s] = parseBankFile(file).statements;
    expect(s).toMatchObject({ account: '000123456789', currency: 'USD', from: '2026-12-01' });
    expect(s!.lines.map((l) => [l.typeCode, l.direction, l.amountCents, l.bankReference, l.endToEndId])).toEqual([
      ['165', 'credit', 150_000, '0000812345', 'INV-000061'],
      ['195', 'credit', 37_500, 'FED2026120100042', null],
      ['475', 'debit', 12_000, '00000000471', 'CHK 1021'],
      ['169', 'credit', 8_000, 'BANKREF99', null],
    ]);
    expect(s!.lines[0]).toMatchObject({
      valueDate: '2026-12-01',
      bookingDate: '2026-12-01',
      remittance: 'ACH CREDIT ACME, INC.,REF INV 61 AND INV 62',
      location: 'line 4',
    });
    expect(s!.lines[1]!.remittance).toBe('WIRE FROM INITECH LLC INV000063');
  });

  it.each([
    ['a file cut short', (f: string) => f.split('\n').slice(0, 8).join('\n'), /ends without its 99 trailer/],
    ['an account without its trailer', (f: string) => f.replace(/^49,.*\n/m, ''), /account 000123456789 \(line 3\) has no 49 trailer/],
    [
      'an amount with a decimal point',
      (f: string) => f.replace('16,475,12000', '16,475,120.00'),
      /^line 7 \(16 amount\): "120.00" is not an amount in minor units/,
    ],
    ['an unknown funds type', (f: string) => f.replace('16,475,12000,0', '16,475,12000,Q'), /^line 7 \(16 funds type\): "Q"/],
    ['a transaction outside an account', (f: string) => f.replace(/^03,.*\n/m, ''), /^line \d+: a transaction \(16\) outside an account/],
    [
      'an impossible as-of date',
      (f: string) => f.replace('261201,2400', '261301,2400'),
      /^line 2 \(02 as-of date\): 2026-13-1 is not a date/,
    ],
  ])('refuses %s', (_label, change, message) => {
    expect(refusal(() => parseBankFile(change(fixture('bai2-sample.bai')), { format: 'bai2' }))).toMatch(message);
  });
});

describe('MT940', () => {
  it('reads the envelope, statement lines and their :86: in German subfields, SWIFT codes and plain text', () => {
    const file = fixture('mt940-sample.sta');
    expect(detectBankFormat(file)).toBe('mt940');
    const [s] = parseBankFile(file).statements;
    expect(s).toMatchObject({
      account: 'DE89370400440532013000',
      currency: 'EUR',
      statementId: '231/1',
      from: '2026-11-30',
      to: '2026-12-01',
      openingBalanceCents: 1_000_000,
      closingBalanceCents: 1_156_956,
    });
    expect(s!.lines.map((l) => [l.direction, l.amountCents, l.typeCode])).toEqual([
      ['credit', 123_456, 'TRF'],
      ['credit', 40_000, 'TRF'],
      ['debit', 1_500, 'CHG'],
      // A reversal is never taken for a payment.
      ['debit', 5_000, 'TRF'],
    ]);
    expect(s!.lines[0]).toMatchObject({
      bookingDate: '2026-12-01',
      valueDate: '2026-12-01',
      bankReference: '2026120100012345',
      endToEndId: 'GLOBEX-PAY-7781',
      remittance: 'Rechnung INV-000042 Kd-Nr 1203 Gutschrift SEPA',
      payerName: 'GlobexGmbH',
      payerAccount: 'DE44500105175407324931',
    });
    expect(s!.lines[1]).toMatchObject({
      endToEndId: 'UMB-991',
      bankReference: 'BK77',
      payerName: 'Umbrella Corp',
      payerAccount: 'GB29NWBK60161331926819',
      remittance: 'INV 000045 AND 46',
    });
    expect(s!.lines[2]).toMatchObject({ remittance: 'Kontofuehrung', endToEndId: null });
  });

  it('takes the entry date in the year nearest its value date (booked over New Year)', () => {
    const file = ':20:X\n:25:DE89370400440532013000\n:60F:C261231EUR0,00\n:61:2612310102C5,00NTRFNONREF\n:62F:C270102EUR5,00\n-';
    expect(parseBankFile(file).statements[0]!.lines[0]).toMatchObject({ valueDate: '2026-12-31', bookingDate: '2027-01-02' });
  });

  it.each([
    [
      'a statement line it cannot read',
      (f: string) => f.replace(':61:261201D15,00NCHG', ':61:261201D15.00NCHG'),
      /^line 12 \(:61:\): "261201D15.00NCHGNONREF" is not a statement line/,
    ],
    ['a statement without its opening balance', (f: string) => f.replace(/:60F:[^\r]*\r\n/, ''), /statement without its opening balance/],
    [
      'a balance it cannot read',
      (f: string) => f.replace(':60F:C261130EUR10000,00', ':60F:X261130EUR10000,00'),
      /^line 5 \(:60F:\): "X261130EUR10000,00" is not a balance/,
    ],
    ['text before the first field', (f: string) => `garbage\n${f.replace(/^\{1:.*\{4:\r\n/, '')}`, /^line 1: text before the first field/],
  ])('refuses %s', (_label, change, message) => {
    expect(refusal(() => parseBankFile(change(fixture('mt940-sample.sta')), { format: 'mt940' }))).toMatch(message);
  });
});

describe('CSV with a saved mapping', () => {
  const mapping = csvMappingSchema.parse({
    account: 'DE89 3704 0044 0532 0130 00',
    delimiter: ';',
    decimal: ',',
    dateFormat: 'DD.MM.YYYY',
    columns: {
      date: 'Buchungstag',
      valueDate: 'Valuta',
      payerName: 'Auftraggeber',
      payerAccount: 'IBAN',
      reference: 'Verwendungszweck',
      amount: 'Betrag',
      currency: 'Währung',
      bankReference: 'Referenz',
    },
  });

  it('reads a German export: semicolons, decimal commas, thousands points, quoted fields, a BOM, signed amounts', () => {
    const file = `\uFEFF${fixture('csv-sample.csv')}`;
    expect(detectBankFormat(file)).toBeNull();
    const { statements } = parseBankFile(file, { format: 'csv', csvMapping: mapping });
    expect(statements[0]).toMatchObject({ account: 'DE89370400440532013000', currency: 'EUR', from: '2026-12-01', to: '2026-12-01' });
    expect(statements[0]!.lines).toEqual([
      expect.objectContaining({
        direction: 'credit',
        amountCents: 123_456,
        payerName: 'Globex GmbH',
        payerAccount: 'DE44500105175407324931',
        remittance: 'Rechnung INV-000042',
        bankReference: 'REF-1',
        location: 'line 2',
      }),
      expect.objectContaining({
        direction: 'credit',
        amountCents: 30_000,
        payerName: 'Initech; SARL',
        remittance: 'Facture inv 43, 44',
        valueDate: '2026-12-02',
      }),
      expect.objectContaining({ direction: 'debit', amountCents: 1_500 }),
    ]);
  });

  it('reads credit and debit columns, US dates and parenthesised negatives', () => {
    const us = csvMappingSchema.parse({
      account: '000123456789',
      currency: 'USD',
      dateFormat: 'MM/DD/YYYY',
      columns: { date: 'Date', credit: 'Credit', debit: 'Debit', reference: ['Description', 'Memo'] },
    });
    const file = 'Date,Description,Memo,Credit,Debit\n12/01/2026,ACH ACME,INV 61,"1,500.00",\n12/01/2026,FEE,,,(12.00)\n';
    expect(
      parseBankFile(file, { format: 'csv', csvMapping: us }).statements[0]!.lines.map((l) => [l.direction, l.amountCents, l.remittance]),
    ).toEqual([
      ['credit', 150_000, 'ACH ACME INV 61'],
      ['debit', 1_200, 'FEE'],
    ]);
  });

  it.each([
    ['a column the file lacks', (f: string) => f.replace('Verwendungszweck', 'Zweck'), /^line 1: no column "Verwendungszweck"/],
    [
      'a date in another layout',
      (f: string) => f.replace('01.12.2026;01.12.2026;Globex', '2026-12-01;01.12.2026;Globex'),
      /^line 2 \(Buchungstag\): "2026-12-01" is not a DD.MM.YYYY date/,
    ],
    ['an amount it cannot read', (f: string) => f.replace('1.234,56', '1,234.56'), /^line 2 \(Betrag\): amount "1,234.56"/],
    ['a row with a column too many', (f: string) => f.replace('REF-1', 'REF-1;extra'), /not a CSV file this mapping reads/],
  ])('refuses %s', (_label, change, message) => {
    expect(refusal(() => parseBankFile(change(fixture('csv-sample.csv')), { format: 'csv', csvMapping: mapping }))).toMatch(message);
  });

  it('refuses a mapping without an amount or a currency', () => {
    expect(csvMappingSchema.safeParse({ account: 'x', columns: { date: 'Date' } }).error?.issues.map((i) => i.path.join('.'))).toEqual([
      'columns.amount',
      'currency',
    ]);
  });
});

it('refuses a file in no format it knows, and a CSV without a mapping', () => {
  expect(refusal(() => parseBankFile('hello'))).toMatch(/^file: not a camt.053, BAI2 or MT940 file/);
  expect(refusal(() => parseBankFile('a,b\n1,2', { format: 'csv' }))).toMatch(/needs the column mapping/);
});
