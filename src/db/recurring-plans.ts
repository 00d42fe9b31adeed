import type { Interval } from '../domain/recurrence';
import type { Sql } from './client';

export type PlanStatus = 'active' | 'paused' | 'deleted';

export interface PlanLine {
  description: string;
  quantity: number;
  unitAmountCents: number;
}

export interface RecurringPlanRow {
  id: string;
  customerId: string;
  currency: string;
  lines: PlanLine[];
  policyName: string | null;
  interval: Interval;
  hour: number;
  timeZone: string;
  startsOn: string | null;
  endsOn: string | null;
  status: PlanStatus;
  /** Issues invoices while the customer is on credit hold (an audited override) instead of skipping. */
  billDuringHold: boolean;
  scheduleId: string;
  idempotencyKey: string | null;
  requestHash: string | null;
  createdAt: Date;
  updatedAt: Date;
}

const COLUMNS = (sql: Sql) => sql`id, customer_id AS "customerId", currency, lines, policy_name AS "policyName", interval, hour,
  time_zone AS "timeZone", starts_on AS "startsOn", ends_on AS "endsOn", status, bill_during_hold AS "billDuringHold", schedule_id AS "scheduleId",
  idempotency_key AS "idempotencyKey", request_hash AS "requestHash", created_at AS "createdAt", updated_at AS "updatedAt"`;

export type NewRecurringPlan = Omit<RecurringPlanRow, 'status' | 'createdAt' | 'updatedAt'>;

/**
 * Inserts a plan and its audit row, then runs `after` (creating its schedule) inside the same
 * transaction: a plan is never committed without its schedule. Returns `null` when the
 * idempotency key is taken.
 */
export async function insertRecurringPlan(
  sql: Sql,
  plan: NewRecurringPlan,
  actor: string,
  after: () => Promise<void>,
): Promise<RecurringPlanRow | null> {
  return sql.begin(async (tx) => {
    const [row] = await tx<RecurringPlanRow[]>`
      INSERT INTO recurring_plans (id, customer_id, currency, lines, policy_name, interval, hour, time_zone, starts_on, ends_on,
                                   bill_during_hold, schedule_id, idempotency_key, request_hash)
      VALUES (${plan.id}, ${plan.customerId}, ${plan.currency}, ${tx.json(plan.lines as never)}, ${plan.policyName},
              ${tx.json(plan.interval as never)}, ${plan.hour}, ${plan.timeZone}, ${plan.startsOn}, ${plan.endsOn},
              ${plan.billDuringHold}, ${plan.scheduleId}, ${plan.idempotencyKey}, ${plan.requestHash})
      ON CONFLICT (idempotency_key) DO NOTHING
      RETURNING ${COLUMNS(tx as unknown as Sql)}`;
    if (!row) return null;
    await tx`INSERT INTO audit_log (entity_type, entity_id, action, actor, data)
             VALUES ('recurring_plan', ${plan.id}, 'recurring_plan.created', ${actor},
                     ${tx.json({ customerId: plan.customerId, interval: plan.interval, timeZone: plan.timeZone } as never)})`;
    await after();
    return row;
  });
}

export async function findRecurringPlan(sql: Sql, id: string): Promise<RecurringPlanRow | undefined> {
  const [row] = await sql<RecurringPlanRow[]>`SELECT ${COLUMNS(sql)} FROM recurring_plans WHERE id = ${id}`;
  return row;
}

export async function findRecurringPlanByIdempotencyKey(sql: Sql, key: string): Promise<RecurringPlanRow | undefined> {
  const [row] = await sql<RecurringPlanRow[]>`SELECT ${COLUMNS(sql)} FROM recurring_plans WHERE idempotency_key = ${key}`;
  return row;
}

export async function listRecurringPlans(sql: Sql, filter: { customerId?: string; limit: number }): Promise<RecurringPlanRow[]> {
  return sql<RecurringPlanRow[]>`
    SELECT ${COLUMNS(sql)} FROM recurring_plans
    WHERE status <> 'deleted' AND ${filter.customerId ? sql`customer_id = ${filter.customerId}` : sql`true`}
    ORDER BY created_at DESC LIMIT ${filter.limit}`;
}

/**
 * Moves a plan to `status` and audits it, running `apply` (the schedule change) in the same
 * transaction; the row stays locked meanwhile, so concurrent pause/resume/delete serialize.
 */
export async function changeRecurringPlanStatus(
  sql: Sql,
  id: string,
  status: PlanStatus,
  o: { actor: string; reason: string | null },
  apply: (current: RecurringPlanRow) => Promise<void>,
): Promise<RecurringPlanRow | undefined> {
  return sql.begin(async (tx) => {
    const [current] = await tx<
      RecurringPlanRow[]
    >`SELECT ${COLUMNS(tx as unknown as Sql)} FROM recurring_plans WHERE id = ${id} FOR UPDATE`;
    if (!current) return undefined;
    await apply(current);
    if (current.status === status) return current;
    const [row] = await tx<RecurringPlanRow[]>`
      UPDATE recurring_plans SET status = ${status}, updated_at = now() WHERE id = ${id} RETURNING ${COLUMNS(tx as unknown as Sql)}`;
    await tx`INSERT INTO audit_log (entity_type, entity_id, action, actor, reason, data)
             VALUES ('recurring_plan', ${id}, ${'recurring_plan.' + status}, ${o.actor}, ${o.reason}, ${tx.json({ from: current.status })})`;
    return row;
  });
}
