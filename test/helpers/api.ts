import { createServer, type Server } from 'node:http';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Client } from '@temporalio/client';
import type { PayloadCodec } from '@temporalio/common';
import type { Sql } from '../../src/db/client';
import type { CheckoutProvider } from '../../src/gateways/stripe-checkout';
import type { GatewayAdapter } from '../../src/gateways/types';
import { createApp } from '../../src/http/app';
import { createLogger, type Logger } from '../../src/log';
import type { TestDatabase } from './database';

export const TEST_TOKEN = 'test-token-0123456789abcdef';

export interface ApiHarness {
  readonly url: string;
  request(
    method: string,
    path: string,
    o?: { body?: unknown; raw?: string; headers?: Record<string, string>; token?: string | null; redirect?: 'follow' | 'manual' },
  ): Promise<{ status: number; body: any; headers: Headers }>;
  close(): Promise<void>;
}

/** The real Express app on an ephemeral port, over a real database and Temporal server. */
export async function startApi(
  db: TestDatabase,
  env: TestWorkflowEnvironment,
  taskQueue: string,
  o: {
    gateways?: GatewayAdapter[];
    sql?: Sql;
    client?: Client;
    checkout?: CheckoutProvider;
    log?: Logger;
    now?: () => Date;
    ownPublicUrl?: boolean;
    sdkMetricsUrl?: string;
    metricsToken?: string;
    allowPrivateWebhookTargets?: boolean;
    codec?: { codec: PayloadCodec; allowedOrigins: string[] };
  } = {},
): Promise<ApiHarness> {
  // Listen first, so pages can link to the server itself (`ownPublicUrl`, for browser tests).
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  const url = `http://127.0.0.1:${port}`;
  const app = createApp(
    {
      sql: o.sql ?? db.sql,
      client: o.client ?? env.client,
      taskQueue,
      namespace: env.namespace ?? 'default',
      apiToken: TEST_TOKEN,
      publicUrl: o.ownPublicUrl ? url : 'http://localhost:3000',
      seller: 'Acme Test Ltd',
      temporalUiUrl: 'http://localhost:8233',
      log: o.log ?? createLogger('silent'),
      now: o.now ?? (() => new Date()),
      ...(o.checkout ? { checkout: o.checkout } : {}),
      ...(o.sdkMetricsUrl ? { sdkMetricsUrl: o.sdkMetricsUrl } : {}),
      ...(o.metricsToken ? { metricsToken: o.metricsToken } : {}),
      ...(o.allowPrivateWebhookTargets ? { allowPrivateWebhookTargets: true } : {}),
      ...(o.codec ? { codec: o.codec } : {}),
    },
    o.gateways ?? [],
  );
  server.on('request', app);
  return {
    url,
    async request(method, path, o = {}) {
      const headers: Record<string, string> = { ...o.headers };
      if (o.token !== null) headers.authorization = `Bearer ${o.token ?? TEST_TOKEN}`;
      let body: string | undefined = o.raw;
      if (o.body !== undefined) {
        body = JSON.stringify(o.body);
        headers['content-type'] ??= 'application/json';
      }
      const res = await fetch(url + path, { method, headers, redirect: o.redirect ?? 'follow', ...(body !== undefined ? { body } : {}) });
      const type = res.headers.get('content-type') ?? '';
      const parsed = type.includes('json')
        ? await res.json()
        : type.includes('pdf')
          ? Buffer.from(await res.arrayBuffer())
          : await res.text();
      return { status: res.status, body: parsed, headers: res.headers };
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
