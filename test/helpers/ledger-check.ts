import type { Client } from '@temporalio/client';
import type { Sql } from '../../src/db/client';
import { checkLedger } from '../../src/services/check-ledger';

/**
 * The ledger invariant check over everything a test file wrote: every invoice's workflow against
 * Postgres, and Postgres against the ledger identity. Run after each integration test file (the
 * stack does it), so no test can leave the two apart unnoticed.
 */
export async function expectLedgerConsistent(sql: Sql, client?: Client | null): Promise<void> {
  const report = await checkLedger({ sql, client: client ?? null });
  expect(report.differences).toEqual([]);
}
