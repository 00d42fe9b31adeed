/**
 * The collection KPIs of a period, per currency: the one place their formulas live (DOMAIN.md's
 * definitions). Inputs are what the ledger says; every ratio is null where its denominator is zero.
 */

/** Money that moved in a period (or on one day), per currency. */
export interface PeriodFlows {
  invoicedCents: number;
  invoicesIssued: number;
  lateFeesCents: number;
  voidedCents: number;
  paymentsCents: number;
  refundsCents: number;
  writtenOffCents: number;
  invoicesPaid: number;
  daysToPaySum: number;
}

export const NO_FLOWS: PeriodFlows = {
  invoicedCents: 0,
  invoicesIssued: 0,
  lateFeesCents: 0,
  voidedCents: 0,
  paymentsCents: 0,
  refundsCents: 0,
  writtenOffCents: 0,
  invoicesPaid: 0,
  daysToPaySum: 0,
};

export interface KpiFigures {
  readonly currency: string;
  readonly openingReceivablesCents: number;
  readonly closingReceivablesCents: number;
  readonly closingCurrentCents: number;
  /** Credit sales: invoices issued + late fees charged − invoices voided (a void is a credit note). */
  readonly billedCents: number;
  readonly invoicedCents: number;
  readonly invoicesIssued: number;
  readonly lateFeesCents: number;
  readonly voidedCents: number;
  /** Payments applied − refunds, by the date money moved. Unapplied cash is not collected yet. */
  readonly collectedCents: number;
  readonly paymentsCents: number;
  readonly refundsCents: number;
  /** Owed when invoices were handed off as uncollectible in the period, and write-off entries booked in it. */
  readonly writtenOffCents: number;
  /** Days sales outstanding: closing receivables ÷ billed × days; null without sales. */
  readonly dso: number | null;
  /** Collection effectiveness index, percent; null when nothing was collectable. */
  readonly ceiPercent: number | null;
  /** Mean of (paid date − issue date) over invoices paid in the period (and still paid). */
  readonly averageDaysToPay: number | null;
  readonly invoicesPaid: number;
  /** Written off ÷ billed, percent; null without sales. */
  readonly badDebtPercent: number | null;
}

const round = (v: number, digits: number) => Math.round(v * 10 ** digits) / 10 ** digits;

/**
 * The KPIs of a `days`-day period from its opening receivables, its closing ones (with the part not
 * yet due) and its flows:
 * - DSO = closing receivables ÷ credit sales × days;
 * - CEI = (opening + credit sales − closing) ÷ (opening + credit sales − closing current) × 100;
 * - average days to pay = days to pay ÷ invoices paid;
 * - bad-debt ratio = written off ÷ credit sales × 100.
 */
export function kpiFigures(o: {
  currency: string;
  days: number;
  openingCents: number;
  closing: { totalCents: number; currentCents: number };
  flows: PeriodFlows;
}): KpiFigures {
  const { flows: f, openingCents: open, closing: close } = o;
  const billed = f.invoicedCents + f.lateFeesCents - f.voidedCents;
  const ceiDenominator = open + billed - close.currentCents;
  return {
    currency: o.currency,
    openingReceivablesCents: open,
    closingReceivablesCents: close.totalCents,
    closingCurrentCents: close.currentCents,
    billedCents: billed,
    invoicedCents: f.invoicedCents,
    invoicesIssued: f.invoicesIssued,
    lateFeesCents: f.lateFeesCents,
    voidedCents: f.voidedCents,
    collectedCents: f.paymentsCents - f.refundsCents,
    paymentsCents: f.paymentsCents,
    refundsCents: f.refundsCents,
    writtenOffCents: f.writtenOffCents,
    dso: billed > 0 ? round((close.totalCents / billed) * o.days, 1) : null,
    ceiPercent: ceiDenominator > 0 ? round(((open + billed - close.totalCents) / ceiDenominator) * 100, 1) : null,
    averageDaysToPay: f.invoicesPaid > 0 ? round(f.daysToPaySum / f.invoicesPaid, 1) : null,
    invoicesPaid: f.invoicesPaid,
    badDebtPercent: billed > 0 ? round((f.writtenOffCents / billed) * 100, 2) : null,
  };
}
