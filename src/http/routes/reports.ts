import { Router } from 'express';
import { z } from 'zod';
import { AGING_BUCKETS, agingByCustomer, kpis, type AgingBucket, type KpiFigures } from '../../db/receivables';
import { DomainError, ErrorCode } from '../../domain/errors';
import { addDays } from '../../domain/schedule';
import type { HttpContext } from '../context';
import { parseBody } from '../errors';
import { calendarDate } from '../../domain/input';
import { csvDocument } from '../../domain/csv';

const agingQuery = z.strictObject({
  asOf: calendarDate.optional(),
  format: z.enum(['json', 'csv']).default('json'),
});

const kpiQuery = z.strictObject({
  from: calendarDate.optional(),
  to: calendarDate.optional(),
  format: z.enum(['json', 'csv']).default('json'),
});

/** The longest KPI period: every day of it may be derived and stored as a snapshot. */
const MAX_PERIOD_DAYS = 3660;

/** CSV columns of the KPI export, in order. */
const KPI_COLUMNS: readonly (keyof KpiFigures)[] = [
  'currency',
  'openingReceivablesCents',
  'billedCents',
  'invoicedCents',
  'invoicesIssued',
  'lateFeesCents',
  'voidedCents',
  'collectedCents',
  'paymentsCents',
  'refundsCents',
  'writtenOffCents',
  'closingReceivablesCents',
  'closingCurrentCents',
  'dso',
  'ceiPercent',
  'averageDaysToPay',
  'invoicesPaid',
  'badDebtPercent',
];
const snake = (key: string) => key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

type Buckets = Record<AgingBucket, number>;
const emptyBuckets = (): Buckets => Object.fromEntries(AGING_BUCKETS.map((b) => [b, 0])) as Buckets;

export function reportRoutes(ctx: HttpContext): Router {
  const router = Router();

  /**
   * Aging of open receivables at the end of a date, or (without `asOf`) now, each customer's
   * "today" on their own calendar: per currency, and per customer.
   */
  router.get('/aging', async (req, res) => {
    const { asOf, format } = parseBody(agingQuery, req.query);
    const now = ctx.now();
    const rows = await agingByCustomer(ctx.sql, asOf ?? { now });
    const customers = new Map<
      string,
      { customerId: string; name: string; currency: string; buckets: Buckets; totalCents: number; invoices: number }
    >();
    const currencies = new Map<string, { currency: string; buckets: Buckets; totalCents: number; invoices: number }>();
    for (const r of rows) {
      const c = customers.get(`${r.customerId}/${r.currency}`) ?? {
        customerId: r.customerId,
        name: r.customerName,
        currency: r.currency,
        buckets: emptyBuckets(),
        totalCents: 0,
        invoices: 0,
      };
      const t = currencies.get(r.currency) ?? { currency: r.currency, buckets: emptyBuckets(), totalCents: 0, invoices: 0 };
      for (const agg of [c, t]) {
        agg.buckets[r.bucket] += r.amountCents;
        agg.totalCents += r.amountCents;
        agg.invoices += r.invoices;
      }
      customers.set(`${r.customerId}/${r.currency}`, c);
      currencies.set(r.currency, t);
    }
    if (format === 'csv') {
      const rows = [...customers.values()].map((c) => [
        c.customerId,
        c.name,
        c.currency,
        ...AGING_BUCKETS.map((b) => c.buckets[b]),
        c.totalCents,
        c.invoices,
      ]);
      res
        .type('text/csv')
        .set('Content-Disposition', `attachment; filename="aging-${asOf ?? `now-${now.toISOString().slice(0, 10)}`}.csv"`)
        .send(csvDocument(['customer_id', 'customer', 'currency', ...AGING_BUCKETS, 'total', 'invoices'], rows));
      return;
    }
    res.json({
      asOf: asOf ?? null,
      ...(asOf ? {} : { at: now.toISOString() }),
      buckets: AGING_BUCKETS,
      totals: [...currencies.values()].sort((a, b) => a.currency.localeCompare(b.currency)),
      customers: [...customers.values()],
    });
  });

  /**
   * DSO, CEI, average days to pay, collected and bad-debt ratio for a period (default: the 30 days
   * ending today), per currency, with the receivables and flows they are computed from.
   */
  router.get('/kpis', async (req, res) => {
    const q = parseBody(kpiQuery, req.query);
    const to = q.to ?? ctx.now().toISOString().slice(0, 10);
    const from = q.from ?? addDays(to, -29);
    // Checked on the period asked for, defaults included: `from=0001-01-01` alone is a period too.
    if (from > to) throw new DomainError(ErrorCode.VALIDATION, `from (${from}) must not be after to (${to})`, { field: 'from' });
    if (addDays(from, MAX_PERIOD_DAYS) <= to)
      throw new DomainError(ErrorCode.VALIDATION, `the period ${from} – ${to} is longer than ${MAX_PERIOD_DAYS} days (10 years)`, {
        field: q.from ? 'to' : 'from',
      });
    const { days, currencies } = await kpis(ctx.sql, from, to);
    if (q.format === 'csv') {
      const rows = currencies.map((c) => [from, to, days, ...KPI_COLUMNS.map((k) => c[k] ?? '')]);
      res
        .type('text/csv')
        .set('Content-Disposition', `attachment; filename="kpis-${from}-${to}.csv"`)
        .send(csvDocument(['from', 'to', 'days', ...KPI_COLUMNS.map(snake)], rows));
      return;
    }
    res.json({ from, to, days, currencies });
  });
  return router;
}
