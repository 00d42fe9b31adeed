import { Client, Connection, ScheduleNotFoundError } from '@temporalio/client';
import { DateTime } from 'luxon';
import { createCustomer, createCustomerSchema } from '../../src/services/create-customer';
import { startApi, type ApiHarness } from '../helpers/api';
import { eventually } from '../helpers/eventually';
import { recordHistory } from '../helpers/histories';
import { useStack } from '../helpers/stack';
import { startWorkers } from '../helpers/temporal';

// Schedules run on the real dev server (the time-skipping server has none). Firings in the past
// are made with backfills, which Temporal runs exactly as the firings it would have taken.
const stack = useStack('dev-server');
let api: ApiHarness;
let customerId: string;

beforeAll(async () => {
  api = await startApi(stack.db, stack.env, stack.workers.taskQueue);
  const customer = await createCustomer(
    stack.db.sql,
    createCustomerSchema.parse({ name: 'Initech', email: 'ap@initech.test', timeZone: 'America/Chicago', currency: 'USD' }),
    'test',
  );
  customerId = customer.id;
});
afterAll(async () => {
  await api?.close();
});

const planBody = (o: Record<string, unknown> = {}) => ({
  customerId,
  lines: [
    { description: 'Hosting', quantity: 1, unitAmountCents: 49_900 },
    { description: 'Support seats', quantity: 3, unitAmountCents: 1_000 },
  ],
  interval: { every: 'month', dayOfMonth: 1 },
  ...o,
});
const counts = async () => {
  const [row] = await stack.db.sql<{ plans: number; invoices: number }[]>`
    SELECT (SELECT count(*)::int FROM recurring_plans) AS plans, (SELECT count(*)::int FROM invoices) AS invoices`;
  return row!;
};
const planInvoices = (planId: string) =>
  stack.db.sql<{ id: string; billingPeriod: string; workflowStarted: boolean; totalCents: string }[]>`
    SELECT id, billing_period AS "billingPeriod", workflow_started AS "workflowStarted", total_cents AS "totalCents"
    FROM invoices WHERE recurring_plan_id = ${planId} ORDER BY billing_period`;
const chicagoMonth = (monthsAgo: number) => DateTime.now().setZone('America/Chicago').minus({ months: monthsAgo });

describe('creating a plan', () => {
  it.each([
    ['no interval', { interval: undefined }, 'interval'],
    ['day 0', { interval: { every: 'month', dayOfMonth: 0 } }, 'interval.dayOfMonth'],
    ['an unknown weekday', { interval: { every: 'week', dayOfWeek: 'funday' } }, 'interval.dayOfWeek'],
    ['hour 24', { hour: 24 }, 'hour'],
    ['a made-up zone', { timeZone: 'Mars/Olympus' }, 'timeZone'],
    ['an end before the start', { startsOn: '2027-02-01', endsOn: '2027-01-01' }, 'endsOn'],
    ['no lines', { lines: [] }, 'lines'],
    ['a fractional amount', { lines: [{ description: 'x', quantity: 1, unitAmountCents: 9.99 }] }, 'lines.0.unitAmountCents'],
    ['an unknown field', { every: 'month' }, ''],
  ])('refuses %s with 400 and creates nothing', async (_name, change, field) => {
    const before = await counts();
    const res = await api.request('POST', '/api/recurring-plans', { body: planBody(change) });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('VALIDATION');
    if (field) expect(res.body.error.field).toBe(field);
    expect(await counts()).toEqual(before);
  });

  it('refuses an unknown customer (404) and an unknown policy (400)', async () => {
    const missing = await api.request('POST', '/api/recurring-plans', {
      body: planBody({ customerId: '00000000-0000-4000-8000-000000000000' }),
    });
    expect(missing.status).toBe(404);
    const policy = await api.request('POST', '/api/recurring-plans', { body: planBody({ policy: 'nope' }) });
    expect(policy.status).toBe(400);
    expect(policy.body.error.field).toBe('policy');
    expect((await counts()).plans).toBe(0);
  });

  it('creates the plan with a Temporal Schedule in the plan time zone, month ends clamped', async () => {
    const res = await api.request('POST', '/api/recurring-plans', {
      body: planBody({ interval: { every: 'month', dayOfMonth: 31 }, hour: 7 }),
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      status: 'active',
      timeZone: 'America/Chicago',
      currency: 'USD',
      totalCents: 52_900,
      catchupWindow: '7 days',
    });
    expect(res.body.temporalUrl).toBe(`http://localhost:8233/namespaces/default/schedules/recurring-plan-${res.body.id}`);

    const d = await stack.env.client.schedule.getHandle(res.body.scheduleId).describe();
    expect(d.spec.timezone).toBe('America/Chicago');
    expect(d.policies).toMatchObject({ overlap: 'ALLOW_ALL', catchupWindow: 7 * 24 * 3600 * 1000 });
    expect(d.action).toMatchObject({ workflowType: 'recurringInvoiceWorkflow', taskQueue: stack.workers.taskQueue });

    // The next firings are each month's 31st, or its last day, at 07:00 in Chicago.
    expect(res.body.schedule.nextRuns.length).toBeGreaterThanOrEqual(3);
    for (const run of res.body.schedule.nextRuns as string[]) {
      const local = DateTime.fromISO(run, { zone: 'America/Chicago' });
      expect([local.hour, local.minute]).toEqual([7, 0]);
      expect(local.day).toBe(local.daysInMonth);
    }
  });

  it('answers 503 and stores no plan when Temporal cannot create the schedule', async () => {
    const nowhere = new Client({ connection: Connection.lazy({ address: '127.0.0.1:1' }) });
    const offline = await startApi(stack.db, stack.env, stack.workers.taskQueue, { client: nowhere });
    try {
      const before = await counts();
      const res = await offline.request('POST', '/api/recurring-plans', { body: planBody() });
      expect(res.status).toBe(503);
      expect(res.body.error.code).toBe('SCHEDULER_UNAVAILABLE');
      expect(await counts()).toEqual(before);
    } finally {
      await offline.close();
    }
  }, 30_000);

  it('returns the same plan for a repeated Idempotency-Key and refuses another body under it', async () => {
    const headers = { 'idempotency-key': 'plan-create-1' };
    const first = await api.request('POST', '/api/recurring-plans', { body: planBody(), headers });
    const again = await api.request('POST', '/api/recurring-plans', { body: planBody(), headers });
    expect([first.status, again.status]).toEqual([201, 200]);
    expect(again.body.id).toBe(first.body.id);
    const other = await api.request('POST', '/api/recurring-plans', { body: planBody({ hour: 3 }), headers });
    expect(other.status).toBe(409);
    expect(other.body.error.code).toBe('IDEMPOTENCY_CONFLICT');
  });
});

