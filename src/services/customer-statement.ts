import { createHash, randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { z } from 'zod';
import type { Sql } from '../db/client';
import { findCustomer, type CustomerRow } from '../db/customers';
import { readStatementFacts } from '../db/customer-statement';
import { claimIdempotencyKey } from '../db/idempotency-keys';
import { DomainError, ErrorCode } from '../domain/errors';
import { addDays, localDate } from '../domain/schedule';
import { buildStatement, MAX_STATEMENT_DAYS, type StatementView } from '../domain/statement';
import { customerWorkflowId } from '../temporal/search-attributes';
import type { statementWorkflow } from '../../workflows';
import type { StatementSendResult } from '../../workflows/messages';

const date = z.iso.date({ error: 'must be a date (YYYY-MM-DD)' });

export const statementPeriodSchema = z.strictObject({
  /** First day, on the customer's calendar. @default the first of `to`'s month */
  from: date.optional(),
  /** Last day, on the customer's calendar. @default today there */
  to: date.optional(),
});
export const statementQuerySchema = statementPeriodSchema.extend({ format: z.enum(['json', 'pdf']).default('json') });
export type StatementPeriodInput = z.output<typeof statementPeriodSchema>;

export type { StatementView } from '../domain/statement';

/**
 * The period a statement covers: as asked, or from the first of the month to today on the
 * customer's calendar. A period ending after today, running backwards or longer than three years
 * is refused, naming the field.
 */
export function statementPeriod(
  customer: Pick<CustomerRow, 'timeZone'>,
  input: StatementPeriodInput,
  now: Date,
): { from: string; to: string } {
  const today = localDate(now.getTime(), customer.timeZone);
  const to = input.to ?? today;
  const from = input.from ?? `${to.slice(0, 8)}01`;
  if (to > today)
    throw new DomainError(ErrorCode.VALIDATION, `to: must not be after today (${today} on the customer's calendar)`, { field: 'to' });
  if (from > to) throw new DomainError(ErrorCode.VALIDATION, `from: must not be after to (${to})`, { field: 'from' });
  if (addDays(from, MAX_STATEMENT_DAYS) <= to)
    throw new DomainError(ErrorCode.VALIDATION, `from: a statement covers at most ${MAX_STATEMENT_DAYS} days`, { field: 'from' });
  return { from, to };
}

/** The customer's statement of account for the period, from the ledger as Postgres holds it. */
export async function readStatement(sql: Sql, customer: CustomerRow, period: { from: string; to: string }): Promise<StatementView> {
  const facts = await readStatementFacts(sql, customer.id, period.to);
  return {
    customer: { id: customer.id, name: customer.name, timeZone: customer.timeZone },
    ...buildStatement({ ...period, invoices: facts.invoices, entries: facts.entries }),
    pendingCash: facts.pendingCash,
  };
}

/** The innermost cause of a workflow failure (the activity's `ApplicationFailure`). */
const rootCause = (err: unknown): { type?: string; message: string } => {
  let e = err as { type?: string; message?: string; cause?: unknown };
  while (e.cause) e = e.cause as typeof e;
  return { ...(e.type ? { type: e.type } : {}), message: e.message ?? String(err) };
};

/** How long a send request waits for the email before answering that it is on its way. */
const SEND_WAIT_MS = 10_000;

export type StatementSendAnswer = (StatementSendResult | { outcome: 'sending'; from: string; to: string }) & { workflowId: string };

/**
 * Emails the customer their statement for the period, with the PDF and a link to pay everything.
 * The email goes out once per idempotency key (a repeated request answers what the first did; the
 * same key for another period is a conflict); without a key, every request sends one. It is sent by
 * `statementWorkflow` on the rate-limited email queue, so a provider outage delays it, never loses it.
 */
export async function sendStatement(
  deps: { sql: Sql; client: Client; taskQueue: string; now: () => Date },
  customerId: string,
  input: StatementPeriodInput,
  o: { idempotencyKey?: string; actor: string },
): Promise<StatementSendAnswer & { repeated: boolean }> {
  const customer = await findCustomer(deps.sql, customerId);
  if (!customer) throw new DomainError(ErrorCode.NOT_FOUND, `customer ${customerId} does not exist`);
  const period = statementPeriod(customer, input, deps.now());
  const key = o.idempotencyKey ?? randomUUID();
  const claim = await claimIdempotencyKey(deps.sql, {
    scope: 'statement_send',
    key: `${customerId}:${key}`,
    requestHash: `${period.from}..${period.to}`,
    invoiceId: null,
  });
  if (claim.conflict)
    throw new DomainError(ErrorCode.IDEMPOTENCY_CONFLICT, 'this Idempotency-Key was used for a statement of another period');
  const digest = createHash('sha256').update(`${customerId}:${key}`).digest('hex').slice(0, 24);
  const workflowId = `${customerWorkflowId(customerId)}-statement-${digest}`;
  let handle;
  try {
    handle = await deps.client.withDeadline(Date.now() + 5_000, () =>
      deps.client.workflow.start<typeof statementWorkflow>('statementWorkflow', {
        workflowId,
        taskQueue: deps.taskQueue,
        args: [{ customerId, period, emailKey: `customer-${customerId}/statement-${digest}` }],
        workflowIdConflictPolicy: 'USE_EXISTING',
        staticSummary: `Statement ${period.from} – ${period.to} for ${customer.name} (${o.actor})`,
      }),
    );
  } catch (err) {
    throw new DomainError(ErrorCode.WORKFLOW_UNAVAILABLE, `the statement could not be queued: ${(err as Error).message}`);
  }
  let timer: NodeJS.Timeout | undefined;
  const result = await Promise.race([
    handle.result(),
    new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), SEND_WAIT_MS))),
  ])
    .catch((err: unknown) => {
      // The one permanent failure is the provider refusing the email (retries never give up otherwise).
      const root = rootCause(err);
      if (root.type === 'EMAIL_REJECTED')
        throw new DomainError(ErrorCode.EMAIL_REJECTED, `the statement email was refused: ${root.message}`);
      throw new DomainError(ErrorCode.WORKFLOW_UNAVAILABLE, `the statement's workflow could not be followed: ${root.message}`);
    })
    .finally(() => clearTimeout(timer));
  const answer: StatementSendAnswer = result ? { ...result, workflowId } : { outcome: 'sending', ...period, workflowId };
  return { ...answer, repeated: !claim.fresh };
}
