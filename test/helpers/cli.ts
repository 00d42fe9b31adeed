import { runCli } from '../../src/cli';
import { TEST_TOKEN, type ApiHarness } from './api';

/**
 * Runs `npm run cli -- …` in-process against a test API; captures its output, errors and progress
 * (a non-terminal stream, so the bar prints lines).
 */
export async function runTestCli(
  api: ApiHarness,
  dataDir: string,
  args: string[],
  o: { env?: Record<string, string>; pollMs?: number } = {},
) {
  const out: string[] = [];
  const err: string[] = [];
  const progress: string[] = [];
  const code = await runCli(args, {
    env: { API: api.url, TOKEN: TEST_TOKEN, DATA_DIR: dataDir, ...o.env },
    out: (t) => void out.push(t),
    err: (t) => void err.push(t),
    progress: { isTTY: false, write: (chunk: string | Uint8Array) => progress.push(String(chunk)) > 0 },
    pollMs: o.pollMs ?? 50,
  });
  return { code, out: out.join('\n'), err: err.join('\n'), progress: progress.join('') };
}
