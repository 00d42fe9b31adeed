import { DomainError, ErrorCode } from '../errors';
import { isCurrency, parseMajorUnits } from '../money';

/** The bank file formats the engine reads. */
export const BANK_FORMATS = ['camt053', 'bai2', 'mt940', 'csv'] as const;
export type BankFormat = (typeof BANK_FORMATS)[number];

/**
 * One entry of a bank statement, whatever the format: money in (`credit`) or out (`debit`), with
 * what the bank says about who paid and why. Amounts are positive minor units; the direction says
 * which way. Only booked entries are listed (pending ones are not money yet).
 */
export interface BankLine {
  readonly direction: 'credit' | 'debit';
  readonly amountCents: number;
  readonly currency: string;
  /** YYYY-MM-DD, as the bank booked it. */
  readonly bookingDate: string;
  readonly valueDate: string | null;
  /** The bank's own reference of the entry (AcctSvcrRef, BAI2 bank reference, MT940 `//` reference). */
  readonly bankReference: string | null;
  /** The payer's end-to-end id (SEPA EndToEndId, MT940 customer reference), when not `NOTPROVIDED`. */
  readonly endToEndId: string | null;
  /** A structured creditor reference (ISO 11649 `RF…`, CdtrRefInf/Ref), when given. */
  readonly structuredReference: string | null;
  /** Free remittance text (Ustrd, field 86, BAI2 text), whitespace collapsed. */
  readonly remittance: string;
  readonly payerName: string | null;
  /** IBAN or account number of the payer, without spaces, upper case. */
  readonly payerAccount: string | null;
  /** The bank's transaction code (BAI2 type code, MT940 `NTRF`, CAMT `BkTxCd`), when given. */
  readonly typeCode: string | null;
  /** Where it is in the file (`Ntry 3`, `line 17`): for errors and for people. */
  readonly location: string;
}

/** One account's statement; a file may hold several. */
export interface BankStatement {
  /** The account the statement is for: IBAN or account number, without spaces, upper case. */
  readonly account: string;
  readonly currency: string;
  /** The statement's id or number in the bank's file, when it has one. */
  readonly statementId: string | null;
  readonly from: string | null;
  readonly to: string | null;
  readonly openingBalanceCents: number | null;
  readonly closingBalanceCents: number | null;
  readonly lines: readonly BankLine[];
}

/** Thrown for a file that is not what its format says, naming where (`line 17`, `Stmt 1 / Ntry 3`) and why. */
export function malformed(location: string, reason: string): DomainError {
  return new DomainError(ErrorCode.VALIDATION, `${location}: ${reason}`, { field: location });
}

/** An account or IBAN as banks print it (`DE89 3704 0044 …`), compared without spaces in upper case. */
export const normalizeAccount = (text: string | null | undefined): string | null => {
  const value = (text ?? '').replace(/[\s-]/g, '').toUpperCase();
  return value === '' ? null : value;
};

/** Free text with whitespace (line breaks of the bank's fixed-width fields) collapsed. */
export const collapse = (text: string | null | undefined): string => (text ?? '').replace(/\s+/g, ' ').trim();

/** A currency code the engine knows, or a refusal naming where. */
export function currencyAt(location: string, code: string | null | undefined): string {
  const c = (code ?? '').trim().toUpperCase();
  if (!isCurrency(c)) throw malformed(location, `"${code ?? ''}" is not a supported currency`);
  return c;
}

/** A decimal amount (`1234.56`, or `1234,56` where the format uses a comma) as minor units, or a refusal naming where. */
export function amountAt(location: string, text: string | null | undefined, currency: string, decimal: '.' | ',' = '.'): number {
  let value = (text ?? '').trim();
  if (decimal === ',') {
    if (value.includes('.')) throw malformed(location, `amount "${text}" must use a decimal comma`);
    value = value.replace(',', '.');
  }
  if (value.endsWith('.')) value = value.slice(0, -1);
  try {
    return parseMajorUnits(value, currency);
  } catch (err) {
    if (err instanceof DomainError) throw malformed(location, `amount "${text}": ${err.message}`);
    throw err;
  }
}

/** A YYYY-MM-DD date that exists, or a refusal naming where. */
export function dateAt(location: string, y: number, m: number, d: number): string {
  const date = new Date(Date.UTC(y, m - 1, d));
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d) {
    throw malformed(location, `${y}-${m}-${d} is not a date`);
  }
  return date.toISOString().slice(0, 10);
}

/** `YYMMDD` of SWIFT and BAI2 files: years 00–79 are 20xx, 80–99 are 19xx. */
export function yymmddAt(location: string, text: string): string {
  const match = /^(\d{2})(\d{2})(\d{2})$/.exec(text.trim());
  if (!match) throw malformed(location, `"${text}" is not a YYMMDD date`);
  const yy = Number(match[1]);
  return dateAt(location, yy < 80 ? 2000 + yy : 1900 + yy, Number(match[2]), Number(match[3]));
}
