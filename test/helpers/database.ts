import { randomBytes } from 'node:crypto';
import { createSql, type Sql } from '../../src/db/client';
import { migrate } from '../../src/db/migrate';
import { seedPolicy } from '../../src/db/policies';
import { STANDARD_POLICY } from '../../src/domain/policy';

export interface TestDatabase {
  readonly sql: Sql;
  readonly url: string;
  drop(): Promise<void>;
}

/** A fresh, migrated database (with the standard policy seeded) for one test file. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const adminUrl = process.env.TEST_DATABASE_URL;
  if (!adminUrl) throw new Error('TEST_DATABASE_URL is not set (jest globalSetup starts a server)');
  const name = `test_${randomBytes(6).toString('hex')}`;
  const admin = createSql(adminUrl, { max: 1 });
  await admin.unsafe(`CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const sql = createSql(url.toString());
  await migrate(sql);
  await seedPolicy(sql, STANDARD_POLICY);
  return {
    sql,
    url: url.toString(),
    async drop() {
      await sql.end({ timeout: 5 });
      await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end({ timeout: 5 });
    },
  };
}
