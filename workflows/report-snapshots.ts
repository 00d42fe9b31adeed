import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { SnapshotRefresh } from './messages';

const { refreshReportSnapshots } = proxyActivities<Activities>({
  startToCloseTimeout: '1 hour',
  heartbeatTimeout: '2 minutes',
  retry: { initialInterval: '10 seconds', maximumInterval: '10 minutes', maximumAttempts: 5 },
});

/**
 * The daily upkeep of the report snapshots, started by the `report-snapshots` Schedule: stores the
 * day that has just ended everywhere, re-takes what back-dated writes invalidated, and prunes. A
 * missed or failed run loses nothing — readers take any snapshot they need themselves.
 */
export async function reportSnapshotsWorkflow(): Promise<SnapshotRefresh> {
  return refreshReportSnapshots();
}
