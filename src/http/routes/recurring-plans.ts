import { actorOf } from '../principal';
import { Router, type Request } from 'express';
import { z } from 'zod';
import { listInvoices } from '../../db/invoices';
import { findRecurringPlan, listRecurringPlans, type RecurringPlanRow } from '../../db/recurring-plans';
import { DomainError, ErrorCode } from '../../domain/errors';
import { lineTotalCents } from '../../domain/money';
import { createRecurringPlan, createRecurringPlanSchema } from '../../services/create-recurring-plan';
import {
  backfillRecurringPlan,
  backfillSchema,
  deleteRecurringPlan,
  pauseRecurringPlan,
  planReasonSchema,
  resumeRecurringPlan,
} from '../../services/manage-recurring-plan';
import { CATCHUP_WINDOW, describePlanSchedule, type ScheduleSummary } from '../../temporal/recurring-schedules';
import type { HttpContext } from '../context';
import { parseBody, parseValue } from '../errors';
import { uuidParam } from './params';
import { singleLine } from '../../domain/input';

const listQuery = z.object({ customerId: z.uuid().optional(), limit: z.coerce.number().int().min(1).max(500).default(100) });
const idempotencyKey = singleLine(255).optional();

/** Recurring plans: each is a Temporal Schedule issuing one invoice per billing period. */
export function recurringPlanRoutes(ctx: HttpContext): Router {
  const router = Router();
  const deps = { sql: ctx.sql, client: ctx.client, taskQueue: ctx.taskQueue, now: ctx.now };

  const present = (plan: RecurringPlanRow, schedule?: ScheduleSummary | null) => ({
    id: plan.id,
    customerId: plan.customerId,
    status: plan.status,
    currency: plan.currency,
    lines: plan.lines,
    totalCents: plan.lines.reduce((sum, l) => sum + lineTotalCents(l.quantity, l.unitAmountCents), 0),
    policy: plan.policyName,
    interval: plan.interval,
    hour: plan.hour,
    timeZone: plan.timeZone,
    startsOn: plan.startsOn,
    endsOn: plan.endsOn,
    catchupWindow: CATCHUP_WINDOW,
    scheduleId: plan.scheduleId,
    temporalUrl: `${ctx.temporalUiUrl}/namespaces/${encodeURIComponent(ctx.namespace)}/schedules/${encodeURIComponent(plan.scheduleId)}`,
    createdAt: plan.createdAt.toISOString(),
    ...(schedule !== undefined ? { schedule } : {}),
  });

  async function load(req: Request): Promise<RecurringPlanRow> {
    const id = uuidParam(req.params.id, 'recurring plan');
    const plan = await findRecurringPlan(ctx.sql, id);
    if (!plan) throw new DomainError(ErrorCode.NOT_FOUND, `recurring plan ${id} does not exist`);
    return plan;
  }

  router.post('/', async (req, res) => {
    const key = parseValue(idempotencyKey, req.get('idempotency-key'), 'Idempotency-Key');
    const input = parseBody(createRecurringPlanSchema, req.body);
    const { plan, created } = await createRecurringPlan(deps, input, { actor: actorOf(res), ...(key ? { idempotencyKey: key } : {}) });
    res.status(created ? 201 : 200).json(present(plan, await describePlanSchedule(ctx.client, plan.scheduleId)));
  });

  router.get('/', async (req, res) => {
    const filter = parseBody(listQuery, req.query);
    const plans = await listRecurringPlans(ctx.sql, {
      limit: filter.limit,
      ...(filter.customerId ? { customerId: filter.customerId } : {}),
    });
    res.json({ plans: plans.map((p) => present(p)) });
  });

  /** The plan, its schedule as Temporal sees it (paused, next and recent firings) and its invoices. */
  router.get('/:id', async (req, res) => {
    const plan = await load(req);
    const schedule = plan.status === 'deleted' ? null : await describePlanSchedule(ctx.client, plan.scheduleId);
    const invoices = await listInvoices(ctx.sql, { recurringPlanId: plan.id, limit: 100 });
    res.json({
      ...present(plan, schedule),
      invoices: invoices.map((i) => ({
        id: i.id,
        number: i.number,
        billingPeriod: i.billingPeriod,
        status: i.status,
        totalCents: i.totalCents,
        issueDate: i.issueDate,
      })),
    });
  });

  router.post('/:id/pause', async (req, res) => {
    const id = (await load(req)).id;
    const { reason } = parseBody(planReasonSchema, req.body);
    res.json(present(await pauseRecurringPlan(deps, id, { actor: actorOf(res), reason })));
  });
  router.post('/:id/resume', async (req, res) => {
    const id = (await load(req)).id;
    const { reason } = parseBody(planReasonSchema, req.body);
    res.json(present(await resumeRecurringPlan(deps, id, { actor: actorOf(res), reason })));
  });
  router.delete('/:id', async (req, res) => {
    const id = (await load(req)).id;
    res.json(present(await deleteRecurringPlan(deps, id, { actor: actorOf(res) })));
  });
  /** Bills the periods of past local dates whose invoices are missing (202: the firings run on Temporal). */
  router.post('/:id/backfill', async (req, res) => {
    const id = (await load(req)).id;
    const range = parseBody(backfillSchema, req.body);
    res.status(202).json(present(await backfillRecurringPlan(deps, id, range)));
  });
  return router;
}
