import { createHash, randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { z } from 'zod';
import type { Sql } from '../db/client';
import { findCustomer } from '../db/customers';
import { findInvoice, findInvoiceByIdempotencyKey, insertInvoice, type InvoiceRow } from '../db/invoices';
import { findPolicyVersion } from '../db/policies';
import { isDuration, parseDuration } from '../domain/duration';
import { DomainError, ErrorCode } from '../domain/errors';
import { invoiceTotalCents, lineTotalCents } from '../domain/money';
import { addDays, endOfLocalDay, localDate } from '../domain/schedule';
import { ensureInvoiceWorkflow, type InvoiceStartOptions } from '../temporal/start-invoice';
import { invoiceWorkflowId } from '../temporal/search-attributes';
import { calendarDate, currencyCode, MAX_TERM_DAYS, minorUnits, multiLine, policyName, singleLine } from '../domain/input';
import { readCreditFacts, recordCreditOverride, settleCreditStanding } from '../db/credit-standing';
import { creditRefusal } from '../domain/customer';

const DAY_MS = 86_400_000;

export const lineSchema = z.strictObject({
  description: singleLine(500),
  quantity: z.number().int('must be a whole number').positive().max(1_000_000),
  unitAmountCents: minorUnits({ min: 0 }),
});

export const createInvoiceSchema = z
  .strictObject({
    customerId: z.uuid(),
    lines: z.array(lineSchema).min(1, 'an invoice needs at least one line').max(500),
    currency: currencyCode.optional(),
    dueDate: calendarDate.optional(),
    dueIn: z
      .string()
      .max(32)
      .refine(isDuration, 'must be a duration such as 30d, 2m or 30s')
      .refine(
        (d) => !isDuration(d) || (parseDuration(d) >= 0 && parseDuration(d) <= MAX_TERM_DAYS * DAY_MS),
        `must be between 0s and ${MAX_TERM_DAYS}d`,
      )
      .optional(),
    policy: policyName.optional(),
    /** Issues the invoice although the customer is on credit hold or would pass its limit; audited. */
    override: z.strictObject({ reason: multiLine(500) }).optional(),
  })
  .refine((b) => !(b.dueDate && b.dueIn), { message: 'give dueDate or dueIn, not both', path: ['dueIn'] });
export type CreateInvoiceInput = z.output<typeof createInvoiceSchema>;

export interface CreateInvoiceDeps {
  readonly sql: Sql;
  readonly client: Client;
  readonly taskQueue: string;
  readonly now: () => Date;
  readonly onStartFailure?: (err: unknown, invoiceId: string) => void;
  readonly start?: InvoiceStartOptions;
}

/**
 * Creates an invoice and starts its workflow. With an idempotency key, a repeated request returns
 * the same invoice (and a different body under the same key is refused). The invoice is committed
 * before the workflow starts; if Temporal is unreachable, the reconciler starts it later.
 */
export async function createInvoice(
  deps: CreateInvoiceDeps,
  input: CreateInvoiceInput,
  opts: { idempotencyKey?: string; actor: string; recurring?: { planId: string; billingPeriod: string } },
): Promise<{ invoice: InvoiceRow; created: boolean }> {
  const requestHash = createHash('sha256').update(JSON.stringify(input)).digest('hex');
  if (opts.idempotencyKey) {
    const existing = await findInvoiceByIdempotencyKey(deps.sql, opts.idempotencyKey);
    if (existing) return { invoice: await replay(deps, existing, requestHash), created: false };
  }

  const customer = await findCustomer(deps.sql, input.customerId);
  if (!customer) throw new DomainError(ErrorCode.NOT_FOUND, `customer ${input.customerId} does not exist`, { field: 'customerId' });
  const policyName = input.policy ?? customer.policyName ?? 'standard';
  const policy = await findPolicyVersion(deps.sql, policyName);
  if (!policy) throw new DomainError(ErrorCode.VALIDATION, `policy "${policyName}" does not exist`, { field: 'policy' });

  const now = deps.now();
  const issueDate = localDate(now.getTime(), customer.timeZone);
  if (input.dueDate && input.dueDate < issueDate) {
    throw new DomainError(ErrorCode.VALIDATION, `dueDate ${input.dueDate} is before the issue date ${issueDate}`, { field: 'dueDate' });
  }
  if (input.dueDate && input.dueDate > addDays(issueDate, MAX_TERM_DAYS)) {
    throw new DomainError(
      ErrorCode.VALIDATION,
      `dueDate ${input.dueDate} is more than ${MAX_TERM_DAYS} days after the issue date ${issueDate}`,
      { field: 'dueDate' },
    );
  }
  const dueAt = input.dueDate
    ? endOfLocalDay(input.dueDate, customer.timeZone)
    : input.dueIn
      ? new Date(now.getTime() + parseDuration(input.dueIn)).toISOString()
      : endOfLocalDay(addDays(issueDate, customer.paymentTermsDays), customer.timeZone);

  const lines = input.lines.map((l) => ({ ...l, amountCents: lineTotalCents(l.quantity, l.unitAmountCents) }));
  const totalCents = invoiceTotalCents(input.lines);
  const currency = input.currency ?? customer.currency;

  // No new credit for a customer on hold or past its limit, unless someone takes responsibility.
  // (Two invoices checked at once may both pass; the limit then holds the customer right after.)
  const refusal = creditRefusal((await readCreditFacts(deps.sql, customer.id, now))!, currency, totalCents);
  if (refusal && !input.override) throw new DomainError(refusal.code, refusal.message, { field: 'customerId' });

  const id = randomUUID();
  const inserted = await insertInvoice(
    deps.sql,
    {
      id,
      customerId: customer.id,
      currency,
      totalCents,
      issueDate,
      dueAt,
      policyName: policy.name,
      policyVersion: policy.version,
      workflowId: invoiceWorkflowId(id),
      idempotencyKey: opts.idempotencyKey ?? null,
      requestHash,
      ...(opts.recurring ? { recurring: opts.recurring } : {}),
      lines,
    },
    opts.actor,
  );
  if (!inserted) {
    // Lost a race with a concurrent request under the same key.
    const winner = await findInvoiceByIdempotencyKey(deps.sql, opts.idempotencyKey!);
    return { invoice: await replay(deps, winner!, requestHash), created: false };
  }
  if (refusal && input.override) {
    await recordCreditOverride(deps.sql, { invoiceId: id, actor: opts.actor, reason: input.override.reason, refused: refusal, at: now });
  }
  await deps.sql.begin((tx) => settleCreditStanding(tx as unknown as Sql, customer.id, { actor: opts.actor, now, invoiceId: id }));
  return { invoice: await startWorkflow(deps, inserted), created: true };
}

async function replay(deps: CreateInvoiceDeps, existing: InvoiceRow, requestHash: string): Promise<InvoiceRow> {
  if (existing.requestHash !== requestHash) {
    throw new DomainError(ErrorCode.IDEMPOTENCY_CONFLICT, 'this Idempotency-Key was used with a different request body');
  }
  return existing.workflowStarted ? existing : startWorkflow(deps, existing);
}

async function startWorkflow(deps: CreateInvoiceDeps, invoice: InvoiceRow): Promise<InvoiceRow> {
  try {
    await ensureInvoiceWorkflow(deps.sql, deps.client, deps.taskQueue, invoice.id, deps.start);
    return (await findInvoice(deps.sql, invoice.id))!;
  } catch (err) {
    deps.onStartFailure?.(err, invoice.id);
    return invoice;
  }
}
