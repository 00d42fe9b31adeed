import { parseBai2 } from './bai2';
import { parseCamt053 } from './camt053';
import { parseBankCsv, type CsvMapping } from './csv';
import { parseMt940 } from './mt940';
import { malformed, type BankFormat, type BankStatement } from './statement';

export * from './statement';
export { csvMappingSchema, type CsvMapping } from './csv';

/** The format a file is in, by its first bytes; null when it is none of the self-describing ones (CSV needs a mapping). */
export function detectBankFormat(content: string): Exclude<BankFormat, 'csv'> | null {
  const head = content
    .replace(/^\uFEFF/, '')
    .trimStart()
    .slice(0, 2000);
  if (head.startsWith('<') && /BkToCstmrStmt/.test(content.slice(0, 20_000))) return 'camt053';
  if (/^01,/.test(head)) return 'bai2';
  if (/^(\{1:|:20:)/.test(head)) return 'mt940';
  return null;
}

/**
 * Reads a bank file into its statements (one per account in it). `format` may be left out for the
 * self-describing formats; a CSV needs the account's saved mapping. A file that cannot be read is
 * refused (VALIDATION) naming the line or element and why; nothing is half-read.
 */
export function parseBankFile(
  content: string,
  o: { format?: BankFormat; csvMapping?: CsvMapping } = {},
): { format: BankFormat; statements: BankStatement[] } {
  const format = o.format ?? detectBankFormat(content);
  if (!format) throw malformed('file', 'not a camt.053, BAI2 or MT940 file (a CSV export needs ?format=csv and the account’s mapping)');
  switch (format) {
    case 'camt053':
      return { format, statements: parseCamt053(content) };
    case 'bai2':
      return { format, statements: parseBai2(content) };
    case 'mt940':
      return { format, statements: parseMt940(content) };
    case 'csv':
      if (!o.csvMapping) throw malformed('file', 'a CSV export needs the column mapping of its account');
      return { format, statements: [parseBankCsv(content, o.csvMapping)] };
  }
}
