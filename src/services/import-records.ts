import { createHash, randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { z } from 'zod';
import type { Sql } from '../db/client';
import { findCustomerByExternalId } from '../db/customers';
import { findInvoiceByExternalId, insertInvoice, type InvoiceRow } from '../db/invoices';
import { findPolicyVersion } from '../db/policies';
import { DomainError, ErrorCode } from '../domain/errors';
import { addDays, endOfLocalDay, localDate } from '../domain/schedule';
import { ensureInvoiceWorkflow, type InvoiceStartOptions } from '../temporal/start-invoice';
import { invoiceWorkflowId } from '../temporal/search-attributes';
import { createCustomerSchema, createImportedCustomer } from './create-customer';
import { calendarDate, currencyCode, MAX_TERM_DAYS, minorUnits, policyName, singleLine } from '../domain/input';

const externalId = singleLine(200);

export const importCustomerSchema = createCustomerSchema.extend({ externalId });
export const importInvoiceSchema = z
  .strictObject({
    externalId,
    customerExternalId: externalId,
    /** The ERP's invoice number, kept beside ours. */
    number: singleLine(100).optional(),
    currency: currencyCode,
    issueDate: calendarDate,
    dueDate: calendarDate,
    totalCents: minorUnits(),
    amountPaidCents: minorUnits({ min: 0 }).default(0),
    description: singleLine(500).optional(),
    policy: policyName.optional(),
    /**
     * For an invoice already past every step of its policy: `latest` (the default) performs the latest
     * step now, with its fee once; `none` takes no action and lists it as parked for a human.
     */
    catchUp: z.enum(['latest', 'none'], { error: 'must be latest or none' }).optional(),
  })
  .refine((r) => r.dueDate >= r.issueDate, { message: 'is before the issue date', path: ['dueDate'] })
  .refine((r) => r.dueDate <= addDays(r.issueDate, MAX_TERM_DAYS), {
    message: `is more than ${MAX_TERM_DAYS} days after the issue date`,
    path: ['dueDate'],
  })
  .refine((r) => r.amountPaidCents <= r.totalCents, { message: 'exceeds the total', path: ['amountPaidCents'] });

export type ImportStatus = 'created' | 'exists' | 'skipped';
export interface ImportOutcome {
  readonly status: ImportStatus;
  readonly id: string | null;
  readonly number?: string;
  readonly note?: string;
}

/** Imports one ERP customer; one already imported under its external id is left as it is. */
export async function importCustomer(sql: Sql, row: z.output<typeof importCustomerSchema>, actor: string): Promise<ImportOutcome> {
  const existing = await findCustomerByExternalId(sql, row.externalId);
  if (existing) return { status: 'exists', id: existing.id };
  const { externalId: id, ...customer } = row;
  const created = await createImportedCustomer(sql, customer, id, actor);
  if (created) return { status: 'created', id: created.id };
  return { status: 'exists', id: (await findCustomerByExternalId(sql, row.externalId))!.id };
}

/**
 * Imports one open ERP invoice and starts its workflow, which takes it over where its policy
 * stands today (see `decideImport`). Re-importing is a no-op (external id); an invoice paid in
 * full has nothing to collect and is skipped.
 */
export async function importInvoice(
  deps: {
    sql: Sql;
    client: Client;
    taskQueue: string;
    now: () => Date;
    onStartFailure?: (err: unknown, invoiceId: string) => void;
    start?: InvoiceStartOptions;
  },
  row: z.output<typeof importInvoiceSchema>,
  actor: string,
): Promise<ImportOutcome> {
  const existing = await findInvoiceByExternalId(deps.sql, row.externalId);
  if (existing) return started(deps, existing, 'exists');
  if (row.amountPaidCents === row.totalCents) return { status: 'skipped', id: null, note: 'paid in full: nothing to collect' };

  const customer = await findCustomerByExternalId(deps.sql, row.customerExternalId);
  if (!customer) {
    throw new DomainError(ErrorCode.NOT_FOUND, `no customer with external id ${row.customerExternalId} (import customers first)`, {
      field: 'customerExternalId',
    });
  }
  const today = localDate(deps.now().getTime(), customer.timeZone);
  if (row.issueDate > today)
    throw new DomainError(ErrorCode.VALIDATION, `is after today (${today}) in the customer's time zone`, { field: 'issueDate' });
  const policyName = row.policy ?? customer.policyName ?? 'standard';
  const policy = await findPolicyVersion(deps.sql, policyName);
  if (!policy) throw new DomainError(ErrorCode.VALIDATION, `policy "${policyName}" does not exist`, { field: 'policy' });

  const id = randomUUID();
  const description = row.description ?? `Invoice ${row.number ?? row.externalId} (imported)`;
  const inserted = await insertInvoice(
    deps.sql,
    {
      id,
      customerId: customer.id,
      currency: row.currency,
      totalCents: row.totalCents,
      issueDate: row.issueDate,
      dueAt: endOfLocalDay(row.dueDate, customer.timeZone),
      policyName: policy.name,
      policyVersion: policy.version,
      workflowId: invoiceWorkflowId(id),
      idempotencyKey: null,
      requestHash: createHash('sha256').update(JSON.stringify(row)).digest('hex'),
      imported: {
        externalId: row.externalId,
        externalNumber: row.number ?? null,
        paidBeforeCents: row.amountPaidCents,
        ...(row.catchUp ? { catchUp: row.catchUp } : {}),
      },
      lines: [{ description, quantity: 1, unitAmountCents: row.totalCents, amountCents: row.totalCents }],
    },
    actor,
  );
  if (!inserted) return started(deps, (await findInvoiceByExternalId(deps.sql, row.externalId))!, 'exists');
  return started(deps, inserted, 'created');
}

/** Makes sure the invoice's workflow runs (a previous run may have stopped before starting it). */
async function started(
  deps: {
    sql: Sql;
    client: Client;
    taskQueue: string;
    onStartFailure?: (err: unknown, invoiceId: string) => void;
    start?: InvoiceStartOptions;
  },
  invoice: InvoiceRow,
  status: ImportStatus,
): Promise<ImportOutcome> {
  if (!invoice.workflowStarted) {
    try {
      await ensureInvoiceWorkflow(deps.sql, deps.client, deps.taskQueue, invoice.id, deps.start);
    } catch (err) {
      deps.onStartFailure?.(err, invoice.id);
    }
  }
  return { status, id: invoice.id, number: invoice.number };
}
