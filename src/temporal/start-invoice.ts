import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import type { SearchAttributePair } from '@temporalio/common';
import { amountDue, type InvoiceState } from '../domain/invoice';
import { invoiceSnapshotQuery, paymentRefundedSignal, type PaymentRefunded } from '../../workflows/messages';
import type { Sql } from '../db/client';
import { findCustomer } from '../db/customers';
import { findInvoice, findUnstartedInvoiceIds, markWorkflowStarted } from '../db/invoices';
import { findPolicyVersion } from '../db/policies';
import { formatMoney } from '../domain/money';
import { localDate } from '../domain/schedule';
import type { InvoiceWorkflowInput } from '../../workflows/messages';
import type { invoiceWorkflow } from '../../workflows';
import {
  AmountDueCentsKey,
  CurrencyKey,
  CustomerIdKey,
  CustomerNameKey,
  DueDateKey,
  DunningStageKey,
  InvoiceNumberKey,
  InvoiceStatusKey,
  PolicyNameKey,
  PolicyVersionKey,
} from './search-attributes';

/** How invoice workflows are started in this deployment (from configuration; see `invoiceStartOptions`). */
export interface InvoiceStartOptions {
  /** Base URL of the engine's pages: the workflow's details link to the invoice's page there. */
  readonly appUrl?: string;
  /**
   * Put the customer's name in the `CustomerName` search attribute (visible to anyone who can list
   * workflows, and not encrypted by the payload codec). @default true
   */
  readonly customerNameVisible?: boolean;
}

/** The invoice's page for people (linked from its workflow's details in the Temporal UI). */
export const invoicePageUrl = (appUrl: string, invoiceId: string) => `${appUrl}/dashboard/invoices/${encodeURIComponent(invoiceId)}`;

/**
 * Starts the invoice's workflow unless it already runs (or ran): the workflow id is the invoice id,
 * so a retried call never starts a second one. Marks the invoice as started.
 */
export async function ensureInvoiceWorkflow(
  sql: Sql,
  client: Client,
  taskQueue: string,
  invoiceId: string,
  o: InvoiceStartOptions = {},
): Promise<void> {
  const invoice = await findInvoice(sql, invoiceId);
  if (!invoice) throw new Error(`invoice ${invoiceId} does not exist`);
  if (invoice.workflowStarted) return;
  const customer = await findCustomer(sql, invoice.customerId);
  const policy = await findPolicyVersion(sql, invoice.policyName, invoice.policyVersion);
  if (!customer || !policy) throw new Error(`invoice ${invoiceId} references a missing customer or policy`);

  const dueDate = localDate(invoice.dueAt.getTime(), customer.timeZone);
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
    ...(o.appUrl ? { links: { invoice: invoicePageUrl(o.appUrl, invoice.id) } } : {}),
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
      typedSearchAttributes: [
        ...searchAttributesOf(input, 'open', 'none', invoice.totalCents - (input.imported?.paidBeforeCents ?? 0)),
        ...(o.customerNameVisible === false ? [] : [{ key: CustomerNameKey, value: customer.name }]),
      ],
      // What never changes; the amount due now, the stage and what comes next are the current details.
      staticSummary: `${invoice.number} · ${customer.name} · invoiced ${formatMoney(invoice.totalCents, invoice.currency)}, due ${dueDate}`,
      staticDetails: [
        `Invoice **${invoice.number}** issued ${invoice.issueDate}, due ${dueDate} (${customer.timeZone})`,
        `Customer **${customer.name}** \`${customer.id}\` · account workflow \`customer-${customer.id}\``,
        `Policy **${policy.name}@${policy.version}** when started`,
        ...(input.imported ? [`Imported from the ERP as \`${input.imported.externalId}\``] : []),
      ].join('\n\n'),
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
export async function reconcileUnstartedInvoices(
  sql: Sql,
  client: Client,
  taskQueue: string,
  olderThan: Date,
  o: InvoiceStartOptions = {},
): Promise<string[]> {
  const ids = await findUnstartedInvoiceIds(sql, olderThan);
  for (const id of ids) await ensureInvoiceWorkflow(sql, client, taskQueue, id, o);
  return ids;
}

function searchAttributesOf(input: InvoiceWorkflowInput, status: string, stage: string, dueCents: number): SearchAttributePair[] {
  return [
    { key: CustomerIdKey, value: input.customerId },
    { key: InvoiceNumberKey, value: input.number },
    { key: CurrencyKey, value: input.currency },
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
    staticSummary: `${input.number} · reopened after payment · invoiced ${formatMoney(input.totalCents, input.currency)}, due ${input.dueAt.slice(0, 10)}`,
  });
}
