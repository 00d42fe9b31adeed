import type { Client } from '@temporalio/client';
import type { Sql } from '../../src/db/client';
import { checkLedger } from '../../src/services/check-ledger';

/**
 * The ledger invariant check after a benchmark: every invoice it made (against its workflow when a
 * client is given) must agree with Postgres. Differences are printed and fail the run (exit code 1).
 */
export async function reportLedgerCheck(sql: Sql, client: Client | null): Promise<void> {
  const started = performance.now();
  const report = await checkLedger({ sql, client, concurrency: 16 });
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  const against = client ? ` (${report.compared} against their workflow)` : ' (Postgres against the identity)';
  if (report.differences.length === 0) {
    console.log(`  ledger check: ${report.checked.toLocaleString('en')} invoices${against}, no differences (${seconds} s)`);
    return;
  }
  console.log(`  ledger check: ${report.differences.length} differences in ${report.checked.toLocaleString('en')} invoices${against}:`);
  for (const d of report.differences.slice(0, 20)) console.log(`    ${d.number} [${d.check}] ${d.message}`);
  process.exitCode = 1;
}
