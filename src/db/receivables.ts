import { addDays } from '../domain/schedule';
import type { Sql } from './client';
import { readAgingLines, readDailyFlows } from './report-snapshots';
import { sumFlows, type AgingBucket, type PeriodFlows } from './report-sql';

export { AGING_BUCKETS, type AgingBucket } from './report-sql';

/**
 * The aging and KPI reports: receivables at the end of a date, and the money that moved in a
 * period. Dates are on each customer's calendar. The figures come from report-sql.ts — live for
 * days some customer may still be living, from the snapshots of report-snapshots.ts for days over.
 */

export interface AgingRow {
  customerId: string;
  customerName: string;
  currency: string;
  bucket: AgingBucket;
  amountCents: number;
  invoices: number;
}

/**
 * Open receivables at the end of `asOf`, per customer, currency and bucket. Void and uncollectible
 * (written-off) invoices drop out from the moment they closed; invoices issued later do not count.
 */
export async function agingByCustomer(sql: Sql, asOf: string): Promise<AgingRow[]> {
  return readAgingLines(
    sql,
    asOf,
    (tx, lines) => tx<AgingRow[]>`
    SELECT l.customer_id AS "customerId", c.name AS "customerName", l.currency, l.bucket, l.cents AS "amountCents", l.n AS invoices
    FROM (${lines}) l JOIN customers c ON c.id = l.customer_id
    ORDER BY c.name, l.customer_id, l.currency`,
  );
}

/** Receivables per currency at the end of `asOf`, with the part not yet due (`current`). */
async function receivablesByCurrency(sql: Sql, asOf: string): Promise<Map<string, { totalCents: number; currentCents: number }>> {
  const rows = await readAgingLines(
    sql,
    asOf,
    (tx, lines) => tx<{ currency: string; totalCents: number; currentCents: number }[]>`
    SELECT currency, sum(cents)::bigint AS "totalCents", coalesce(sum(cents) FILTER (WHERE bucket = 'current'), 0)::bigint AS "currentCents"
    FROM (${lines}) l GROUP BY currency`,
  );
  return new Map(rows.map((r) => [r.currency, { totalCents: r.totalCents, currentCents: r.currentCents }]));
}

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
  /** Owed when invoices were handed off as uncollectible in the period. */
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

const round = (value: number, places: number) => Math.round(value * 10 ** places) / 10 ** places;

/**
 * The finance KPIs (formulas in shared/DOMAIN.md) for the period `from`…`to` inclusive, per currency.
 * Opening receivables are those at the end of the day before `from`; closing, at the end of `to`.
 */
export async function kpis(sql: Sql, from: string, to: string): Promise<{ days: number; currencies: KpiFigures[] }> {
  const days = Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000) + 1;
  const [opening, closing, flows] = await Promise.all([
    receivablesByCurrency(sql, addDays(from, -1)),
    receivablesByCurrency(sql, to),
    periodFlows(sql, from, to),
  ]);
  const currencies = [...new Set([...opening.keys(), ...closing.keys(), ...flows.keys()])].sort();
  return {
    days,
    currencies: currencies.map((currency) => {
      const open = opening.get(currency)?.totalCents ?? 0;
      const close = closing.get(currency) ?? { totalCents: 0, currentCents: 0 };
      const f: PeriodFlows = flows.get(currency) ?? {
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
      const billed = f.invoicedCents + f.lateFeesCents - f.voidedCents;
      const ceiDenominator = open + billed - close.currentCents;
      return {
        currency,
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
        dso: billed > 0 ? round((close.totalCents / billed) * days, 1) : null,
        ceiPercent: ceiDenominator > 0 ? round(((open + billed - close.totalCents) / ceiDenominator) * 100, 1) : null,
        averageDaysToPay: f.invoicesPaid > 0 ? round(f.daysToPaySum / f.invoicesPaid, 1) : null,
        invoicesPaid: f.invoicesPaid,
        badDebtPercent: billed > 0 ? round((f.writtenOffCents / billed) * 100, 2) : null,
      };
    }),
  };
}

async function periodFlows(sql: Sql, from: string, to: string): Promise<Map<string, PeriodFlows>> {
  const rows = await readDailyFlows(sql, from, to, (tx, days) => tx<({ currency: string } & PeriodFlows)[]>`${sumFlows(tx, days)}`);
  return new Map(rows.map(({ currency, ...flows }) => [currency, flows]));
}