describe('firings', () => {
  it('bills each missed period once through a backfill, and a second backfill bills nothing', async () => {
    const { body: plan } = await api.request('POST', '/api/recurring-plans', { body: planBody() });
    const from = chicagoMonth(3).startOf('month');
    const to = chicagoMonth(1).endOf('month');
    const range = { from: from.toISODate(), to: to.toISODate() };
    const res = await api.request('POST', `/api/recurring-plans/${plan.id}/backfill`, { body: range });
    expect(res.status).toBe(202);

    const expected = [3, 2, 1].map((m) => chicagoMonth(m).toFormat('yyyy-LL'));
    const invoices = await eventually(async () => {
      const rows = await planInvoices(plan.id);
      expect(rows.map((r) => r.billingPeriod)).toEqual(expected);
      expect(rows.every((r) => r.workflowStarted)).toBe(true);
      return rows;
    }, 30_000);
    expect(invoices.every((r) => Number(r.totalCents) === 52_900)).toBe(true);
    // Each invoice runs its own dunning workflow.
    const d = await stack.env.client.workflow.getHandle(`invoice-${invoices[0]!.id}`).describe();
    expect(d.status.name).toBe('RUNNING');

    // (Firings are named by their nominal time: a period's firing can run again once the first has ended.)
    await waitForFirings(plan.scheduleId, 3);
    const again = await api.request('POST', `/api/recurring-plans/${plan.id}/backfill`, { body: range });
    expect(again.status).toBe(202);
    await eventually(async () => {
      const d = await stack.env.client.schedule.getHandle(plan.scheduleId).describe();
      expect(d.info.recentActions.length).toBe(6);
    }, 30_000);
    await waitForFirings(plan.scheduleId);
    expect((await planInvoices(plan.id)).map((r) => r.billingPeriod)).toEqual(expected);

    const [firing] = (await stack.env.client.schedule.getHandle(plan.scheduleId).describe()).info.recentActions;
    await recordHistory(stack.env.client.workflow.getHandle(firing!.action.workflow.workflowId), 'recurring-firing-issued');
    const shown = await api.request('GET', `/api/recurring-plans/${plan.id}`);
    expect(shown.body.invoices.map((i: { billingPeriod: string }) => i.billingPeriod).sort()).toEqual(expected);
  });

  it('bills the current period once however often it fires', async () => {
    const { body: plan } = await api.request('POST', '/api/recurring-plans', {
      body: planBody({ interval: { every: 'week', dayOfWeek: 'monday' } }),
    });
    const handle = stack.env.client.schedule.getHandle(plan.scheduleId);
    await handle.trigger();
    // Firings are named by the second they are taken; a second one in the same second would be refused.
    await new Promise((r) => setTimeout(r, 1_100));
    await handle.trigger();
    await eventually(async () => expect((await handle.describe()).info.recentActions.length).toBe(2), 30_000);
    await waitForFirings(plan.scheduleId);
    const rows = await planInvoices(plan.id);
    expect(rows.map((r) => r.billingPeriod)).toEqual([DateTime.now().setZone('America/Chicago').toFormat("kkkk-'W'WW")]);
  });

  it('issues the firings taken while the workers were down once they return', async () => {
    const { body: plan } = await api.request('POST', '/api/recurring-plans', { body: planBody() });
    const taskQueue = stack.workers.taskQueue;
    await stack.workers.stop();
    const handle = stack.env.client.schedule.getHandle(plan.scheduleId);
    await handle.backfill({
      start: chicagoMonth(2).startOf('month').toJSDate(),
      end: chicagoMonth(2).endOf('month').toJSDate(),
      overlap: 'ALLOW_ALL',
    });
    await eventually(async () => expect((await handle.describe()).info.recentActions.length).toBe(1), 30_000);
    expect(await planInvoices(plan.id)).toEqual([]);

    stack.workers = await startWorkers(stack.env, stack.db.sql, { taskQueue });
    await eventually(
      async () => expect((await planInvoices(plan.id)).map((r) => r.billingPeriod)).toEqual([chicagoMonth(2).toFormat('yyyy-LL')]),
      30_000,
    );
  });
});

