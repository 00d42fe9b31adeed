import {
  ScheduleAlreadyRunning,
  ScheduleNotFoundError,
  ScheduleOverlapPolicy,
  type Client,
  type ScheduleOptions,
  type ScheduleOptionsStartWorkflowAction,
} from '@temporalio/client';
import type { CustomerRow } from '../db/customers';
import { DomainError, ErrorCode } from '../domain/errors';
import type { statementWorkflow } from '../../workflows';
import { CATCHUP_WINDOW, SCHEDULER_DEADLINE_MS } from './recurring-schedules';
import { CustomerIdKey } from './search-attributes';

export const statementScheduleId = (customerId: string) => `customer-statements-${customerId}`;

/** The local hour a monthly statement goes out: the start of the customer's business day. */
export const STATEMENT_HOUR = 8;

/**
 * A customer's monthly statement Schedule: on `statementDay` at 08:00 on the customer's calendar it
 * starts `statementWorkflow`, which emails the statement of the previous calendar month (the month
 * before the firing's scheduled time, so a catch-up sends the month it stands for, once).
 */
export function statementScheduleOptions(
  customer: Pick<CustomerRow, 'id' | 'name' | 'timeZone'>,
  day: number,
  taskQueue: string,
): ScheduleOptions<ScheduleOptionsStartWorkflowAction<typeof statementWorkflow>> {
  return {
    scheduleId: statementScheduleId(customer.id),
    spec: { calendars: [{ dayOfMonth: day, hour: STATEMENT_HOUR, minute: 0 }], timezone: customer.timeZone },
    action: {
      type: 'startWorkflow',
      workflowType: 'statementWorkflow' satisfies (typeof statementWorkflow)['name'],
      workflowId: `customer-statement-${customer.id}`,
      taskQueue,
      args: [{ customerId: customer.id }],
      typedSearchAttributes: [{ key: CustomerIdKey, value: customer.id }],
      staticSummary: `Monthly statement for ${customer.name}`,
    },
    policies: { overlap: ScheduleOverlapPolicy.ALLOW_ALL, catchupWindow: CATCHUP_WINDOW, pauseOnFailure: false },
    state: { paused: false, note: 'created by the collections engine' },
    typedSearchAttributes: [{ key: CustomerIdKey, value: customer.id }],
    memo: { customerId: customer.id },
  };
}

/**
 * Makes the customer's statement Schedule match its row: created when it opts in, replaced when its
 * day, name or time zone change, deleted when it opts out. Idempotent; a Temporal that cannot be
 * reached is `SCHEDULER_UNAVAILABLE`.
 */
export async function syncStatementSchedule(
  client: Client,
  taskQueue: string,
  customer: Pick<CustomerRow, 'id' | 'name' | 'timeZone' | 'statementDay'>,
): Promise<void> {
  const handle = client.schedule.getHandle(statementScheduleId(customer.id));
  const day = customer.statementDay;
  try {
    await client.withDeadline(Date.now() + SCHEDULER_DEADLINE_MS, async () => {
      if (day === null) {
        await handle.delete().catch((err: unknown) => {
          if (!(err instanceof ScheduleNotFoundError)) throw err;
        });
        return;
      }
      const options = statementScheduleOptions(customer, day, taskQueue);
      try {
        await client.schedule.create(options);
      } catch (err) {
        if (!(err instanceof ScheduleAlreadyRunning)) throw err;
        // Updated in place: a failure leaves the old schedule, as the rolled-back row describes it.
        const { scheduleId: _id, memo: _memo, ...wanted } = options;
        await handle.update(() => ({ ...wanted, state: { paused: false, note: options.state?.note ?? '' } }));
      }
    });
  } catch (err) {
    throw new DomainError(
      ErrorCode.SCHEDULER_UNAVAILABLE,
      `the customer's statement schedule could not be changed: ${(err as Error).message}`,
    );
  }
}

/** When the next monthly statements go out, or null when the customer has none. */
export async function nextStatementRuns(client: Client, customerId: string): Promise<string[] | null> {
  try {
    const d = await client.withDeadline(Date.now() + SCHEDULER_DEADLINE_MS, () =>
      client.schedule.getHandle(statementScheduleId(customerId)).describe(),
    );
    return d.info.nextActionTimes.slice(0, 3).map((t) => t.toISOString());
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) return null;
    throw err;
  }
}
