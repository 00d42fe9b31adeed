import { addDays } from '../domain/schedule';
import type { Sql } from './client';
import { agingLinesAt, agingLinesNow, flowsByDay, reportTransaction, type Fragment } from './report-sql';

/** A date (the end of that day on each customer's calendar), or now (each customer's today so far). */
export type AgingAsOf = string | { readonly now: Date };
import type { SnapshotRefresh } from '../../workflows/messages';

/**
 * Snapshots of past days for the reports (migration 0011): the aging lines owed at the end of a day,
 * and each day's flows. A past date's aging or a year of KPIs then reads a few stored rows instead
 * of re-deriving them from the ledger.
 *
 * Only days over for every customer are taken: those before `report_open_from() - 1` (one spare day
 * beyond the last zone's midnight). Triggers invalidate a snapshot whenever a back-dated write
 * changes its day, so a snapshot is always what the live computation would say; a reader finding
 * none (or an invalid one) takes it, under the report-snapshots lock, and reads it in the same
 * transaction. The daily upkeep, `refreshReportSnapshots`, keeps recent days and month ends ready, so
 * readers rarely pay for a take.
 */

/** Daily aging snapshots are kept this many days back; month ends are kept for good. */
export const DAILY_AGING_RETENTION_DAYS = 92;

/** Days of flows the upkeep stores per transaction. */
const FLOW_DAYS_PER_TAKE = 31;

const takeLock = (tx: Sql) => tx`SELECT pg_advisory_xact_lock(hashtext('report-snapshots'))`;
const isMonthEnd = (day: string) => addDays(day, 1).endsWith('-01');

/** Whether `asOf` is over everywhere, and whether its aging snapshot is valid (null: none). */
async function agingDay(tx: Sql, asOf: string): Promise<{ over: boolean; valid: boolean | null }> {
  const [day] = await tx<{ over: boolean; valid: boolean | null }[]>`
    SELECT ${asOf}::date < report_open_from() - 1 AS over, (SELECT valid FROM aging_snapshots WHERE as_of = ${asOf}) AS valid`;
  return day!;
}

/**
 * Reads the aging lines at the end of `asOf` (the `agingLinesAt` columns) through `read`: from the
 * snapshot when the day is over, taking it first if needed, or live for today and later.
 */
export async function readAgingLines<T>(sql: Sql, asOf: AgingAsOf, read: (tx: Sql, lines: Fragment) => Promise<T>): Promise<T> {
  if (typeof asOf !== 'string') return reportTransaction(sql, (tx) => read(tx, agingLinesNow(tx, asOf.now)));
  const stored = (tx: Sql) =>
    tx`SELECT customer_id, currency, bucket, amount_cents AS cents, invoices AS n FROM aging_snapshot_lines WHERE as_of = ${asOf}`;
  const fast = await reportTransaction(
    sql,
    async (tx) => {
      const day = await agingDay(tx, asOf);
      if (!day.over) return { value: await read(tx, agingLinesAt(tx, asOf)) };
      if (day.valid) return { value: await read(tx, stored(tx)) };
      return null;
    },
    { repeatableRead: true },
  );
  if (fast) return fast.value;
  return reportTransaction(sql, async (tx) => {
    await takeAgingSnapshot(tx, asOf);
    return read(tx, stored(tx));
  });
}

/** Takes the aging snapshot of a day that is over, unless a valid one exists. Returns whether it did. */
async function takeAgingSnapshot(tx: Sql, asOf: string): Promise<boolean> {
  await takeLock(tx);
  const day = await agingDay(tx, asOf);
  if (!day.over) throw new Error(`${asOf} is not over everywhere yet; its aging cannot be stored`);
  if (day.valid) return false;
  await tx`DELETE FROM aging_snapshot_lines WHERE as_of = ${asOf}`;
  await tx`INSERT INTO aging_snapshot_lines (as_of, customer_id, currency, bucket, amount_cents, invoices)
           SELECT ${asOf}, customer_id, currency, bucket, cents, n FROM (${agingLinesAt(tx, asOf)}) l`;
  await tx`INSERT INTO aging_snapshots (as_of, valid) VALUES (${asOf}, true)
           ON CONFLICT (as_of) DO UPDATE SET valid = true, taken_at = now(), invalidated_at = NULL`;
  return true;
}

/**
 * Reads the flows of the days `from`…`to` (the `flowsByDay` columns) through `read`: stored rows for
 * the days that are over, taking any that are missing first, and live rows for the rest.
 */
