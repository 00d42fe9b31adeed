import { Router } from 'express';
import { z } from 'zod';
import { AGING_BUCKETS, agingByCustomer, type AgingBucket } from '../../db/aging-report';
import type { HttpContext } from '../context';
import { parseBody } from '../errors';

const agingQuery = z.strictObject({
  asOf: z.iso.date({ error: 'must be a date YYYY-MM-DD' }).optional(),
  format: z.enum(['json', 'csv']).default('json'),
});

type Buckets = Record<AgingBucket, number>;
const emptyBuckets = (): Buckets => Object.fromEntries(AGING_BUCKETS.map((b) => [b, 0])) as Buckets;
const csvField = (v: string | number) => (/[",\n]/.test(String(v)) ? `"${String(v).replace(/"/g, '""')}"` : String(v));

export function reportRoutes(ctx: HttpContext): Router {
  const router = Router();

  /** Aging of open receivables as of a date (default today, UTC): per currency, and per customer. */
  router.get('/aging', async (req, res) => {
    const { asOf = ctx.now().toISOString().slice(0, 10), format } = parseBody(agingQuery, req.query);
    const rows = await agingByCustomer(ctx.sql, asOf);
    const customers = new Map<string, { customerId: string; name: string; currency: string; buckets: Buckets; totalCents: number; invoices: number }>();
    const currencies = new Map<string, { currency: string; buckets: Buckets; totalCents: number; invoices: number }>();
    for (const r of rows) {
      const c = customers.get(`${r.customerId}/${r.currency}`) ?? { customerId: r.customerId, name: r.customerName, currency: r.currency, buckets: emptyBuckets(), totalCents: 0, invoices: 0 };
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
      const lines = [['customer_id', 'customer', 'currency', ...AGING_BUCKETS, 'total', 'invoices'].join(',')];
      for (const c of customers.values()) lines.push([c.customerId, c.name, c.currency, ...AGING_BUCKETS.map((b) => c.buckets[b]), c.totalCents, c.invoices].map(csvField).join(','));
      res.type('text/csv').set('Content-Disposition', `attachment; filename="aging-${asOf}.csv"`).send(lines.join('\n') + '\n');
      return;
    }
    res.json({ asOf, buckets: AGING_BUCKETS, totals: [...currencies.values()].sort((a, b) => a.currency.localeCompare(b.currency)), customers: [...customers.values()] });
  });
  return router;
}
