import type { Sql } from './client';

/**
 * Receivables as they stood at an instant, and the money that moved in a period — the one place
 * where report arithmetic lives. Every date is read on the **customer's** calendar: "the end of
 * 2026-06-30" is midnight in each customer's zone, never a UTC midnight.
 *
 * What was owed at an instant is the invoice row's ledger (kept by the projection: total, fees
 * applied, payments, refunds) minus whatever happened after the instant, floored at zero — so only
 * the ledger rows after the instant are read, and only invoices that could still have been owing
 * (open now, or paid/closed after the instant) are looked at. The indexes of migration 0006 serve
 * exactly these reads.
 */

/** The aging buckets, by days past the due date on the customer's calendar. */
export const AGING_BUCKETS = ['current', '1-30', '31-60', '61-90', '90+'] as const;
export type AgingBucket = (typeof AGING_BUCKETS)[number];

// Zones span UTC−12 … UTC+14: a customer's midnight lies between 14 h before and 12 h after the UTC
// one. Range reads start/end there (served by an index), then each row is checked in its zone.
const earliestMidnight = (sql: Sql, date: string) => sql`(${date}::date::timestamp AT TIME ZONE 'UTC') - interval '14 hours'`;
const latestMidnight = (sql: Sql, date: string) => sql`(${date}::date::timestamp AT TIME ZONE 'UTC') + interval '12 hours'`;
/** Midnight starting `date` on the calendar of the customer aliased `c` (customers table). */
const midnightOf = (sql: Sql, date: string) => sql`(${date}::date::timestamp AT TIME ZONE c.time_zone)`;
const nextDay = (date: string) => new Date(Date.parse(`${date}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
const dayBefore = (date: string) => new Date(Date.parse(`${date}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);

/**
 * Per invoice still owing at the end of `asOf` (customer's day): customer, currency, amount owed
 * then, days past due then. A SQL fragment for the queries below.
 */
function owedAtEndOf(sql: Sql, asOf: string) {
  const end = nextDay(asOf);
  const lo = earliestMidnight(sql, end);
  return sql`
    SELECT i.id, i.customer_id, c.name AS customer_name, i.currency,
           greatest(0, i.total_cents + i.fees_cents - i.paid_cents + i.refunded_cents
                       - coalesce(f.fees, 0) + coalesce(m.paid, 0) - coalesce(m.refunded, 0)) AS due_cents,
           ${asOf}::date - (i.due_at AT TIME ZONE c.time_zone)::date AS days_past_due
    FROM (
      SELECT id FROM invoices WHERE status = 'open'
      UNION SELECT id FROM invoices WHERE paid_at >= ${lo}
      UNION SELECT id FROM invoices WHERE closed_at >= ${lo}
    ) candidate
    JOIN invoices i ON i.id = candidate.id
    JOIN customers c ON c.id = i.customer_id
    CROSS JOIN LATERAL (SELECT ${midnightOf(sql, end)} AS cutoff) k
    LEFT JOIN (
      SELECT f.invoice_id, sum(f.amount_cents) AS fees
      FROM late_fees f JOIN invoices fi ON fi.id = f.invoice_id JOIN customers c ON c.id = fi.customer_id
      WHERE f.applied_at >= ${lo} AND f.applied_at >= ${midnightOf(sql, end)}
      GROUP BY f.invoice_id
    ) f ON f.invoice_id = i.id
    LEFT JOIN (
      SELECT p.invoice_id,
             sum(p.amount_cents) FILTER (WHERE p.kind = 'payment') AS paid,
             sum(p.amount_cents) FILTER (WHERE p.kind = 'refund') AS refunded
      FROM payments p JOIN invoices pi ON pi.id = p.invoice_id JOIN customers c ON c.id = pi.customer_id
      WHERE p.received_at >= ${lo} AND p.status = 'applied' AND p.received_at >= ${midnightOf(sql, end)}
      GROUP BY p.invoice_id
    ) m ON m.invoice_id = i.id
    WHERE i.issue_date <= ${asOf}::date
      AND NOT (i.status = 'paid' AND i.paid_at < k.cutoff)
      AND NOT (i.status IN ('void', 'uncollectible') AND i.closed_at < k.cutoff)`;
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
  return sql<AgingRow[]>`
    SELECT customer_id AS "customerId", customer_name AS "customerName", currency, ${bucketOf(sql)} AS bucket,
           sum(due_cents)::bigint AS "amountCents", count(*)::int AS invoices
    FROM (${owedAtEndOf(sql, asOf)}) owed WHERE due_cents > 0
    GROUP BY 1, 2, 3, 4
    ORDER BY customer_name, customer_id, currency`;
}

/** Receivables per currency at the end of `asOf`, with the part not yet due (`current`). */
async function receivablesByCurrency(sql: Sql, asOf: string): Promise<Map<string, { totalCents: number; currentCents: number }>> {
  const rows = await sql<{ currency: string; totalCents: number; currentCents: number }[]>`
    SELECT currency, sum(due_cents)::bigint AS "totalCents", coalesce(sum(due_cents) FILTER (WHERE days_past_due <= 0), 0)::bigint AS "currentCents"
    FROM (${owedAtEndOf(sql, asOf)}) owed WHERE due_cents > 0
    GROUP BY currency`;
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
  const [opening, closing, flows] = await Promise.all([receivablesByCurrency(sql, dayBefore(from)), receivablesByCurrency(sql, to), periodFlows(sql, from, to)]);
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
  const lo = earliestMidnight(sql, from);
  const hi = latestMidnight(sql, nextDay(to));
  const start = midnightOf(sql, from);
  const end = midnightOf(sql, nextDay(to));
  const [invoiced, fees, money, closed, paid] = await Promise.all([
    sql<{ currency: string; cents: number; n: number }[]>`
      SELECT currency, sum(total_cents)::bigint AS cents, count(*)::int AS n FROM invoices
      WHERE issue_date BETWEEN ${from}::date AND ${to}::date GROUP BY currency`,
    sql<{ currency: string; cents: number }[]>`
      SELECT f.currency, sum(f.amount_cents)::bigint AS cents
      FROM late_fees f JOIN invoices i ON i.id = f.invoice_id JOIN customers c ON c.id = i.customer_id
      WHERE f.applied_at >= ${lo} AND f.applied_at < ${hi} AND f.applied_at >= ${start} AND f.applied_at < ${end}
      GROUP BY f.currency`,
    sql<{ currency: string; payments: number; refunds: number }[]>`
      SELECT p.currency,
             coalesce(sum(p.amount_cents) FILTER (WHERE p.kind = 'payment'), 0)::bigint AS payments,
             coalesce(sum(p.amount_cents) FILTER (WHERE p.kind = 'refund'), 0)::bigint AS refunds
      FROM payments p JOIN invoices i ON i.id = p.invoice_id JOIN customers c ON c.id = i.customer_id
      WHERE p.received_at >= ${lo} AND p.received_at < ${hi} AND p.status = 'applied' AND p.received_at >= ${start} AND p.received_at < ${end}
      GROUP BY p.currency`,
    sql<{ currency: string; voided: number; writtenOff: number }[]>`
      SELECT i.currency,
             coalesce(sum(greatest(0, i.total_cents + i.fees_cents - i.paid_cents + i.refunded_cents)) FILTER (WHERE i.status = 'void'), 0)::bigint AS voided,
             coalesce(sum(i.amount_due_cents) FILTER (WHERE i.status = 'uncollectible'), 0)::bigint AS "writtenOff"
      FROM invoices i JOIN customers c ON c.id = i.customer_id
      WHERE i.closed_at >= ${lo} AND i.closed_at < ${hi} AND i.closed_at >= ${start} AND i.closed_at < ${end}
      GROUP BY i.currency`,
    sql<{ currency: string; n: number; days: number }[]>`
      SELECT i.currency, count(*)::int AS n, coalesce(sum((i.paid_at AT TIME ZONE c.time_zone)::date - i.issue_date), 0)::bigint AS days
      FROM invoices i JOIN customers c ON c.id = i.customer_id
      WHERE i.status = 'paid' AND i.paid_at >= ${lo} AND i.paid_at < ${hi} AND i.paid_at >= ${start} AND i.paid_at < ${end}
      GROUP BY i.currency`,
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
