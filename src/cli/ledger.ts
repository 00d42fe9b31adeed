import type { Command } from 'commander';
import type { LedgerCheckPage, LedgerDifference } from '../services/check-ledger';
import type { ApiClient } from './api-client';
import { progressBar, type ProgressStream } from './progress';

/**
 * `ledger check`: the ledger invariant check over the whole book (or some invoices), through the
 * API, page by page with a progress bar. Exit code 1 when anything differs.
 */
export function registerLedger(
  program: Command,
  api: () => ApiClient,
  io: { out: (t: string) => void; progress?: ProgressStream; pollMs?: number },
  exit: (code: number) => never,
): void {
  const ledger = program.command('ledger').description('the ledger invariant check');
  ledger
    .command('check')
    .description("compare every invoice's workflow with the Postgres ledger, and the ledger with its identity")
    .option('--invoice <id...>', 'only these invoices')
    .option('--json', 'print JSON')
    .action(async (o: { invoice?: string[]; json?: boolean }) => {
      const bar = progressBar(io.progress, 'ledger check', io.pollMs ?? 2_000);
      const differences: LedgerDifference[] = [];
      const skipped: LedgerCheckPage['skipped'][number][] = [];
      let checked = 0;
      let compared = 0;
      let after: string | null = null;
      try {
        do {
          const query = new URLSearchParams({ limit: '200' });
          if (after) query.set('after', after);
          for (const id of o.invoice ?? []) query.append('invoiceId', id);
          const page: LedgerCheckPage & { total: number } = await api().call('GET', `/api/ledger/check?${query}`);
          checked += page.checked;
          compared += page.compared;
          differences.push(...page.differences);
          skipped.push(...page.skipped);
          bar.update(checked, Math.max(page.total, checked));
          after = o.invoice ? null : page.nextCursor;
        } while (after);
      } finally {
        bar.stop();
      }
      if (o.json) io.out(JSON.stringify({ checked, compared, differences, skipped }, null, 2));
      else {
        io.out(
          `checked ${checked} invoice${checked === 1 ? '' : 's'} (${compared} against their workflow): ${differences.length === 0 ? 'no differences' : `${differences.length} difference${differences.length === 1 ? '' : 's'}`}`,
        );
        for (const d of differences) io.out(`  ${d.number} ${d.invoiceId} [${d.check}] ${d.message}`);
        if (skipped.length)
          io.out(`  ${skipped.length} not compared with a workflow (${[...new Set(skipped.map((s) => s.reason))].join('; ')})`);
      }
      if (differences.length > 0) exit(1);
    });
}
