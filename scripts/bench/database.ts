import { randomUUID } from 'node:crypto';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createSql, type Sql } from '../../src/db/client';
import { startEmbeddedPostgres } from '../../src/db/embedded';
import { migrate } from '../../src/db/migrate';
import { seedPolicy } from '../../src/db/policies';
import { STANDARD_POLICY } from '../../src/domain/policy';

export interface BenchDatabase {
  readonly sql: Sql;
  readonly url: string;
  drop(): Promise<void>;
}

/**
 * A fresh, migrated database for one benchmark run: on DATABASE_URL's server, else in an embedded
 * PostgreSQL in a temp dir. `drop()` removes it (and the embedded server).
 */
export async function createBenchDatabase(o: { max?: number } = {}): Promise<BenchDatabase> {
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'bench-'));
  await chmod(tmp, 0o755);
  let stopPg = async () => {};
  let url = process.env.DATABASE_URL;
  if (!url) {
    const pg = await startEmbeddedPostgres({ dir: path.join(tmp, 'pg'), port: 5400 + Math.floor(Math.random() * 90), persistent: false });
    stopPg = () => pg.stop();
    url = pg.url;
  }
  const admin = createSql(url, { max: 1 });
  const dbName = `bench_${randomUUID().slice(0, 8)}`;
  await admin.unsafe(`CREATE DATABASE ${dbName}`);
  const dbUrl = new URL(url);
  dbUrl.pathname = `/${dbName}`;
  const sql = createSql(dbUrl.toString(), { max: o.max ?? 20 });
  await migrate(sql);
  await seedPolicy(sql, STANDARD_POLICY);
  return {
    sql,
    url: dbUrl.toString(),
    async drop() {
      await sql.end();
      await admin.unsafe(`DROP DATABASE ${dbName} WITH (FORCE)`);
      await admin.end();
      await stopPg();
      await rm(tmp, { recursive: true, force: true });
    },
  };
}
