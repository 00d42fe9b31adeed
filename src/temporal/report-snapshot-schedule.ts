import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client, type ScheduleOptions } from '@temporalio/client';
import type { reportSnapshotsWorkflow } from '../../workflows';

export const REPORT_SNAPSHOTS_SCHEDULE_ID = 'report-snapshots';

/**
 * Daily at 12:30 UTC: half an hour after midnight at UTC−12, when the day before yesterday (UTC)
 * has ended in every zone and `refreshReportSnapshots` can store it.
 */
export function reportSnapshotScheduleOptions(taskQueue: string): ScheduleOptions {
  return {
    scheduleId: REPORT_SNAPSHOTS_SCHEDULE_ID,
    spec: { calendars: [{ hour: 12, minute: 30, comment: 'after the day before yesterday has ended everywhere' }], timezone: 'UTC' },
    action: {
      type: 'startWorkflow',
      workflowType: 'reportSnapshotsWorkflow' satisfies (typeof reportSnapshotsWorkflow)['name'],
      workflowId: 'report-snapshots',
      taskQueue,
      args: [],
      staticSummary: 'Daily upkeep of the aging and KPI report snapshots',
    },
    // One run at a time; a run missed while Temporal was down is taken within a day, and later ones
    // are not needed (each run catches up on every day).
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 day', pauseOnFailure: false },
    state: { note: 'created by the collections engine worker' },
  };
}

/**
 * Creates the report-snapshots Schedule, or brings an existing one to this version's definition
 * (every worker calls it at start; a paused schedule stays paused).
 */
export async function ensureReportSnapshotSchedule(client: Client, taskQueue: string): Promise<'created' | 'updated'> {
  const options = reportSnapshotScheduleOptions(taskQueue);
  try {
    await client.schedule.create(options);
    return 'created';
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
  }
  await client.schedule.getHandle(options.scheduleId).update((previous) => ({
    spec: options.spec,
    action: options.action,
    policies: options.policies,
    state: { paused: previous.state.paused, ...(previous.state.note !== undefined ? { note: previous.state.note } : {}) },
  }));
  return 'updated';
}
