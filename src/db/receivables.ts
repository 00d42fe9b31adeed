import { addDays } from '../domain/schedule';
import type { Sql } from './client';

/**
 * Receivables at the end of a date, and the money that moved in a period — the one place where
 * report arithmetic lives. Every date is on the **customer's** calendar: each ledger fact carries its
 * booking date there (`due_on`, `paid_on`, `closed_on`, `booked_on`, set by triggers when written),
 * so "the end of 2026-06-30" is midnight in each customer's zone, never a UTC midnight.
 *
 * What was owed at the end of a date is the invoice row's ledger (kept by the projection: total, fees
 * applied, payments, refunds) minus whatever was booked after that date, floored at zero — so only
 * ledger rows booked after the date are read, and only invoices that could still have been owing
 * (open now, or paid/closed after the date) are looked at. The indexes of migration 0006 serve exactly
 * these reads.
 */

/** The aging buckets, by days past the due date on the customer's calendar. */
export const AGING_BUCKETS = ['current', '1-30', '31-60', '61-90', '90+'] as const;
export type AgingBucket = (typeof AGING_BUCKETS)[number];

/**
 * Runs a report's reads in one transaction tuned for them: enough memory to group a book's open
 * invoices in RAM instead of spilling to disk, and no JIT (its compile time exceeds the query's).
 */
async function report<T>(sql: Sql, read: (tx: Sql) => Promise<T>): Promise<T> {
  return sql.begin(async (tx) => {
    await tx`SET LOCAL work_mem = '64MB'`;
    await tx`SET LOCAL jit = off`;
    return read(tx as unknown as Sql);
  }) as Promise<T>;
}

/**
 * Per invoice still owing at the end of `asOf` (customer's day): customer, currency, amount owed
 * then, days past due then. A SQL fragment for the queries below.
 */
function owedAtEndOf(sql: Sql, asOf: string) {
  return sql`
    SELECT i.customer_id, i.currency,
           greatest(0, i.total_cents + i.fees_cents - i.paid_cents + i.refunded_cents
                       - coalesce(f.fees, 0) + coalesce(m.paid, 0) - coalesce(m.refunded, 0)) AS due_cents,
           ${asOf}::date - i.due_on AS days_past_due
    FROM (
      -- Open now (an index-only scan of invoices_open_ledger_idx) …
      SELECT id, customer_id, currency, due_on, total_cents, fees_cents, paid_cents, refunded_cents
      FROM invoices WHERE status = 'open' AND issue_date <= ${asOf}::date
      UNION ALL
      -- … or paid or closed since the date.
      SELECT id, customer_id, currency, due_on, total_cents, fees_cents, paid_cents, refunded_cents
      FROM invoices
      WHERE ((status = 'paid' AND paid_on > ${asOf}::date) OR (status IN ('void', 'uncollectible') AND closed_on > ${asOf}::date))
        AND issue_date <= ${asOf}::date
    ) i
    LEFT JOIN (
      SELECT invoice_id, sum(amount_cents) AS fees FROM late_fees WHERE booked_on > ${asOf}::date GROUP BY invoice_id
    ) f ON f.invoice_id = i.id
    LEFT JOIN (
      SELECT invoice_id, sum(amount_cents) FILTER (WHERE kind = 'payment') AS paid, sum(amount_cents) FILTER (WHERE kind = 'refund') AS refunded
      FROM payments WHERE status = 'applied' AND booked_on > ${asOf}::date GROUP BY invoice_id
    ) m ON m.invoice_id = i.id`;
}

const bucketOf = (sql: Sql) => sql`
  CASE WHEN days_past_due <= 0 THEN 'current' WHEN days_past_due <= 30 THEN '1-30' WHEN days_past_due <= 60 THEN '31-60'
       WHEN days_past_due <= 90 THEN '61-90' ELSE '90+' END`;

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
  return report(sql, (sql) => sql<AgingRow[]>`
    SELECT a.customer_id AS "customerId", c.name AS "customerName", a.currency, a.bucket, a.cents AS "amountCents", a.n AS invoices
    FROM (
      SELECT customer_id, currency, ${bucketOf(sql)} AS bucket, sum(due_cents)::bigint AS cents, count(*)::int AS n
      FROM (${owedAtEndOf(sql, asOf)}) owed WHERE due_cents > 0
      GROUP BY 1, 2, 3
    ) a JOIN customers c ON c.id = a.customer_id
    ORDER BY c.name, a.customer_id, a.currency`);
}

