import type { RequestHandler } from 'express';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Client } from '@temporalio/client';
import type { Sql } from '../db/client';
import { countFailingWorkflows } from '../services/failing-workflows';
import { countAttention } from '../db/attention';
import { countBankReview, countPendingInbox, countWebhookDeliveries, sumOpenReceivables } from '../db/gauges';

/**
 * Prometheus metrics of this process: the API's requests, Node's runtime, and gauges read from
 * Postgres at scrape time (what waits in the inbox and outbox, open receivables). One registry
 * per app, so tests and several apps in one process do not share counters.
 */
export function createMetrics(sql: Sql, client?: Client) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'collections_' });

  const requests = new Histogram({
    name: 'collections_http_request_duration_seconds',
    help: 'HTTP requests by method, route pattern and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const scrapeErrors = new Counter({
    name: 'collections_metrics_scrape_errors_total',
    help: 'Failed reads of database gauges',
    registers: [registry],
  });

  new Gauge({
    name: 'collections_webhook_deliveries',
    help: 'Outbound webhook deliveries by status (pending = waiting to be sent or retried)',
    labelNames: ['status'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const s of ['pending', 'failed'] as const) this.set({ status: s }, 0);
      const rows = await countWebhookDeliveries(sql).catch(() => (scrapeErrors.inc(), []));
      for (const r of rows) this.set({ status: r.status }, r.n);
    },
  });
  new Gauge({
    name: 'collections_gateway_inbox_pending',
    help: 'Acknowledged gateway events not yet delivered to their invoice workflow',
    registers: [registry],
    async collect() {
      this.set(await countPendingInbox(sql).catch(() => (scrapeErrors.inc(), 0)));
    },
  });
  new Gauge({
    name: 'collections_needs_attention',
    help: 'Items only a human can settle, per kind: projection_failed (a ledger write Postgres refused; alert on > 0), payment_flagged, refund_flagged, inbox_flagged, unapplied_cash, parked (open, past its last step, nothing scheduled)',
    labelNames: ['kind'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      const rows = await countAttention(sql).catch(() => (scrapeErrors.inc(), []));
      for (const kind of ['projection_failed', 'payment_flagged', 'refund_flagged', 'inbox_flagged', 'unapplied_cash', 'parked'] as const)
        this.set({ kind }, 0);
      for (const r of rows) this.set({ kind: r.kind }, r.n);
    },
  });
  new Gauge({
    name: 'collections_bank_lines_in_review',
    help: 'Bank credits the matcher left for a human, by status (suggested, unmatched)',
    labelNames: ['status'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const s of ['suggested', 'unmatched'] as const) this.set({ status: s }, 0);
      const rows = await countBankReview(sql).catch(() => (scrapeErrors.inc(), []));
      for (const r of rows) this.set({ status: r.status }, r.n);
    },
  });
  if (client) {
    new Gauge({
      name: 'collections_workflows_failing',
      help: 'Running workflows whose tasks keep failing (TemporalReportedProblems: a non-determinism error, a crash in workflow code); alert on > 0',
      registers: [registry],
      async collect() {
        const n = await countFailingWorkflows(client);
        if (n === null) scrapeErrors.inc();
        this.set(n ?? 0);
      },
    });
  }
  new Gauge({
    name: 'collections_open_receivables_minor_units',
    help: 'Amount due on open invoices, per currency, in minor units',
    labelNames: ['currency'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      const rows = await sumOpenReceivables(sql).catch(() => (scrapeErrors.inc(), []));
      for (const r of rows) this.set({ currency: r.currency }, r.due);
    },
  });

  /** Times every request under its route pattern (`/api/invoices/:id`), never the raw path. */
  const observe: RequestHandler = (req, res, next) => {
    const end = requests.startTimer({ method: req.method });
    res.on('finish', () => end({ route: routePattern(req.originalUrl, req.route?.path), status: String(res.statusCode) }));
    next();
  };

  /**
   * Serves the registry, then the Temporal SDK's worker metrics when this process runs a worker
   * (the SDK serves them on its own address; they are appended so one scrape gets everything).
   */
  const serve =
    (sdkMetricsUrl?: string): RequestHandler =>
    async (_req, res) => {
      let text = await registry.metrics();
      if (sdkMetricsUrl) {
        try {
          const sdk = await fetch(sdkMetricsUrl, { signal: AbortSignal.timeout(2_000) });
          if (sdk.ok) text += `\n# Temporal SDK worker metrics\n${await sdk.text()}`;
        } catch {
          scrapeErrors.inc();
        }
      }
      res.type(registry.contentType).send(text);
    };
  return { registry, observe, serve };
}

/**
 * `/api/invoices/:id` for a request the route `/:id` of the router at `/api/invoices` served. The
 * mount prefix is what the route's segments leave of the path (routers are mounted on static
 * paths; `req.baseUrl` is already reset when a handler's error reaches the error handler).
 */
export function routePattern(originalUrl: string, routePath: unknown): string {
  if (typeof routePath !== 'string') return 'unmatched';
  const segments = originalUrl.split('?')[0]!.split('/').filter(Boolean);
  const routeSegments = routePath.split('/').filter(Boolean);
  const prefix = segments.slice(0, Math.max(0, segments.length - routeSegments.length));
  return `/${[...prefix, ...routeSegments].join('/')}`;
}