describe('credit hold', () => {
  it('a firing for a customer on hold issues nothing and says why, unless the plan bills during a hold', async () => {
    const held = await createCustomer(
      stack.db.sql,
      createCustomerSchema.parse({ name: 'Held Co', email: 'ap@held.test', timeZone: 'America/Chicago', currency: 'USD' }),
      'test',
    );
    expect((await api.request('POST', `/api/customers/${held.id}/credit-hold`, { body: { reason: 'unpaid since June' } })).status).toBe(
      201,
    );
    const fire = async (o: Record<string, unknown>) => {
      const { body: plan } = await api.request('POST', '/api/recurring-plans', { body: planBody({ customerId: held.id, ...o }) });
      const handle = stack.env.client.schedule.getHandle(plan.scheduleId);
      await handle.trigger();
      await waitForFirings(plan.scheduleId, 1);
      const [firing] = (await handle.describe()).info.recentActions;
      return { plan, result: await stack.env.client.workflow.getHandle(firing!.action.workflow.workflowId).result() };
    };
    const skipped = await fire({});
    expect(skipped.result).toMatchObject({ status: 'skipped', invoiceId: null });
    expect(skipped.result.reason).toContain('unpaid since June');
    expect(await planInvoices(skipped.plan.id)).toEqual([]);

    const billing = await fire({ billDuringHold: true });
    expect(billing.result).toMatchObject({ status: 'issued' });
    const [invoice] = await planInvoices(billing.plan.id);
    const [override] = await stack.db
      .sql`SELECT reason FROM audit_log WHERE entity_id = ${invoice!.id} AND action = 'invoice.credit_override'`;
    expect(override!.reason).toBe('the recurring plan bills during a credit hold');
  });
});

