import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { temporal } from '@temporalio/proto';

export const HISTORIES_DIR = path.join(__dirname, '..', 'histories');
const History = temporal.api.history.v1.History;

/**
 * With RECORD_HISTORIES=1, saves the workflow's history under test/histories/<name>.history.bin
 * (protobuf, as the server stores it) for the replay test. Re-record only for a deliberate,
 * patched() workflow change, and commit the result.
 */
export async function recordHistory(handle: { fetchHistory(): Promise<temporal.api.history.v1.IHistory> }, name: string): Promise<void> {
  if (!process.env.RECORD_HISTORIES) return;
  const bytes = History.encode(History.fromObject(settled(await handle.fetchHistory()))).finish();
  await writeFile(path.join(HISTORIES_DIR, `${name}.history.bin`), bytes);
}

const E = temporal.api.enums.v1.EventType;
/** Events a workflow task's completion writes: its commands and messages. */
const COMMAND_EVENTS = new Set([
  E.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED,
  E.EVENT_TYPE_TIMER_STARTED,
  E.EVENT_TYPE_TIMER_CANCELED,
  E.EVENT_TYPE_MARKER_RECORDED,
  E.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES,
  E.EVENT_TYPE_WORKFLOW_PROPERTIES_MODIFIED,
  E.EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED,
  E.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED,
  E.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED,
  E.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED,
  E.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED,
  E.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW,
]);

/**
 * A running workflow's history up to its last completed workflow task (with that task's commands):
 * what came in after it (a signal, an activity's result) would make the replay run on past the
 * recorded end, where activities are not there to run.
 */
function settled(history: temporal.api.history.v1.IHistory): temporal.api.history.v1.IHistory {
  const events = history.events ?? [];
  const lastCompleted = events.map((e) => e.eventType).lastIndexOf(E.EVENT_TYPE_WORKFLOW_TASK_COMPLETED);
  if (lastCompleted === -1) return history;
  let end = lastCompleted + 1;
  while (end < events.length && COMMAND_EVENTS.has(events[end]!.eventType!)) end++;
  return { ...history, events: events.slice(0, end) };
}

export function decodeHistory(bytes: Uint8Array): temporal.api.history.v1.History {
  return History.decode(bytes);
}
