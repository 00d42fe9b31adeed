import { addDays, daysBetween } from '../domain/schedule';
import type { Sql } from './client';
import { readAgingLines, readDailyFlows, type AgingAsOf } from './report-snapshots';
import { kpiFigures, NO_FLOWS, type KpiFigures, type PeriodFlows } from '../domain/kpis';
import type { AgingBucket } from '../domain/aging';
import { sumFlows } from './report-sql';

export { AGING_BUCKETS, type AgingBucket } from '../domain/aging';
export type { KpiFigures } from '../domain/kpis';

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
export async function agingByCustomer(sql: Sql, asOf: AgingAsOf): Promise<AgingRow[]> {
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

/**
 * The finance KPIs (formulas in shared/DOMAIN.md) for the period `from`…`to` inclusive, per currency.
 * Opening receivables are those at the end of the day before `from`; closing, at the end of `to`.
 */
export async function kpis(sql: Sql, from: string, to: string): Promise<{ days: number; currencies: KpiFigures[] }> {
  const days = daysBetween(from, to) + 1;
  const [opening, closing, flows] = await Promise.all([
    receivablesByCurrency(sql, addDays(from, -1)),
    receivablesByCurrency(sql, to),
    periodFlows(sql, from, to),
  ]);
  const currencies = [...new Set([...opening.keys(), ...closing.keys(), ...flows.keys()])].sort();
  return {
    days,
    currencies: currencies.map((currency) =>
      kpiFigures({
        currency,
        days,
        openingCents: opening.get(currency)?.totalCents ?? 0,
        closing: closing.get(currency) ?? { totalCents: 0, currentCents: 0 },
        flows: flows.get(currency) ?? NO_FLOWS,
      }),
    ),
  };
}

async function periodFlows(sql: Sql, from: string, to: string): Promise<Map<string, PeriodFlows>> {
  const rows = await readDailyFlows(sql, from, to, (tx, days) => tx<({ currency: string } & PeriodFlows)[]>`${sumFlows(tx, days)}`);
  return new Map(rows.map(({ currency, ...flows }) => [currency, flows]));
}
