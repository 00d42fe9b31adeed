import path from 'node:path';
import { z } from 'zod';
import { projectRoot } from './paths';
import { parseEncryptionKeys, type EncryptionKey } from './temporal/codec';

/** A `true` / `false` setting, refused with its name otherwise. */
const flag = (name: string) => z.enum(['true', 'false'], { error: `${name} must be true or false` });
const bool = (name: string, fallback: 'true' | 'false') =>
  flag(name)
    .default(fallback)
    .transform((v) => v === 'true');
/** A `true` / `false` setting whose default depends on others (undefined when not set). */
const optionalBool = (name: string) =>
  flag(name)
    .optional()
    .transform((v) => (v === undefined ? undefined : v === 'true'));

const optionalString = z.string().trim().min(1).optional();
const port = z.coerce.number().int().min(1).max(65535);

/**
 * Every setting of the engine: option → environment → default, validated once. A bad value fails
 * fast with the variable named.
 */
export const configSchema = z.object({
  PORT: port.default(3000),
  HOST: z.string().default('127.0.0.1'),
  PUBLIC_URL: z.url().optional(),
  API_TOKEN: z.string().min(16, 'API_TOKEN must be at least 16 characters').optional(),
  DATABASE_URL: z.url().optional(),
  DATA_DIR: z.string().default(path.join(projectRoot(), '.data')),
  EMBEDDED_PG_PORT: port.default(5488),
  TEMPORAL_ADDRESS: optionalString,
  TEMPORAL_NAMESPACE: z.string().default('default'),
  TEMPORAL_PORT: port.default(7233),
  TEMPORAL_UI_PORT: port.default(8233),
  /** Base URL of the Temporal Web UI used in links; defaults to the local dev server's UI. */
  TEMPORAL_UI_URL: z.url().optional(),
  TEMPORAL_CLI_PATH: optionalString,
  TEMPORAL_TEST_SERVER_PATH: optionalString,
  TASK_QUEUE: z.string().default('invoices'),
  EMAIL_RATE_PER_SECOND: z.coerce.number().positive().default(2),
  /**
   * Workflows the worker keeps in memory between their tasks (the SDK's sticky cache). A cached
   * invoice's next task runs at once; an evicted one is replayed from its history first. Each cached
   * invoice costs memory, so this bounds the worker's RSS however many invoices are open.
   */
  WORKFLOW_CACHE_SIZE: z.coerce.number().int().min(0).default(100),
  EMAIL_FROM: z.string().default('Accounts Receivable <billing@example.com>'),
  RESEND_API_KEY: optionalString,
  /** Stripe's endpoint signing secret (`whsec_…`); enables POST /webhooks/stripe. */
  STRIPE_WEBHOOK_SECRET: optionalString,
  /** Stripe API key (`sk_…` or restricted `rk_…`); enables card payment through Stripe Checkout behind pay links. */
  STRIPE_SECRET_KEY: z
    .string()
    .trim()
    .regex(/^(sk|rk)_/, 'STRIPE_SECRET_KEY must be a Stripe secret (sk_…) or restricted (rk_…) key')
    .optional(),
  /** Another Stripe API host, e.g. a local stand-in such as stripe-mock (`http://localhost:12111`). */
  STRIPE_API_BASE: z.url().optional(),
  /** HMAC secret of the generic gateway contract; enables POST /webhooks/generic. */
  WEBHOOK_SECRET: z.string().min(16, 'WEBHOOK_SECRET must be at least 16 characters').optional(),
  /** The secret being rotated out: signatures made with it are accepted too until it is removed. */
  WEBHOOK_SECRET_PREVIOUS: z.string().min(16, 'WEBHOOK_SECRET_PREVIOUS must be at least 16 characters').optional(),
  /**
   * Outbound webhook endpoints may target private, loopback and link-local addresses (an ERP on the
   * same network). Off by default: such a target could reach cloud metadata or internal services.
   */
  WEBHOOK_ALLOW_PRIVATE_TARGETS: bool('WEBHOOK_ALLOW_PRIVATE_TARGETS', 'false'),
  /** Where a worker process serves the Temporal SDK's Prometheus metrics (`host:port`), or `off`. */
  SDK_METRICS_ADDRESS: z
    .string()
    .regex(/^(off|[\w.-]+:\d{1,5})$/, 'SDK_METRICS_ADDRESS must be host:port or off')
    .default('127.0.0.1:9464'),
  /** Bearer token for GET /metrics; without it the endpoint is open (bind HOST to a private interface). */
  METRICS_TOKEN: z.string().min(16, 'METRICS_TOKEN must be at least 16 characters').optional(),
  /**
   * Encrypts every Temporal payload (inputs, results, signals, queries, memos, summaries) with
   * AES-256-GCM: `id:key` pairs, comma-separated, the first encrypting (see docs/operations.md).
   */
  PAYLOAD_ENCRYPTION_KEYS: z
    .string()
    .trim()
    .min(1)
    .transform((value, ctx): EncryptionKey[] => {
      try {
        return parseEncryptionKeys(value);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: `PAYLOAD_ENCRYPTION_KEYS: ${(err as Error).message}` });
        return z.NEVER;
      }
    })
    .optional(),
  /** Deflate payloads before encrypting them. @default false */
  PAYLOAD_COMPRESSION: bool('PAYLOAD_COMPRESSION', 'false'),
  /**
   * Put customers' names in the `CustomerName` search attribute (readable by anyone who can list
   * workflows; never encrypted). Defaults to true, and to false once PAYLOAD_ENCRYPTION_KEYS is set.
   */
  CUSTOMER_NAME_SEARCH_ATTRIBUTE: optionalBool('CUSTOMER_NAME_SEARCH_ATTRIBUTE'),
  /** Origins allowed to call the codec server (`/codec`) from a browser; defaults to the Temporal UI's. */
  CODEC_CORS_ORIGINS: z
    .string()
    .transform((v) =>
      v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.url({ error: 'CODEC_CORS_ORIGINS must list origins such as https://temporal.example.com' })))
    .optional(),
  /**
   * OpenTelemetry traces: `otlp` (OTLP over HTTP, to `OTEL_EXPORTER_OTLP_ENDPOINT` or
   * `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`, default http://localhost:4318), `console`, or `none`.
   */
  OTEL_TRACES_EXPORTER: z
    .enum(['none', 'otlp', 'console'], { error: 'OTEL_TRACES_EXPORTER must be none, otlp or console' })
    .default('none'),
  OTEL_SERVICE_NAME: z.string().trim().min(1).default('collections-engine'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});
