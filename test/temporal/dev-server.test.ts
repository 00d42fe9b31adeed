import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../../scripts/bench/processes';

// `npm start`'s local server, in a process with the engine's tracing variables set: the Temporal
// server reads OTEL_* too, and refused to start on `OTEL_TRACES_EXPORTER=console` before the
// launcher kept them from it. A child process, because jest's `process.env` is not the real one.
it('starts the local dev server whatever the engine’s OTEL_* settings, and leaves them as they were', async () => {
  const root = path.join(__dirname, '..', '..');
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [
      '-r',
      path.join(root, 'test', 'helpers', 'ts-register.cjs'),
      path.join(__dirname, 'fixtures', 'start-dev-server.ts'),
      String(await freePort()),
      String(await freePort()),
    ],
    {
      cwd: root,
      env: { ...process.env, OTEL_TRACES_EXPORTER: 'console', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:1' },
      timeout: 60_000,
    },
  );
  expect(JSON.parse(stdout.trim().split('\n').at(-1)!)).toEqual({ codec: 'http://localhost:3000/codec', otel: 'console' });
}, 90_000);
