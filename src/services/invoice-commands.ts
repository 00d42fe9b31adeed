import { createHash, randomUUID } from 'node:crypto';
import {
  isGrpcServiceError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
  type Client,
} from '@temporalio/client';
import type { QueryDefinition, UpdateDefinition } from '@temporalio/common';
import { z } from 'zod';
import type { Sql } from '../db/client';
import { claimIdempotencyKey, releaseIdempotencyKey } from '../db/idempotency-keys';
import { findInvoice, type InvoiceRow } from '../db/invoices';
import { DomainError, ErrorCode, isErrorCode } from '../domain/errors';
import { calendarDate, currencyCode, minorUnits, multiLine, singleLine } from '../domain/input';
import {
  invoiceLedgerQuery,
  invoiceStateQuery,
  openDisputeUpdate,
  promiseToPayUpdate,
  recordPaymentUpdate,
  resolveDisputeUpdate,
  resolveFlagUpdate,
  voidInvoiceUpdate,
  type InvoiceView,
} from '../../workflows/messages';

export interface CommandDeps {
  readonly sql: Sql;
  readonly client: Client;
}

export const reasonSchema = z.strictObject({ reason: multiLine(1000).optional() });
export const promiseSchema = z.strictObject({ date: calendarDate, reason: multiLine(1000).optional() });
export const manualPaymentSchema = z.strictObject({
  amountCents: minorUnits(),
  currency: currencyCode,
  reference: singleLine(200).optional(),
  method: z.enum(['bank_transfer', 'cheque', 'cash', 'card', 'other']).default('bank_transfer'),
});
export const resolveFlagSchema = z.strictObject({ resolution: multiLine(1000) });

/** How long one command may take, its retries included, before it is answered as busy. */
const COMMAND_DEADLINE_MS = 30_000;
const RETRY_DELAYS_MS = [50, 150, 400, 1_000, 2_000, 4_000];

/**
 * Sends a command to the invoice workflow as an update. Refusals arrive as ApplicationFailures whose
 * type is the domain code; an invoice whose workflow has completed is refused from its stored state.
 * A burst of commands on one invoice can make Temporal reject an update that no worker processed, or
 * time the call out: those are retried under the same update id (so an attempt that did land is not
 * applied twice), and answered WORKFLOW_BUSY (503, retryable) if they still do not get through.
 */
export async function sendCommand<Arg>(
  deps: CommandDeps,
  invoiceId: string,
  update: UpdateDefinition<InvoiceView, [Arg]>,
  arg: Arg,
): Promise<InvoiceView> {
  const invoice = await findInvoice(deps.sql, invoiceId);
  if (!invoice) throw new DomainError(ErrorCode.NOT_FOUND, `invoice ${invoiceId} does not exist`);
  if (invoice.status !== 'open') throw closedError(invoice);
  const handle = deps.client.workflow.getHandle(invoice.workflowId);
  const updateId = randomUUID();
  const deadline = Date.now() + COMMAND_DEADLINE_MS;
  for (let attempt = 0; ; attempt++) {
    try {
      return await deps.client.withDeadline(deadline, () => handle.executeUpdate(update, { args: [arg], updateId }));
    } catch (err) {
      if (err instanceof WorkflowUpdateFailedError) {
        const cause = err.cause as { type?: string; message?: string; details?: unknown[] } | undefined;
        if (cause && isErrorCode(cause.type))
          throw new DomainError(cause.type, cause.message ?? cause.type, (cause.details?.[0] as Record<string, unknown>) ?? {});
      }
      if (err instanceof WorkflowNotFoundError) {
        const latest = await findInvoice(deps.sql, invoiceId);
        if (latest && latest.status !== 'open') throw closedError(latest);
        throw new DomainError(ErrorCode.WORKFLOW_UNAVAILABLE, `the workflow of invoice ${invoiceId} is not running yet; retry shortly`);
      }
      const delay = RETRY_DELAYS_MS[attempt];
      if (!isTransient(err) || delay === undefined || Date.now() + delay >= deadline) {
        if (isTransient(err)) throw busy(invoice);
        throw err;
      }
      await new Promise((r) => setTimeout(r, delay * (0.5 + Math.random())));
    }
  }
}

/** Temporal could not get the update to the workflow this time (none of our refusals). */
function isTransient(err: unknown): boolean {
  if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError) return true;
  // The server rejects an update that reached no worker's hands (it arrived as the task completed).
  if (err instanceof WorkflowUpdateFailedError) return !isErrorCode((err.cause as { type?: string } | undefined)?.type);
  if (isGrpcServiceError(err)) return [4, 8, 14].includes(err.code); // DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, UNAVAILABLE
  const cause = (err as { cause?: unknown } | undefined)?.cause;
  return cause !== undefined && cause !== err && isTransient(cause);
}

function busy(invoice: InvoiceRow): DomainError {
  return new DomainError(
    ErrorCode.WORKFLOW_BUSY,
    `invoice ${invoice.number} is handling many commands at once; retry shortly (an idempotency key makes the retry safe)`,
  );
}