export async function readDailyFlows<T>(sql: Sql, from: string, to: string, read: (tx: Sql, days: Fragment) => Promise<T>): Promise<T> {
  const days = (tx: Sql) => tx`
    SELECT day, currency, invoiced_cents, invoices_issued, late_fees_cents, voided_cents, payments_cents, refunds_cents,
           written_off_cents, invoices_paid, days_to_pay_sum
    FROM report_daily_flows WHERE day BETWEEN ${from}::date AND least(${to}::date, report_open_from() - 2)
    UNION ALL
    ${flowsByDay(tx, tx`greatest(${from}::date, report_open_from() - 1)`, to)}`;
  const fast = await reportTransaction(
    sql,
    async (tx) => {
      return (await missingFlowDays(tx, from, to)).length === 0 ? { value: await read(tx, days(tx)) } : null;
    },
    { repeatableRead: true },
  );
  if (fast) return fast.value;
  return reportTransaction(sql, async (tx) => {
    await takeDailyFlows(tx, from, to);
    return read(tx, days(tx));
  });
}

/** The days in `from`…`to` that are over and have no stored flows, in order. */
async function missingFlowDays(tx: Sql, from: string, to: string): Promise<string[]> {
  const [row] = await tx<{ days: string[] | null }[]>`
    SELECT array_agg(d::date ORDER BY d)::text[] AS days
    FROM generate_series(${from}::date, least(${to}::date, report_open_from() - 2), interval '1 day') d
    WHERE NOT EXISTS (SELECT 1 FROM report_flow_days f WHERE f.day = d::date)`;
  return row!.days ?? [];
}

/** Stores the flows of every day in `from`…`to` that is over and not stored yet. Returns how many. */
async function takeDailyFlows(tx: Sql, from: string, to: string): Promise<number> {
  await takeLock(tx);
  const missing = await missingFlowDays(tx, from, to);
  if (missing.length === 0) return 0;
  await tx`INSERT INTO report_flow_days (day) SELECT unnest(${missing}::date[])`;
  await tx`INSERT INTO report_daily_flows (day, currency, invoiced_cents, invoices_issued, late_fees_cents, voided_cents, payments_cents,
                                           refunds_cents, written_off_cents, invoices_paid, days_to_pay_sum)
           SELECT * FROM (${flowsByDay(tx, missing[0]!, missing[missing.length - 1]!)}) f WHERE f.day = ANY(${missing}::date[])`;
  return missing.length;
}

/**
 * The daily upkeep (run by the report-snapshots Schedule): drops invalidated snapshots and daily
 * ones past retention (month ends stay), stores the flows of every day over since the first fact,
 * and takes the aging snapshot of every day of the last `DAILY_AGING_RETENTION_DAYS` and of every
 * month end. Each aging snapshot, and each month of flows, is its own transaction; `onProgress` runs
 * after each.
 */
export async function refreshReportSnapshots(
  sql: Sql,
  o: { onProgress?: (done: number, total: number) => void } = {},
): Promise<SnapshotRefresh> {
  const [bounds] = await sql<{ last: string; first: string | null }[]>`
    SELECT report_open_from() - 2 AS last,
           least((SELECT min(issue_date) FROM invoices), (SELECT min(booked_on) FROM payments WHERE status = 'applied'),
                 (SELECT min(booked_on) FROM late_fees)) AS first`;
  const { last, first } = bounds!;
  const keepFrom = addDays(last, 1 - DAILY_AGING_RETENTION_DAYS);

  const pruned = await sql.begin(async (tx) => {
    await takeLock(tx as unknown as Sql);
    const dropped = await tx<{ asOf: string }[]>`
      DELETE FROM aging_snapshots
      WHERE NOT valid OR (as_of < ${keepFrom}::date AND as_of <> (date_trunc('month', as_of) + interval '1 month - 1 day')::date)
      RETURNING as_of AS "asOf"`;
    if (dropped.length) await tx`DELETE FROM aging_snapshot_lines WHERE as_of = ANY(${dropped.map((d) => d.asOf)}::date[])`;
    return dropped.length;
  });
  if (!first || first > last) return { agingTaken: [], flowDays: 0, pruned };

  // A month of flows per transaction, so that back-dated writers never wait long for the lock.
  const flowMonths: [string, string][] = [];
  for (let from = first; from <= last; from = addDays(from, FLOW_DAYS_PER_TAKE)) {
    const to = addDays(from, FLOW_DAYS_PER_TAKE - 1);
    flowMonths.push([from, to < last ? to : last]);
  }
  const valid = new Set((await sql<{ asOf: string }[]>`SELECT as_of AS "asOf" FROM aging_snapshots WHERE valid`).map((r) => r.asOf));
  const wanted: string[] = [];
  for (let day = first; day <= last; day = addDays(day, 1)) if ((day >= keepFrom || isMonthEnd(day)) && !valid.has(day)) wanted.push(day);
  const total = flowMonths.length + wanted.length;

  let flowDays = 0;
  for (const [i, [from, to]] of flowMonths.entries()) {
    flowDays += await reportTransaction(sql, (tx) => takeDailyFlows(tx, from, to));
    o.onProgress?.(i + 1, total);
  }
  const agingTaken: string[] = [];
  for (const [i, day] of wanted.entries()) {
    if (await reportTransaction(sql, (tx) => takeAgingSnapshot(tx, day))) agingTaken.push(day);
    o.onProgress?.(flowMonths.length + i + 1, total);
  }
  return { agingTaken, flowDays, pruned };
}
