import { parse } from 'csv-parse/sync';
import { z } from 'zod';
import { amountAt, collapse, currencyAt, dateAt, malformed, normalizeAccount, type BankLine, type BankStatement } from './statement';

const column = z.string().trim().min(1).max(100);

/**
 * How a bank's CSV export reads (saved per bank account): which column holds what, the date layout
 * and the decimal mark. Amounts come from one signed column (`amount`: negative is money out) or
 * from a `credit` and a `debit` column.
 */
export const csvMappingSchema = z
  .strictObject({
    account: z.string().trim().min(1).max(64),
    currency: z.string().trim().length(3).optional(),
    delimiter: z.enum([',', ';', '\t']).default(','),
    decimal: z.enum(['.', ',']).default('.'),
    dateFormat: z.enum(['YYYY-MM-DD', 'DD/MM/YYYY', 'MM/DD/YYYY', 'DD.MM.YYYY']).default('YYYY-MM-DD'),
    columns: z.strictObject({
      date: column,
      valueDate: column.optional(),
      amount: column.optional(),
      credit: column.optional(),
      debit: column.optional(),
      currency: column.optional(),
      /** One column or several (joined in order) holding the remittance text. */
      reference: z.union([column, z.array(column).min(1).max(5)]).optional(),
      payerName: column.optional(),
      payerAccount: column.optional(),
      bankReference: column.optional(),
    }),
  })
  .refine((m) => m.columns.amount !== undefined || m.columns.credit !== undefined, {
    message: 'name an amount column, or a credit column (and a debit one)',
    path: ['columns', 'amount'],
  })
  .refine((m) => m.columns.currency !== undefined || m.currency !== undefined, {
    message: 'name a currency column, or the currency of the account',
    path: ['currency'],
  });
export type CsvMapping = z.output<typeof csvMappingSchema>;

/** A bank's CSV export, read with its saved mapping: one statement for the mapping's account. */
export function parseBankCsv(text: string, mapping: CsvMapping): BankStatement {
  let rows: Record<string, string>[];
  try {
    rows = parse(text.replace(/^\uFEFF/, ''), {
      columns: true,
      delimiter: mapping.delimiter,
      skip_empty_lines: true,
      trim: true,
      relax_column_count: false,
    });
  } catch (err) {
    const line = (err as { lines?: number }).lines;
    throw malformed(line ? `line ${line}` : 'file', `not a CSV file this mapping reads (${(err as Error).message})`);
  }
  const header = rows.length > 0 ? Object.keys(rows[0]!) : [];
  const { columns } = mapping;
  const named = [
    columns.date,
    columns.valueDate,
    columns.amount,
    columns.credit,
    columns.debit,
    columns.currency,
    columns.payerName,
    columns.payerAccount,
    columns.bankReference,
    ...[columns.reference ?? []].flat(),
  ];
  for (const name of named)
    if (name !== undefined && rows.length > 0 && !header.includes(name))
      throw malformed('line 1', `no column "${name}" (the file has ${header.map((h) => `"${h}"`).join(', ')})`);
  const account = normalizeAccount(mapping.account)!;
  const lines = rows.flatMap((row, i): BankLine[] => {
    const where = `line ${i + 2}`;
    const currency = currencyAt(`${where} (currency)`, columns.currency ? row[columns.currency] : mapping.currency);
    const signed =
      columns.amount !== undefined
        ? signedAmount(`${where} (${columns.amount})`, row[columns.amount] ?? '', currency, mapping.decimal)
        : creditDebit(where, row, mapping, currency);
    if (signed === 0) return [];
    return [
      {
        direction: signed > 0 ? 'credit' : 'debit',
        amountCents: Math.abs(signed),
        currency,
        bookingDate: dateIn(`${where} (${columns.date})`, row[columns.date] ?? '', mapping.dateFormat),
        valueDate:
          columns.valueDate && row[columns.valueDate]
            ? dateIn(`${where} (${columns.valueDate})`, row[columns.valueDate]!, mapping.dateFormat)
            : null,
        bankReference: (columns.bankReference && row[columns.bankReference]) || null,
        endToEndId: null,
        structuredReference: null,
        remittance: collapse(
          [columns.reference ?? []]
            .flat()
            .map((c) => row[c] ?? '')
            .join(' '),
        ),
        payerName: collapse(columns.payerName ? row[columns.payerName] : '') || null,
        payerAccount: normalizeAccount(columns.payerAccount ? row[columns.payerAccount] : null),
        typeCode: null,
        location: where,
      },
    ];
  });
  const dates = lines.map((l) => l.bookingDate).sort();
  return {
    account,
    currency: lines[0]?.currency ?? currencyAt('mapping (currency)', mapping.currency),
    statementId: null,
    from: dates[0] ?? null,
    to: dates[dates.length - 1] ?? null,
    openingBalanceCents: null,
    closingBalanceCents: null,
    lines,
  };
}

/** An amount with an optional sign and thousands separators in their places (`-1,234.56`, `1.234,56`). */
function signedAmount(where: string, text: string, currency: string, decimal: '.' | ','): number {
  const value = text.trim().replace(/^\((.*)\)$/, '-$1');
  if (value === '') return 0;
  const negative = value.startsWith('-');
  const unsigned = value.replace(/^[-+]/, '');
  const thousands = decimal === '.' ? ',' : '.';
  const grouped = new RegExp(`^\\d{1,3}(\\${thousands}\\d{3})+(\\${decimal}\\d+)?$`);
  const plain = grouped.test(unsigned) ? unsigned.split(thousands).join('') : unsigned;
  const cents = amountAt(where, plain, currency, decimal);
  return negative ? -cents : cents;
}

function creditDebit(where: string, row: Record<string, string>, mapping: CsvMapping, currency: string): number {
  const { credit, debit } = mapping.columns;
  const inCents = credit ? signedAmount(`${where} (${credit})`, row[credit] ?? '', currency, mapping.decimal) : 0;
  const outCents = debit ? signedAmount(`${where} (${debit})`, row[debit] ?? '', currency, mapping.decimal) : 0;
  if (inCents !== 0 && outCents !== 0) throw malformed(where, 'has both a credit and a debit amount');
  return inCents !== 0 ? Math.abs(inCents) : -Math.abs(outCents);
}

const DATE_LAYOUTS: Readonly<Record<CsvMapping['dateFormat'], { shape: RegExp; order: [number, number, number] }>> = {
  'YYYY-MM-DD': { shape: /^(\d{4})-(\d{1,2})-(\d{1,2})$/, order: [1, 2, 3] },
  'DD/MM/YYYY': { shape: /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/, order: [3, 2, 1] },
  'MM/DD/YYYY': { shape: /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/, order: [3, 1, 2] },
  'DD.MM.YYYY': { shape: /^(\d{1,2})\.(\d{1,2})\.(\d{4})$/, order: [3, 2, 1] },
};

function dateIn(where: string, text: string, format: CsvMapping['dateFormat']): string {
  const { shape, order } = DATE_LAYOUTS[format];
  const m = shape.exec(text.trim());
  if (!m) throw malformed(where, `"${text}" is not a ${format} date`);
  const [y, mo, d] = order.map((i) => Number(m[i]));
  return dateAt(where, y!, mo!, d!);
}
