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
  const bytes = History.encode(History.fromObject(await handle.fetchHistory())).finish();
  await writeFile(path.join(HISTORIES_DIR, `${name}.history.bin`), bytes);
}

export function decodeHistory(bytes: Uint8Array): temporal.api.history.v1.History {
  return History.decode(bytes);
}
