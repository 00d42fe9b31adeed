import { findPolicyVersion, insertPolicyVersion, listPolicyVersions, seedPolicy } from '../../src/db/policies';
import { EARLIER_STANDARD_POLICIES, STANDARD_POLICY } from '../../src/domain/policy';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { expectLedgerConsistent } from '../helpers/ledger-check';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  try {
    if (db) await expectLedgerConsistent(db.sql);
  } finally {
    await db?.drop();
  }
});
beforeEach(async () => {
  await db.sql`DELETE FROM policies WHERE name = 'standard'`;
});

describe('seeding the standard policy', () => {
  it('a new install gets the current default, with its business-hours window, as version 1', async () => {
    await seedPolicy(db.sql, STANDARD_POLICY, EARLIER_STANDARD_POLICIES);
    const v1 = await findPolicyVersion(db.sql, 'standard');
    expect(v1).toMatchObject({ version: 1, sendWindow: { days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '09:00', end: '17:00' } });
  });

  it('an install still on an earlier default gets the current one as its next version, once', async () => {
    await db.sql`INSERT INTO policies (name, version, document) VALUES ('standard', 1, ${db.sql.json(EARLIER_STANDARD_POLICIES[0] as never)})`;
    await seedPolicy(db.sql, STANDARD_POLICY, EARLIER_STANDARD_POLICIES);
    await seedPolicy(db.sql, STANDARD_POLICY, EARLIER_STANDARD_POLICIES);
    expect((await listPolicyVersions(db.sql, 'standard')).map((v) => v.version)).toEqual([1, 2]);
    expect((await findPolicyVersion(db.sql, 'standard'))!.sendWindow).toEqual(STANDARD_POLICY.sendWindow);
    expect((await findPolicyVersion(db.sql, 'standard', 1))!.sendWindow).toBeUndefined(); // running invoices keep theirs
  });

  it('a standard policy someone edited is left as it is', async () => {
    await db.sql`INSERT INTO policies (name, version, document) VALUES ('standard', 1, ${db.sql.json(EARLIER_STANDARD_POLICIES[0] as never)})`;
    await insertPolicyVersion(db.sql, { ...EARLIER_STANDARD_POLICIES[0]!, description: 'Ours, gentler' });
    await seedPolicy(db.sql, STANDARD_POLICY, EARLIER_STANDARD_POLICIES);
    expect((await listPolicyVersions(db.sql, 'standard')).map((v) => v.version)).toEqual([1, 2]);
    expect((await findPolicyVersion(db.sql, 'standard'))!.description).toBe('Ours, gentler');
  });
});
