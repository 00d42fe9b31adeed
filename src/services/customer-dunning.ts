import type { Client } from '@temporalio/client';
import { z } from 'zod';
import type { Sql } from '../db/client';
import { auditCustomer, findCustomer } from '../db/customers';
import { DomainError, ErrorCode } from '../domain/errors';
import { instant, multiLine } from '../domain/input';
import { signalCustomerAccount } from '../temporal/customer-account';
import { customerWorkflowId } from '../temporal/search-attributes';
import {
  accountChangedSignal,
  customerAccountQuery,
  pauseDunningSignal,
  resumeDunningSignal,
  type CustomerAccountView,
} from '../../workflows/messages';

export const pauseDunningSchema = z.strictObject({
  /** When reminders resume on their own; absent: until resumed. */
  until: instant.optional(),
  reason: multiLine(500),
});
export const resumeDunningSchema = z.strictObject({ reason: multiLine(500).optional() });

interface Deps {
  readonly sql: Sql;
  readonly client: Client;
  readonly taskQueue: string;
  readonly now: () => Date;
}

/** How long a read waits for the account workflow's own answer. */
const ACCOUNT_QUERY_DEADLINE_MS = 3_000;

async function existing(deps: Deps, customerId: string) {
  const customer = await findCustomer(deps.sql, customerId);
  if (!customer) throw new DomainError(ErrorCode.NOT_FOUND, `customer ${customerId} does not exist`);
  return customer;
}

async function signal<A>(deps: Deps, customerId: string, def: Parameters<typeof signalCustomerAccount<A>>[2], arg: A): Promise<void> {
  try {
    await deps.client.withDeadline(Date.now() + ACCOUNT_QUERY_DEADLINE_MS, () =>
      signalCustomerAccount(deps.client, { taskQueue: deps.taskQueue, customerId }, def, arg),
    );
  } catch (err) {
    throw new DomainError(
      ErrorCode.WORKFLOW_UNAVAILABLE,
      `the customer's account workflow could not be reached: ${(err as Error).message}`,
    );
  }
}

/**
 * Stops every reminder to the customer until `until` or until resumed; invoices keep their timelines
 * (fees, holds, hand-offs) and their reminders wait in the account. On resume, what waits goes out
 * under the catch-up rule: one grouped email (and any notice that goes alone).
 */
export async function pauseDunning(deps: Deps, customerId: string, input: z.output<typeof pauseDunningSchema>, actor: string) {
  await existing(deps, customerId);
  if (input.until && Date.parse(input.until) <= deps.now().getTime()) {
    throw new DomainError(ErrorCode.VALIDATION, 'until must be in the future', { field: 'until' });
  }
  const until = input.until ? new Date(input.until).toISOString() : null;
  await signal(deps, customerId, pauseDunningSignal, { until, reason: input.reason, actor });
  await auditCustomer(deps.sql, { customerId, action: 'customer.dunning_paused', actor, reason: input.reason, data: { until } });
  return { paused: { until, reason: input.reason, actor } };
}

export async function resumeDunning(deps: Deps, customerId: string, input: z.output<typeof resumeDunningSchema>, actor: string) {
  await existing(deps, customerId);
  await signal(deps, customerId, resumeDunningSignal, { actor });
  await auditCustomer(deps.sql, { customerId, action: 'customer.dunning_resumed', actor, reason: input.reason ?? null, data: {} });
  return { paused: null };
}

/** Tells the account its record changed (hold, settings); Temporal being away only delays it to the next batch. */
export async function notifyAccount(deps: Deps, customerId: string, reason: string): Promise<void> {
  try {
    await signal(deps, customerId, accountChangedSignal, { reason });
  } catch {
    // The account reads the record again before its next email anyway.
  }
}

/** The account workflow's live view (pending reminders, next contact, cap, pause), or null when none runs or it does not answer. */
export async function describeAccount(deps: Deps, customerId: string): Promise<CustomerAccountView | null> {
  try {
    return await deps.client.withDeadline(Date.now() + ACCOUNT_QUERY_DEADLINE_MS, () =>
      deps.client.workflow.getHandle(customerWorkflowId(customerId)).query(customerAccountQuery),
    );
  } catch {
    return null;
  }
}
