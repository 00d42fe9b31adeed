import type { Client } from '@temporalio/client';
import type { SignalDefinition } from '@temporalio/common';
import type { CustomerAccountInput } from '../../workflows/messages';
import { CustomerIdKey, customerWorkflowId } from './search-attributes';

/**
 * Signals a customer's account workflow, starting it if it is not running yet (an account starts
 * with its first reminder, pause or hold). Returns its workflow id.
 */
export async function signalCustomerAccount<A>(
  client: Client,
  o: { taskQueue: string; customerId: string },
  signal: SignalDefinition<[A]>,
  arg: A,
): Promise<string> {
  const workflowId = customerWorkflowId(o.customerId);
  await client.workflow.signalWithStart<(input: CustomerAccountInput) => Promise<void>, [A]>('customerAccountWorkflow', {
    workflowId,
    taskQueue: o.taskQueue,
    args: [{ customerId: o.customerId } satisfies CustomerAccountInput],
    signal,
    signalArgs: [arg],
    typedSearchAttributes: [{ key: CustomerIdKey, value: o.customerId }],
  });
  return workflowId;
}
