import { mkdir } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { describeExecutable, devServerExecutable } from './binaries';
import { SEARCH_ATTRIBUTES } from './search-attributes';

/**
 * The dev server's SQLite file in write-ahead-log mode, synced at checkpoints rather than on every
 * commit: survives a crash of any process (only a power cut can lose the last commits, which the
 * idempotent activities redo). Its default (rollback journal, fsync per commit) spent a third of the
 * machine waiting on the disk and halved throughput (see BENCHMARKS.md, bench:scale).
 */
export const DEV_SERVER_SQLITE_ARGS: readonly string[] = ['--sqlite-pragma', 'journal_mode=wal', '--sqlite-pragma', 'synchronous=normal'];

export interface LocalTemporal {
  readonly address: string;
  readonly uiUrl: string;
  readonly binary: string;
  stop(): Promise<void>;
}

/**
 * Runs the Temporal CLI dev server with a SQLite file under `dataDir` (history survives restarts),
 * the Web UI and our search attributes. The binary comes from TEMPORAL_CLI_PATH, then PATH; when
 * neither has one, the SDK downloads it (machines with internet).
 */
export async function startLocalTemporal(o: {
  dataDir: string;
  port: number;
  uiPort: number;
  namespace: string;
  /** The codec server the UI decrypts payloads through (the API's `/codec`), when payloads are encrypted. */
  codecEndpoint?: string;
}): Promise<LocalTemporal> {
  if (await isListening(o.port)) {
    throw new Error(`port ${o.port} is already in use; stop that server, set TEMPORAL_PORT, or set TEMPORAL_ADDRESS to use it`);
  }
  await mkdir(o.dataDir, { recursive: true });
  const executable = devServerExecutable();
  const env = await withoutOpenTelemetryEnv(() =>
    TestWorkflowEnvironment.createLocal({
      server: {
        executable,
        dbFilename: path.join(o.dataDir, 'temporal.sqlite'),
        ip: '127.0.0.1',
        port: o.port,
        ui: true,
        uiPort: o.uiPort,
        namespace: o.namespace,
        searchAttributes: [...SEARCH_ATTRIBUTES],
        extraArgs: ['--log-level', 'warn', ...DEV_SERVER_SQLITE_ARGS, ...(o.codecEndpoint ? ['--ui-codec-endpoint', o.codecEndpoint] : [])],
      },
    }),
  );
  return {
    address: env.address,
    uiUrl: `http://localhost:${o.uiPort}`,
    binary: describeExecutable(executable),
    stop: () => env.teardown(),
  };
}

/**
 * Runs `start` with the `OTEL_*` variables out of the environment: the Temporal server reads them
 * too, and refuses to start on values that are the engine's (`OTEL_TRACES_EXPORTER=console`). The
 * engine's tracing was configured from them before; the local server's own traces stay off.
 */
async function withoutOpenTelemetryEnv<T>(start: () => Promise<T>): Promise<T> {
  const saved = Object.entries(process.env).filter(([k]) => k.startsWith('OTEL_'));
  for (const [k] of saved) delete process.env[k];
  try {
    return await start();
  } finally {
    for (const [k, v] of saved) process.env[k] = v;
  }
}

function isListening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
