import { ErrorCode } from '../domain/errors';
import express, { type Express } from 'express';
import { ping } from '../db/gauges';
import { bearerAuth } from './auth';
import { apiAuth } from './principal';
import { meRoutes, userRoutes } from './routes/users';
import { appRoutes } from './routes/app';
import type { HttpContext } from './context';
import { errorHandler, notFound, sendError } from './errors';
import { createMetrics } from './metrics';
import { traceRequests } from './tracing';
import { bankStatementRoutes } from './routes/bank-statements';
import { cashApplicationRoutes } from './routes/cash-application';
import { codecRoutes } from './routes/codec';
import { customerRoutes } from './routes/customers';
import { customerBalanceRoutes } from './routes/customer-balance';
import { dashboardRoutes } from './routes/dashboard';
import { portalRoutes } from './routes/portal';
import { attentionRoutes } from './routes/attention';
import { invoiceRoutes } from './routes/invoices';
import { ledgerRoutes } from './routes/ledger';
import { outboxRoutes } from './routes/outbox';
import { payRoutes } from './routes/pay';
import { paymentRoutes } from './routes/payments';
import { webhookRoutes } from './routes/webhooks';
import type { GatewayAdapter } from '../gateways/types';
import { policyRoutes } from './routes/policies';
import { reconciliationRoutes } from './routes/reconciliation';
import { recurringPlanRoutes } from './routes/recurring-plans';
import { importRoutes } from './routes/imports';
import { reportRoutes } from './routes/reports';
import { webhookEndpointRoutes } from './routes/webhook-endpoints';

/**
 * The HTTP API: JSON under `/api` (bearer token), signed gateway webhooks under `/webhooks`, the
 * public pay page, the customer portal (token links), the dashboard (signed in), a health check and
 * Prometheus metrics.
 */
export function createApp(ctx: HttpContext, gateways: readonly GatewayAdapter[] = []): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  const metrics = createMetrics(ctx.sql, ctx.client);
  app.use(traceRequests());
  app.use(metrics.observe);
  if (ctx.metricsToken) app.get('/metrics', bearerAuth(ctx.metricsToken), metrics.serve(ctx.sdkMetricsUrl));
  else app.get('/metrics', metrics.serve(ctx.sdkMetricsUrl));

  app.get('/health', async (_req, res) => {
    try {
      await ping(ctx.sql);
      res.json({ status: 'ok' });
    } catch {
      res.status(503).json({ status: 'unavailable', component: 'postgres' });
    }
  });
  app.use('/pay', payRoutes(ctx));
  app.use('/portal', portalRoutes(ctx));
  app.use('/dashboard', dashboardRoutes(ctx));
  app.use('/app', appRoutes(ctx));
  app.use('/webhooks', webhookRoutes(ctx, gateways));
  if (ctx.codec) app.use('/codec', codecRoutes(ctx, ctx.codec.codec, ctx.codec.allowedOrigins));
  else
    app.use('/codec', (_req, res) =>
      sendError(res, ErrorCode.NOT_FOUND, 'payloads are not encrypted here (PAYLOAD_ENCRYPTION_KEYS is not set)'),
    );

  const api = express.Router();
  api.use(apiAuth(ctx));
  // Bank files come as they are (XML, text, CSV), not as JSON.
  api.use('/bank-statements', bankStatementRoutes(ctx));
  api.use(express.json({ limit: '1mb', strict: true }));
  api.use((req, res, next) => {
    const hasBody = req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
    if (hasBody && !req.is('application/json')) {
      sendError(res, ErrorCode.UNSUPPORTED_MEDIA_TYPE, 'send JSON with Content-Type: application/json');
      return;
    }
    next();
  });
  api.use('/customers/:id/balance', customerBalanceRoutes(ctx));
  api.use('/customers', customerRoutes(ctx));
  api.use('/policies', policyRoutes(ctx));
  api.use('/invoices', invoiceRoutes(ctx));
  api.use('/outbox', outboxRoutes(ctx));
  api.use('/payments', paymentRoutes(ctx));
  api.use('/reports', reportRoutes(ctx));
  api.use('/recurring-plans', recurringPlanRoutes(ctx));
  api.use('/webhook-endpoints', webhookEndpointRoutes(ctx));
  api.use('/imports', importRoutes(ctx));
  api.use('/ledger', ledgerRoutes(ctx));
  api.use('/attention', attentionRoutes(ctx));
  api.use('/cash-application', cashApplicationRoutes(ctx));
  api.use('/reconciliation', reconciliationRoutes(ctx));
  api.use('/users', userRoutes(ctx));
  api.use('/me', meRoutes(ctx));
  app.use('/api', api);

  app.use(notFound);
  app.use(errorHandler(ctx.log));
  return app;
}
