import { randomUUID } from 'node:crypto';
import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import type { UpdateDefinition } from '@temporalio/common';
import { z } from 'zod';
import type { Sql } from '../db/client';
import { findInvoice, type InvoiceRow } from '../db/invoices';
import type { UnappliedPayment } from '../db/unapplied-payments';
import { DomainError, ErrorCode, isErrorCode } from '../domain/errors';
import { calendarDate, currencyCode, minorUnits, multiLine, singleLine } from '../domain/input';
import {
  invoiceStateQuery, openDisputeUpdate, promiseToPayUpdate, recordPaymentUpdate, resolveDisputeUpdate, voidInvoiceUpdate, type InvoiceView,
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

/**
 * Sends a command to the invoice workflow as an update. Refusals arrive as ApplicationFailures whose
 * type is the domain code; an invoice whose workflow has completed is refused from its stored state.
 */
async function command<Arg>(deps: CommandDeps, invoiceId: string, update: UpdateDefinition<InvoiceView, [Arg]>, arg: Arg): Promise<InvoiceView> {
  const invoice = await findInvoice(deps.sql, invoiceId);
  if (!invoice) throw new DomainError(ErrorCode.NOT_FOUND, `invoice ${invoiceId} does not exist`);
  if (invoice.status !== 'open') throw closedError(invoice);
  try {
    return await deps.client.workflow.getHandle(invoice.workflowId).executeUpdate(update, { args: [arg] });
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError) {
      const cause = err.cause as { type?: string; message?: string; details?: unknown[] } | undefined;
      if (cause && isErrorCode(cause.type)) throw new DomainError(cause.type, cause.message ?? cause.type, (cause.details?.[0] as Record<string, unknown>) ?? {});
      throw err;
    }
    if (err instanceof WorkflowNotFoundError) {
      const latest = await findInvoice(deps.sql, invoiceId);
      if (latest && latest.status !== 'open') throw closedError(latest);
      throw new DomainError(ErrorCode.WORKFLOW_UNAVAILABLE, `the workflow of invoice ${invoiceId} is not running yet; retry shortly`);
    }
    throw err;
  }
}

function closedError(invoice: InvoiceRow): DomainError {
  return invoice.status === 'paid'
    ? new DomainError(ErrorCode.INVOICE_PAID, `invoice ${invoice.number} is already paid`)
    : new DomainError(ErrorCode.INVOICE_NOT_OPEN, `invoice ${invoice.number} is ${invoice.status}`);
}

export const voidInvoice = (deps: CommandDeps, id: string, reason: string | undefined, actor: string) =>
  command(deps, id, voidInvoiceUpdate, { actor, ...(reason ? { reason } : {}) });
export const openDispute = (deps: CommandDeps, id: string, reason: string | undefined, actor: string) =>
  command(deps, id, openDisputeUpdate, { actor, ...(reason ? { reason } : {}) });
export const resolveDispute = (deps: CommandDeps, id: string, reason: string | undefined, actor: string) =>
  command(deps, id, resolveDisputeUpdate, { actor, ...(reason ? { reason } : {}) });
export const promiseToPay = (deps: CommandDeps, id: string, body: z.output<typeof promiseSchema>, actor: string) =>
  command(deps, id, promiseToPayUpdate, { actor, date: body.date, ...(body.reason ? { reason: body.reason } : {}) });

/**
 * Records a payment received by hand. With an idempotency key the payment id is derived from it,
 * so a retried request is recognised as the same payment and not applied twice.
 */
export async function recordManualPayment(
  deps: CommandDeps,
  id: string,
  body: z.output<typeof manualPaymentSchema>,
  opts: { actor: string; idempotencyKey?: string },
): Promise<{ view: InvoiceView; replayed: boolean }> {
  const paymentId = `manual_${opts.idempotencyKey ? opts.idempotencyKey : randomUUID()}`;
  try {
    const view = await command(deps, id, recordPaymentUpdate, {
      paymentId, amountCents: body.amountCents, currency: body.currency, method: body.method, actor: opts.actor,
      ...(body.reference ? { reference: body.reference } : {}),
    });
    return { view, replayed: false };
  } catch (err) {
    const duplicate = err instanceof DomainError && err.code === ErrorCode.DUPLICATE_PAYMENT;
    const completedByIt = err instanceof DomainError && err.code === ErrorCode.INVOICE_PAID;
    if (opts.idempotencyKey && (duplicate || completedByIt) && (await paymentExists(deps.sql, paymentId))) {
      return { view: await currentView(deps, id), replayed: true };
    }
    throw err;
  }
}

async function paymentExists(sql: Sql, paymentId: string): Promise<boolean> {
  const rows = await sql`SELECT 1 FROM payments WHERE kind = 'payment' AND id = ${paymentId}`;
  return rows.length > 0;
}

/** The live view from the workflow (running or completed). */
export async function currentView(deps: CommandDeps, invoiceId: string): Promise<InvoiceView> {
  const invoice = await findInvoice(deps.sql, invoiceId);
  if (!invoice) throw new DomainError(ErrorCode.NOT_FOUND, `invoice ${invoiceId} does not exist`);
  return deps.client.workflow.getHandle(invoice.workflowId).query(invoiceStateQuery);
}

/** Applies unapplied cash to an open invoice under its original payment id (applied at most once). */
export const applyUnappliedPayment = (deps: CommandDeps, invoiceId: string, payment: UnappliedPayment, actor: string) =>
  command(deps, invoiceId, recordPaymentUpdate, {
    paymentId: payment.id, amountCents: payment.amountCents, currency: payment.currency, actor, reason: 'unapplied cash applied',
    ...(payment.reference ? { reference: payment.reference } : {}),
  });
