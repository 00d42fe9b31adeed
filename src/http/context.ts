import type { Client } from '@temporalio/client';
import type { PayloadCodec } from '@temporalio/common';
import type { Sql } from '../db/client';
import type { CheckoutProvider } from '../gateways/stripe-checkout';
import type { Logger } from '../log';
import type { InvoiceStartOptions } from '../temporal/start-invoice';

/** What every route needs; built once by the process that serves HTTP. */
export interface HttpContext {
  readonly sql: Sql;
  readonly client: Client;
  readonly taskQueue: string;
  readonly namespace: string;
  readonly apiToken: string;
  readonly publicUrl: string;
  /** Who the documents and emails are from (the name in EMAIL_FROM). */
  readonly seller: string;
  readonly temporalUiUrl: string;
  readonly log: Logger;
  readonly now: () => Date;
  /** Hosted payment pages behind the pay link (Stripe Checkout when STRIPE_SECRET_KEY is set). */
  readonly checkout?: CheckoutProvider;
  /** The Temporal SDK's Prometheus endpoint when this process runs a worker; `/metrics` appends it. */
  readonly sdkMetricsUrl?: string;
  /** When set, `/metrics` requires `Authorization: Bearer <token>`. */
  readonly metricsToken?: string;
  /** Outbound webhook endpoints may target private, loopback and link-local addresses. @default false */
  readonly allowPrivateWebhookTargets?: boolean;
  /** How the invoice workflows this process starts are started (details link, customer name attribute). */
  readonly invoiceStart?: InvoiceStartOptions;
  /** The codec server (`/codec/encode`, `/codec/decode`) for the Temporal UI and CLI, when payloads are encrypted. */
  readonly codec?: { readonly codec: PayloadCodec; readonly allowedOrigins: readonly string[] };
}

/** The Temporal Web UI page of a workflow. */
export const workflowUrl = (ctx: HttpContext, workflowId: string) =>
  `${ctx.temporalUiUrl}/namespaces/${encodeURIComponent(ctx.namespace)}/workflows/${encodeURIComponent(workflowId)}`;