export type Config = z.infer<typeof configSchema> & {
  PUBLIC_URL: string;
  TEMPORAL_UI_URL: string;
  CUSTOMER_NAME_SEARCH_ATTRIBUTE: boolean;
  CODEC_CORS_ORIGINS: string[];
};

/** Thrown when the environment holds an invalid setting. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export function loadConfig(
  env: Record<string, string | undefined> = process.env,
  overrides: Partial<Record<keyof Config, unknown>> = {},
): Config {
  const input = Object.fromEntries(Object.entries({ ...env, ...overrides }).filter(([, v]) => v !== '' && v !== undefined));
  const result = configSchema.safeParse(input);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  const c = result.data;
  const temporalUiUrl = c.TEMPORAL_UI_URL ?? `http://localhost:${c.TEMPORAL_UI_PORT}`;
  return {
    ...c,
    PUBLIC_URL: c.PUBLIC_URL ?? `http://localhost:${c.PORT}`,
    TEMPORAL_UI_URL: temporalUiUrl,
    CUSTOMER_NAME_SEARCH_ATTRIBUTE: c.CUSTOMER_NAME_SEARCH_ATTRIBUTE ?? !c.PAYLOAD_ENCRYPTION_KEYS,
    CODEC_CORS_ORIGINS: (c.CODEC_CORS_ORIGINS ?? [temporalUiUrl]).map((u) => new URL(u).origin),
  };
}
