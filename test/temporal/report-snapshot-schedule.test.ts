import type { SnapshotRefresh } from '../../workflows/messages';
import { ensureReportSnapshotSchedule, REPORT_SNAPSHOTS_SCHEDULE_ID } from '../../src/temporal/report-snapshot-schedule';
import { eventually } from '../helpers/eventually';
import { recordHistory } from '../helpers/histories';
import { ledgerWriter } from '../helpers/ledger';
import { useStack } from '../helpers/stack';

// Schedules run on the real dev server; a trigger runs the daily upkeep now, through the real workers.
const stack = useStack('dev-server');
const schedule = () => stack.env.client.schedule.getHandle(REPORT_SNAPSHOTS_SCHEDULE_ID);

it('every worker start creates or updates the daily schedule, keeping a pause ops set', async () => {
  expect(await ensureReportSnapshotSchedule(stack.env.client, stack.workers.taskQueue)).toBe('created');
  const created = await schedule().describe();
  expect(created.action).toMatchObject({
    type: 'startWorkflow',
    workflowType: 'reportSnapshotsWorkflow',
    taskQueue: stack.workers.taskQueue,
  });
  expect(created.spec.timezone).toBe('UTC');
  const next = created.info.nextActionTimes[0]!;
  expect([next.getUTCHours(), next.getUTCMinutes()]).toEqual([12, 30]);
  expect(next.getTime() - Date.now()).toBeLessThanOrEqual(86_400_000);

  await schedule().pause('paused by ops');
  expect(await ensureReportSnapshotSchedule(stack.env.client, stack.workers.taskQueue)).toBe('updated');
  expect((await schedule().describe()).state).toMatchObject({ paused: true, note: 'paused by ops' });
  await schedule().unpause();
});

it('a firing stores the days over and the next one finds nothing to do', async () => {
  const ledger = ledgerWriter(stack.db.sql);
  const customer = await ledger.customer('Globex', 'America/New_York', 'USD');
  await ledger.invoice(customer, 'USD', 25_000, '2026-08-03', '2026-09-02T23:00:00Z');

  const run = async (): Promise<SnapshotRefresh> => {
    const before = (await schedule().describe()).info.recentActions.length;
    await schedule().trigger();
    const action = await eventually(async () => {
      const recent = (await schedule().describe()).info.recentActions;
      expect(recent.length).toBeGreaterThan(before);
      return recent[recent.length - 1]!;
    });
    return stack.env.client.workflow.getHandle(action.action.workflow.workflowId).result();
  };

  const first = await run();
  expect(first.agingTaken).toContain('2026-08-31');
  expect(first.flowDays).toBeGreaterThan(90);
  const [stored] = await stack.db.sql<
    { cents: number }[]
  >`SELECT sum(amount_cents)::int AS cents FROM aging_snapshot_lines WHERE as_of = '2026-08-31'`;
  expect(stored!.cents).toBe(25_000);
  expect(await run()).toEqual({ agingTaken: [], flowDays: 0, pruned: 0 });

  const recent = (await schedule().describe()).info.recentActions;
  await recordHistory(stack.env.client.workflow.getHandle(recent[0]!.action.workflow.workflowId), 'report-snapshots-refresh');
});