/** Receivables per currency at the end of `asOf`, with the part not yet due (`current`). */
async function receivablesByCurrency(sql: Sql, asOf: string): Promise<Map<string, { totalCents: number; currentCents: number }>> {
  const rows = await report(sql, (sql) => sql<{ currency: string; totalCents: number; currentCents: number }[]>`
    SELECT currency, sum(due_cents)::bigint AS "totalCents", coalesce(sum(due_cents) FILTER (WHERE days_past_due <= 0), 0)::bigint AS "currentCents"
    FROM (${owedAtEndOf(sql, asOf)}) owed WHERE due_cents > 0
    GROUP BY currency`);
  return new Map(rows.map((r) => [r.currency, { totalCents: r.totalCents, currentCents: r.currentCents }]));
}

/** Money that moved in a period, per currency (see `kpis`). */
interface PeriodFlows {
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
  const [opening, closing, flows] = await Promise.all([receivablesByCurrency(sql, addDays(from, -1)), receivablesByCurrency(sql, to), periodFlows(sql, from, to)]);
  const currencies = [...new Set([...opening.keys(), ...closing.keys(), ...flows.keys()])].sort();
  return {
    days,
    currencies: currencies.map((currency) => {
      const open = opening.get(currency)?.totalCents ?? 0;
      const close = closing.get(currency) ?? { totalCents: 0, currentCents: 0 };
      const f: PeriodFlows = flows.get(currency) ?? { invoicedCents: 0, invoicesIssued: 0, lateFeesCents: 0, voidedCents: 0, paymentsCents: 0, refundsCents: 0, writtenOffCents: 0, invoicesPaid: 0, daysToPaySum: 0 };
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
  const [invoiced, fees, money, closed, paid] = await Promise.all([
    report(sql, (sql) => sql<{ currency: string; cents: number; n: number }[]>`
      SELECT currency, sum(total_cents)::bigint AS cents, count(*)::int AS n FROM invoices
      WHERE issue_date BETWEEN ${from}::date AND ${to}::date GROUP BY currency`),
    report(sql, (sql) => sql<{ currency: string; cents: number }[]>`
      SELECT currency, sum(amount_cents)::bigint AS cents FROM late_fees
      WHERE booked_on BETWEEN ${from}::date AND ${to}::date GROUP BY currency`),
    report(sql, (sql) => sql<{ currency: string; payments: number; refunds: number }[]>`
      SELECT currency,
             coalesce(sum(amount_cents) FILTER (WHERE kind = 'payment'), 0)::bigint AS payments,
             coalesce(sum(amount_cents) FILTER (WHERE kind = 'refund'), 0)::bigint AS refunds
      FROM payments WHERE status = 'applied' AND booked_on BETWEEN ${from}::date AND ${to}::date GROUP BY currency`),
    report(sql, (sql) => sql<{ currency: string; voided: number; writtenOff: number }[]>`
      SELECT currency,
             coalesce(sum(greatest(0, total_cents + fees_cents - paid_cents + refunded_cents)) FILTER (WHERE status = 'void'), 0)::bigint AS voided,
             coalesce(sum(amount_due_cents) FILTER (WHERE status = 'uncollectible'), 0)::bigint AS "writtenOff"
      FROM invoices WHERE closed_on BETWEEN ${from}::date AND ${to}::date GROUP BY currency`),
    report(sql, (sql) => sql<{ currency: string; n: number; days: number }[]>`
      SELECT currency, count(*)::int AS n, coalesce(sum(paid_on - issue_date), 0)::bigint AS days
      FROM invoices WHERE status = 'paid' AND paid_on BETWEEN ${from}::date AND ${to}::date GROUP BY currency`),
  ]);
  const flows = new Map<string, PeriodFlows>();
  const of = (currency: string) => {
    let f = flows.get(currency);
    if (!f) flows.set(currency, (f = { invoicedCents: 0, invoicesIssued: 0, lateFeesCents: 0, voidedCents: 0, paymentsCents: 0, refundsCents: 0, writtenOffCents: 0, invoicesPaid: 0, daysToPaySum: 0 }));
    return f;
  };
  for (const r of invoiced) Object.assign(of(r.currency), { invoicedCents: r.cents, invoicesIssued: r.n });
  for (const r of fees) of(r.currency).lateFeesCents = r.cents;
  for (const r of money) Object.assign(of(r.currency), { paymentsCents: r.payments, refundsCents: r.refunds });
  for (const r of closed) Object.assign(of(r.currency), { voidedCents: r.voided, writtenOffCents: r.writtenOff });
  for (const r of paid) Object.assign(of(r.currency), { invoicesPaid: r.n, daysToPaySum: r.days });
  return flows;
}
