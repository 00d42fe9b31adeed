import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { BANK_FORMATS, type BankFormat } from '../domain/bank-files';
import { DomainError, ErrorCode } from '../domain/errors';
import { formatMoney } from '../domain/money';
import type { BankImportResult } from '../services/import-bank-statement';
import type { ApiClient } from './api-client';
import { progressBar, type ProgressStream } from './progress';

const CONTENT_TYPES: Readonly<Record<BankFormat, string>> = {
  camt053: 'application/xml',
  bai2: 'text/plain',
  mt940: 'text/plain',
  csv: 'text/csv',
};

/** The format a file's extension suggests (the file itself decides for camt.053, BAI2 and MT940). */
function formatOfFile(file: string): BankFormat | undefined {
  const ext = path.extname(file).toLowerCase();
  if (ext === '.xml') return 'camt053';
  if (ext === '.bai' || ext === '.bai2') return 'bai2';
  if (ext === '.sta' || ext === '.mt940' || ext === '.940') return 'mt940';
  if (ext === '.csv') return 'csv';
  return undefined;
}

/** `bank import <file>`: a bank statement file to the API, uploaded with a progress bar; what became of each line. */
export function registerBank(program: Command, api: () => ApiClient, io: { out: (t: string) => void; progress?: ProgressStream }): void {
  const bank = program.command('bank').description('bank statements: import, and what became of each line');
  bank
    .command('import <file>')
    .description(
      'import a bank statement (camt.053, BAI2, MT940, or CSV with --account): sure matches are applied, the rest wait for review',
    )
    .option(`--format <format>`, `${BANK_FORMATS.join(' | ')} (default: from the file)`)
    .option('--account <account>', 'for a CSV export: the account whose saved column mapping reads it')
    .option('--json', 'print JSON')
    .action(async (file: string, o: { format?: string; account?: string; json?: boolean }) => {
      if (o.format !== undefined && !(BANK_FORMATS as readonly string[]).includes(o.format))
        throw new DomainError(ErrorCode.VALIDATION, `--format must be one of ${BANK_FORMATS.join(', ')}`);
      let content: Buffer;
      try {
        content = await readFile(file);
      } catch (err) {
        throw new DomainError(
          ErrorCode.VALIDATION,
          `${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`,
        );
      }
      const format = (o.format as BankFormat | undefined) ?? formatOfFile(file);
      const query = new URLSearchParams({ ...(o.format ? { format: o.format } : {}), ...(o.account ? { account: o.account } : {}) });
      const bar = progressBar(io.progress, `upload ${path.basename(file)}`);
      let result: BankImportResult;
      try {
        result = await api().upload(
          `/api/bank-statements${query.size > 0 ? `?${query}` : ''}`,
          content,
          CONTENT_TYPES[format ?? 'mt940'],
          (sent, total) => bar.update(sent, total),
        );
      } finally {
        bar.stop();
      }
      if (o.json) return io.out(JSON.stringify(result, null, 2));
      io.out(describe(result));
    });
}

function describe(r: BankImportResult): string {
  const lines = [
    `${r.format}: ${r.lines} lines, ${r.credits} credits — ${r.autoApplied} applied, ${r.suggested} for review, ${r.unmatched} unmatched, ${r.duplicates} already imported`,
  ];
  for (const l of r.results) {
    if (l.direction === 'debit' && l.outcome !== 'duplicate') continue;
    const money = formatMoney(l.amountCents, l.currency);
    const to = l.invoices.map((i) => `${i.number} ${formatMoney(i.amountCents, l.currency)}`).join(', ');
    const label = { auto_applied: 'applied', suggested: 'review', unmatched: 'unmatched', ignored: 'ignored', duplicate: 'known' }[
      l.outcome
    ];
    lines.push(`  ${label.padEnd(9)} ${l.location.padEnd(28)} ${money.padStart(16)}  ${to || (l.why ?? '')}`);
  }
  return lines.join('\n');
}