function closedError(invoice: InvoiceRow): DomainError {
  return invoice.status === 'paid'
    ? new DomainError(ErrorCode.INVOICE_PAID, `invoice ${invoice.number} is already paid`)
    : new DomainError(ErrorCode.INVOICE_NOT_OPEN, `invoice ${invoice.number} is ${invoice.status}`);
}

export const voidInvoice = (deps: CommandDeps, id: string, reason: string | undefined, actor: string) =>
  sendCommand(deps, id, voidInvoiceUpdate, { actor, ...(reason ? { reason } : {}) });
export const openDispute = (deps: CommandDeps, id: string, reason: string | undefined, actor: string) =>
  sendCommand(deps, id, openDisputeUpdate, { actor, ...(reason ? { reason } : {}) });
export const resolveDispute = (deps: CommandDeps, id: string, reason: string | undefined, actor: string) =>
  sendCommand(deps, id, resolveDisputeUpdate, { actor, ...(reason ? { reason } : {}) });
export const promiseToPay = (deps: CommandDeps, id: string, body: z.output<typeof promiseSchema>, actor: string) =>
  sendCommand(deps, id, promiseToPayUpdate, { actor, date: body.date, ...(body.reason ? { reason: body.reason } : {}) });
export const resolveFlag = (deps: CommandDeps, id: string, flagId: string, body: z.output<typeof resolveFlagSchema>, actor: string) =>
  sendCommand(deps, id, resolveFlagUpdate, { actor, flagId, resolution: body.resolution });

/**
 * Records a payment received by hand. With an idempotency key the payment id is derived from it, so
 * a retried request is recognised as the same payment and not applied twice; the key belongs to its
 * first request: on another invoice, or with another body, it is refused (IDEMPOTENCY_CONFLICT).
 */
export async function recordManualPayment(
  deps: CommandDeps,
  id: string,
  body: z.output<typeof manualPaymentSchema>,
  opts: { actor: string; idempotencyKey?: string },
): Promise<{ view: InvoiceView; replayed: boolean }> {
  const key = opts.idempotencyKey;
  const claimedKey = key ? await claimCommandKey(deps.sql, { scope: 'manual_payment', key, invoiceId: id, body }) : false;
  const paymentId = `manual_${key ?? randomUUID()}`;
  try {
    const view = await sendCommand(deps, id, recordPaymentUpdate, {
      paymentId,
      amountCents: body.amountCents,
      currency: body.currency,
      method: body.method,
      actor: opts.actor,
      ...(body.reference ? { reference: body.reference } : {}),
    });
    return { view, replayed: false };
  } catch (err) {
    const duplicate = err instanceof DomainError && err.code === ErrorCode.DUPLICATE_PAYMENT;
    const completedByIt = err instanceof DomainError && err.code === ErrorCode.INVOICE_PAID;
    if (key && (duplicate || completedByIt) && (await queryInvoice(deps, id, invoiceLedgerQuery))?.facts.payments[paymentId]) {
      return { view: await currentView(deps, id), replayed: true };
    }
    // Refused before it was applied: the key is free for a corrected request (as Stripe's keys are).
    if (claimedKey && err instanceof DomainError && err.code !== ErrorCode.WORKFLOW_BUSY && err.code !== ErrorCode.LEDGER_WRITE_PENDING) {
      await releaseIdempotencyKey(deps.sql, { scope: 'manual_payment', key: key! });
    }
    throw err;
  }
}

/**
 * Claims an invoice command's Idempotency-Key for its request: true the first time, false for a
 * repeat of the same request; thrown IDEMPOTENCY_CONFLICT when the key was used on another invoice or
 * with another body.
 */
export async function claimCommandKey(sql: Sql, o: { scope: string; key: string; invoiceId: string; body: unknown }): Promise<boolean> {
  const requestHash = createHash('sha256')
    .update(JSON.stringify({ invoiceId: o.invoiceId, body: o.body }))
    .digest('hex');
  const claim = await claimIdempotencyKey(sql, { scope: o.scope, key: o.key, requestHash, invoiceId: o.invoiceId });
  if (claim.conflict)
    throw new DomainError(
      ErrorCode.IDEMPOTENCY_CONFLICT,
      `this Idempotency-Key was used ${claim.conflict === 'invoice' ? 'on another invoice' : 'with a different request body'}`,
      { field: 'Idempotency-Key' },
    );
  return claim.fresh;
}

/** Asks the invoice's workflow (running or completed); undefined when there is no such invoice. */
export async function queryInvoice<R>(deps: CommandDeps, invoiceId: string, query: QueryDefinition<R, []>): Promise<R | undefined> {
  const invoice = await findInvoice(deps.sql, invoiceId);
  return invoice ? deps.client.workflow.getHandle(invoice.workflowId).query(query) : undefined;
}

/** The live view from the workflow (running or completed). */
export async function currentView(deps: CommandDeps, invoiceId: string): Promise<InvoiceView> {
  const view = await queryInvoice(deps, invoiceId, invoiceStateQuery);
  if (!view) throw new DomainError(ErrorCode.NOT_FOUND, `invoice ${invoiceId} does not exist`);
  return view;
}