describe('pause, resume, delete', () => {
  it('a paused plan does not fire and bills nothing even when triggered; resuming restarts it', async () => {
    const { body: plan } = await api.request('POST', '/api/recurring-plans', { body: planBody() });
    const handle = stack.env.client.schedule.getHandle(plan.scheduleId);
    const paused = await api.request('POST', `/api/recurring-plans/${plan.id}/pause`, { body: { reason: 'customer on holiday' } });
    expect(paused.status).toBe(200);
    expect(paused.body.status).toBe('paused');
    const d = await handle.describe();
    expect(d.state).toMatchObject({ paused: true, note: 'paused by api: customer on holiday' });
    expect((await api.request('POST', `/api/recurring-plans/${plan.id}/pause`)).body.status).toBe('paused');

    // A firing that starts anyway (a manual trigger) finds the plan paused and issues nothing.
    await handle.trigger();
    await waitForFirings(plan.scheduleId, 1);
    const [firing] = (await handle.describe()).info.recentActions;
    const result = await stack.env.client.workflow.getHandle(firing!.action.workflow.workflowId).result();
    expect(result).toMatchObject({ status: 'skipped', reason: 'plan is paused' });
    await recordHistory(stack.env.client.workflow.getHandle(firing!.action.workflow.workflowId), 'recurring-firing-skipped');
    expect(await planInvoices(plan.id)).toEqual([]);
    const refused = await api.request('POST', `/api/recurring-plans/${plan.id}/backfill`, {
      body: { from: chicagoMonth(2).toISODate(), to: chicagoMonth(1).toISODate() },
    });
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('PLAN_PAUSED');

    const resumed = await api.request('POST', `/api/recurring-plans/${plan.id}/resume`, { body: {} });
    expect(resumed.body.status).toBe('active');
    expect((await handle.describe()).state.paused).toBe(false);
    const audit = await stack.db
      .sql`SELECT action, reason FROM audit_log WHERE entity_type = 'recurring_plan' AND entity_id = ${plan.id} ORDER BY id`;
    expect(audit.map((a) => a.action)).toEqual(['recurring_plan.created', 'recurring_plan.paused', 'recurring_plan.active']);
  });

  it('deleting removes the schedule, keeps the plan as deleted and refuses further changes', async () => {
    const { body: plan } = await api.request('POST', '/api/recurring-plans', { body: planBody() });
    const del = await api.request('DELETE', `/api/recurring-plans/${plan.id}`);
    expect(del.status).toBe(200);
    expect(del.body.status).toBe('deleted');
    await expect(stack.env.client.schedule.getHandle(plan.scheduleId).describe()).rejects.toBeInstanceOf(ScheduleNotFoundError);
    expect((await api.request('DELETE', `/api/recurring-plans/${plan.id}`)).status).toBe(200);
    const resume = await api.request('POST', `/api/recurring-plans/${plan.id}/resume`);
    expect(resume.status).toBe(409);
    expect(resume.body.error.code).toBe('PLAN_DELETED');
    const shown = await api.request('GET', `/api/recurring-plans/${plan.id}`);
    expect(shown.body).toMatchObject({ status: 'deleted', schedule: null });
    const list = await api.request('GET', `/api/recurring-plans?customerId=${customerId}`);
    expect(list.body.plans.map((p: { id: string }) => p.id)).not.toContain(plan.id);
  });

  it('answers 404 for unknown plans and 400 for bad backfill ranges, changing nothing', async () => {
    const { body: plan } = await api.request('POST', '/api/recurring-plans', { body: planBody() });
    expect((await api.request('POST', '/api/recurring-plans/00000000-0000-4000-8000-000000000000/pause')).status).toBe(404);
    expect((await api.request('GET', '/api/recurring-plans/not-a-uuid')).status).toBe(404);
    const reversed = await api.request('POST', `/api/recurring-plans/${plan.id}/backfill`, {
      body: { from: '2026-09-01', to: '2026-08-01' },
    });
    expect([reversed.status, reversed.body.error.field]).toEqual([400, 'to']);
    const future = await api.request('POST', `/api/recurring-plans/${plan.id}/backfill`, {
      body: { from: DateTime.now().plus({ days: 3 }).toISODate(), to: DateTime.now().plus({ days: 40 }).toISODate() },
    });
    expect([future.status, future.body.error.field]).toEqual([400, 'from']);
    expect((await stack.env.client.schedule.getHandle(plan.scheduleId).describe()).info.recentActions).toEqual([]);
  });
});

/** Waits until every workflow the schedule started has completed. */
/**
 * Waits until the schedule has taken `atLeast` actions and every firing workflow has closed. The
 * schedule's own `runningActions` lags behind its workflows: a firing it no longer lists can still be
 * running, and a backfill firing of the same nominal time (hence the same workflow id) started then
 * is dropped as already started.
 */
async function waitForFirings(scheduleId: string, atLeast = 0): Promise<void> {
  await eventually(async () => {
    const d = await stack.env.client.schedule.getHandle(scheduleId).describe();
    expect(d.info.recentActions.length).toBeGreaterThanOrEqual(atLeast);
    expect(d.info.runningActions).toEqual([]);
    const statuses = await Promise.all(
      d.info.recentActions.map(
        async (a) =>
          (await stack.env.client.workflow.getHandle(a.action.workflow.workflowId, a.action.workflow.firstExecutionRunId).describe()).status
            .name,
      ),
    );
    expect(statuses.filter((s) => s === 'RUNNING')).toEqual([]);
  }, 30_000);
}
