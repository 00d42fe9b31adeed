import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import type { SearchAttributePair } from '@temporalio/common';
import { amountDue, type InvoiceState } from '../domain/invoice';
import { invoiceSnapshotQuery, paymentRefundedSignal, type PaymentRefunded } from '../../workflows/messages';
import type { Sql } from '../db/client';
import { findCustomer } from '../db/customers';
import { findInvoice, findUnstartedInvoiceIds, markWorkflowStarted } from '../db/invoices';
import { findPolicyVersion } from '../db/policies';
import { formatMoney } from '../domain/money';
import type { InvoiceWorkflowInput } from '../../workflows/messages';
import type { invoiceWorkflow } from '../../workflows';
import {
  AmountDueCentsKey,
  CustomerIdKey,
  DueDateKey,
  DunningStageKey,
  InvoiceStatusKey,
  PolicyNameKey,
  PolicyVersionKey,
} from './search-attributes';

/**
 * Starts the invoice's workflow unless it already runs (or ran): the workflow id is the invoice id,
 * so a retried call never starts a second one. Marks the invoice as started.
 */
export async function ensureInvoiceWorkflow(sql: Sql, client: Client, taskQueue: string, invoiceId: string): Promise<void> {
  const invoice = await findInvoice(sql, invoiceId);
  if (!invoice) throw new Error(`invoice ${invoiceId} does not exist`);
  if (invoice.workflowStarted) return;
  const customer = await findCustomer(sql, invoice.customerId);
  const policy = await findPolicyVersion(sql, invoice.policyName, invoice.policyVersion);
  if (!customer || !policy) throw new Error(`invoice ${invoiceId} references a missing customer or policy`);

  const input: InvoiceWorkflowInput = {
    invoiceId: invoice.id,
    number: invoice.number,
    customerId: customer.id,
    timeZone: customer.timeZone,
    currency: invoice.currency,
    totalCents: invoice.totalCents,
    issueDate: invoice.issueDate,
    dueAt: invoice.dueAt.toISOString(),
    policy,
    ...(invoice.externalId !== null
      ? {
          imported: {
            externalId: invoice.externalId,
            paidBeforeCents: invoice.paidBeforeImportCents ?? 0,
            ...(invoice.importCatchUp ? { catchUp: invoice.importCatchUp } : {}),
          },
        }
      : {}),
  };
  try {
    await client.workflow.start<typeof invoiceWorkflow>('invoiceWorkflow', {
      workflowId: invoice.workflowId,
      taskQueue,
      args: [input],
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      typedSearchAttributes: searchAttributesOf(input, 'open', 'none', invoice.totalCents - (input.imported?.paidBeforeCents ?? 0)),
      staticSummary: `${invoice.number} · ${customer.name} · ${formatMoney(invoice.totalCents, invoice.currency)} due ${input.dueAt.slice(0, 10)}`,
      staticDetails: `Policy **${policy.name}@${policy.version}**, customer \`${customer.id}\` (${customer.timeZone})`,
    });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
  await markWorkflowStarted(sql, invoiceId);
}

/**
 * Starts the workflows of invoices committed while Temporal was unreachable (created before
 * `olderThan`), so an acknowledged invoice is never left without its workflow. Returns their ids.
 */
export async function reconcileUnstartedInvoices(sql: Sql, client: Client, taskQueue: string, olderThan: Date): Promise<string[]> {
  const ids = await findUnstartedInvoiceIds(sql, olderThan);
  for (const id of ids) await ensureInvoiceWorkflow(sql, client, taskQueue, id);
  return ids;
}

function searchAttributesOf(input: InvoiceWorkflowInput, status: string, stage: string, dueCents: number): SearchAttributePair[] {
  return [
    { key: CustomerIdKey, value: input.customerId },
    { key: InvoiceStatusKey, value: status },
    { key: DunningStageKey, value: stage },
    { key: AmountDueCentsKey, value: dueCents },
    { key: DueDateKey, value: new Date(input.dueAt) },
    { key: PolicyNameKey, value: input.policy.name },
    { key: PolicyVersionKey, value: input.policy.version },
  ];
}

/**
 * Delivers a refund to an invoice whose workflow has completed (it was paid): a new
 * run of the same workflow id continues from the previous run's final state and receives the
 * signal, so the invoice reopens and dunning resumes where the policy says.
 */
export async function reopenWithRefund(client: Client, taskQueue: string, workflowId: string, refund: PaymentRefunded): Promise<void> {
  const snapshotHandle = client.workflow.getHandle(workflowId);
  const snapshot: InvoiceState = await snapshotHandle.query(invoiceSnapshotQuery);
  const input: InvoiceWorkflowInput = { ...snapshot.input, resume: snapshot };
  await client.workflow.signalWithStart('invoiceWorkflow', {
    workflowId,
    taskQueue,
    args: [input],
    signal: paymentRefundedSignal,
    signalArgs: [refund],
    workflowIdReusePolicy: 'ALLOW_DUPLICATE',
    typedSearchAttributes: searchAttributesOf(input, snapshot.status, snapshot.dunningStage, amountDue(snapshot.ledger)),
    staticSummary: `${input.number} · reopened · ${formatMoney(input.totalCents, input.currency)} due ${input.dueAt.slice(0, 10)}`,
  });
}
