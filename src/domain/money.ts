import { DomainError, ErrorCode } from './errors';

/** ISO 4217 code, upper case. */
export type Currency = string & { readonly __brand: 'Currency' };

/**
 * Currencies we accept. Minor-unit exponents other than 2 are listed so that formatting is right;
 * amounts are always stored in the currency's minor unit.
 */
const MINOR_UNITS: Readonly<Record<string, number>> = {
  USD: 2,
  EUR: 2,
  GBP: 2,
  CAD: 2,
  AUD: 2,
  NZD: 2,
  CHF: 2,
  SEK: 2,
  NOK: 2,
  DKK: 2,
  PLN: 2,
  CZK: 2,
  HUF: 2,
  RON: 2,
  BGN: 2,
  MXN: 2,
  BRL: 2,
  INR: 2,
  SGD: 2,
  HKD: 2,
  ZAR: 2,
  ILS: 2,
  AED: 2,
  SAR: 2,
  CNY: 2,
  TRY: 2,
  THB: 2,
  MYR: 2,
  PHP: 2,
  IDR: 2,
  TWD: 2,
  JPY: 0,
  KRW: 0,
  CLP: 0,
  ISK: 0,
  VND: 0,
  BHD: 3,
  KWD: 3,
  JOD: 3,
  OMR: 3,
  TND: 3,
};

export const SUPPORTED_CURRENCIES: readonly string[] = Object.keys(MINOR_UNITS);

/**
 * The largest amount anything may carry, in minor units (10¹²: USD 10 billion, JPY 1 trillion). With
 * late fees capped by policy validation (at most doubling a bill, plus bounded fixed fees), every
 * amount an invoice can reach stays far inside safe integers, Postgres bigint and Temporal's int64
 * search attributes.
 */
export const MAX_AMOUNT_MINOR = 1_000_000_000_000;

export function isCurrency(value: string): value is Currency {
  return Object.prototype.hasOwnProperty.call(MINOR_UNITS, value);
}

/** Quantity × unit amount, refusing a line beyond `MAX_AMOUNT_MINOR`. */
export function lineTotalCents(quantity: number, unitAmountCents: number): number {
  const total = quantity * unitAmountCents;
  if (!Number.isSafeInteger(total) || total > MAX_AMOUNT_MINOR) {
    throw new DomainError(ErrorCode.INVALID_AMOUNT, `a line may total at most ${MAX_AMOUNT_MINOR} minor units`, {
      field: 'lines',
      quantity,
      unitAmountCents,
    });
  }
  return total;
}

/** The total of an invoice's lines: more than zero (nobody is chased for nothing) and at most `MAX_AMOUNT_MINOR`. */
export function invoiceTotalCents(lines: readonly { readonly quantity: number; readonly unitAmountCents: number }[]): number {
  const total = lines.reduce((sum, l) => sum + lineTotalCents(l.quantity, l.unitAmountCents), 0);
  if (total <= 0)
    throw new DomainError(ErrorCode.INVALID_AMOUNT, 'the lines total zero; an invoice must be for more than nothing', { field: 'lines' });
  if (total > MAX_AMOUNT_MINOR)
    throw new DomainError(ErrorCode.INVALID_AMOUNT, `an invoice may total at most ${MAX_AMOUNT_MINOR} minor units`, { field: 'lines' });
  return total;
}

/**
 * `amountCents × basisPoints / 10 000`, rounded half up, in integer arithmetic.
 * 1.5 % is 150 basis points.
 */
export function percentOfCents(amountCents: number, basisPoints: number): number {
  const product = BigInt(amountCents) * BigInt(basisPoints);
  return Number((product + 5000n) / 10000n);
}

/** How many minor units a currency's major unit has, as a power of ten (2 for USD, 0 for JPY, 3 for BHD). */
export function currencyExponent(currency: string): number | undefined {
  return MINOR_UNITS[currency];
}

/** Human formatting for emails and PDFs, e.g. `USD 1,234.50`. */
export function formatMoney(amountCents: number, currency: string): string {
  const exponent = MINOR_UNITS[currency] ?? 2;
  const negative = amountCents < 0;
  const abs = Math.abs(amountCents);
  const unit = 10 ** exponent;
  const major = Math.floor(abs / unit)
    .toString()
    .replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const minor = exponent > 0 ? '.' + (abs % unit).toString().padStart(exponent, '0') : '';
  return `${negative ? '-' : ''}${currency} ${major}${minor}`;
}

/**
 * Parses an amount written in major units, as accounting exports write them (`1234.5`, `1234.50`,
 * `0.999` for BHD), into exact minor units without floating point. Thousands separators and
 * decimal commas are refused rather than guessed.
 */
export function parseMajorUnits(text: string, currency: string): number {
  const exponent = MINOR_UNITS[currency];
  if (exponent === undefined) throw new DomainError(ErrorCode.VALIDATION, `unsupported currency ${currency}`);
  const match = /^(\d+)(?:\.(\d+))?$/.exec(text.trim());
  if (!match)
    throw new DomainError(ErrorCode.VALIDATION, `"${text}" is not an amount: write digits with an optional decimal point, e.g. 1234.50`);
  const [, whole, fraction = ''] = match;
  if (fraction.length > exponent) {
    throw new DomainError(ErrorCode.VALIDATION, `"${text}" has more decimals than ${currency} allows (${exponent})`);
  }
  const minor = BigInt(whole!) * 10n ** BigInt(exponent) + BigInt(fraction.padEnd(exponent, '0') || '0');
  if (minor > BigInt(MAX_AMOUNT_MINOR)) throw new DomainError(ErrorCode.INVALID_AMOUNT, `"${text}" is too large`);
  return Number(minor);
}
