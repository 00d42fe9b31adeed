import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

export interface ServerProcess {
  readonly url: string;
  readonly pid: number | undefined;
  stop(): Promise<void>;
}

/** A TCP port nothing listens on now (for a server about to start). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

/**
 * Starts `node <script>` with PORT set and waits until its `/health` answers 200 (or, with
 * `health: false`, for a process that serves no HTTP, only that it is still running after a moment).
 */
export async function startServerProcess(
  script: string,
  env: Record<string, string>,
  timeoutMs = 60_000,
  o: { health?: boolean; nodeArgs?: readonly string[] } = {},
): Promise<ServerProcess> {
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, [...(o.nodeArgs ?? []), script], {
    env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + timeoutMs;
  if (o.health === false) {
    await new Promise((r) => setTimeout(r, 2_000));
    if (child.exitCode !== null) throw new Error(`${script} exited with code ${child.exitCode}`);
  }
  for (; o.health !== false;) {
    if (child.exitCode !== null) throw new Error(`${script} exited with code ${child.exitCode}`);
    const ok = await fetch(`${url}/health`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${script} did not become healthy within ${timeoutMs} ms`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    pid: child.pid,
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}
