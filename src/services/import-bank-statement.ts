import { createHash, randomUUID } from 'node:crypto';
import type { Sql } from '../db/client';
import { ensureBankAccount } from '../db/bank-accounts';
import { findKnownEntryKeys, insertBankLines, insertBankStatement, type NewBankLine } from '../db/bank-statements';
import { readMatchBookFacts } from '../db/match-book';
import { allocateLines, allocationsOf } from './bank-allocation';
import { parseBankFile, type BankFormat, type BankLine, type BankStatement, type CsvMapping } from '../domain/bank-files';
import {
  buildMatchBook,
  DEFAULT_MATCHING_RULES,
  matchCredit,
  type MatchDecision,
  type MatchingRules,
  type Proposal,
} from '../domain/cash-matching/match';

export interface ImportedLine {
  readonly lineId: string | null;
  readonly location: string;
  readonly direction: 'credit' | 'debit';
  readonly amountCents: number;
  readonly currency: string;
  readonly outcome: 'auto_applied' | 'suggested' | 'unmatched' | 'ignored' | 'duplicate';
  /** The invoices it went to (auto-applied) or would go to (the best suggestion). */
  readonly invoices: readonly { readonly number: string; readonly amountCents: number }[];
  readonly confidence: number | null;
  readonly why: string | null;
}

export interface BankImportResult {
  readonly format: BankFormat;
  readonly statementIds: readonly string[];
  readonly lines: number;
  readonly credits: number;
  readonly autoApplied: number;
  readonly suggested: number;
  readonly unmatched: number;
  readonly duplicates: number;
  readonly results: readonly ImportedLine[];
}

/**
 * Imports a bank statement file: every entry is stored once per account (a file imported again, or
 * an overlapping one, stores and applies nothing twice); each new credit is matched, and the sure
 * ones are applied — each allocation a payment `bank:<line>:<invoice>` handed, in the same
 * transaction, to the gateway inbox, whose relay delivers it to the invoice's workflow exactly once
 * (money for an invoice closed meanwhile becomes unapplied cash there). The rest waits for review.
 * A file that cannot be read changes nothing.
 */
export async function importBankStatement(
  deps: { sql: Sql },
  content: string,
  o: { format?: BankFormat; csvMapping?: CsvMapping; actor: string; rules?: MatchingRules },
): Promise<BankImportResult> {
  const { format, statements } = parseBankFile(content, {
    ...(o.format ? { format: o.format } : {}),
    ...(o.csvMapping ? { csvMapping: o.csvMapping } : {}),
  });
  const fileSha256 = createHash('sha256').update(content).digest('hex');
  const currencies = [...new Set(statements.flatMap((s) => s.lines.map((l) => l.currency)))];
  const book = buildMatchBook(
    currencies.length > 0 ? await readMatchBookFacts(deps.sql, currencies) : { items: [], customers: [], accounts: new Map() },
  );
  const rules = o.rules ?? DEFAULT_MATCHING_RULES;
  /** Money put on each invoice by earlier lines of this file. */
  const spent = new Map<string, number>();
  const results: ImportedLine[] = [];
  const statementIds: string[] = [];

  await deps.sql.begin(async (t) => {
    const tx = t as unknown as Sql;
    for (const statement of statements) {
      const statementId = randomUUID();
      statementIds.push(statementId);
      await ensureBankAccount(tx, statement.account, statement.currency);
      await insertBankStatement(tx, {
        id: statementId,
        account: statement.account,
        format,
        statementRef: statement.statementId,
        from: statement.from,
        to: statement.to,
        fileSha256,
        actor: o.actor,
      });
      const lines = withEntryKeys(statement);
      // Lines stored before (an earlier or overlapping statement) are known; the rest are matched, then stored with their decision.
      const known = await findKnownEntryKeys(
        tx,
        statement.account,
        lines.map((l) => l.entryKey),
      );
      const fresh: (NewBankLine & { line: BankLine; decision?: MatchDecision })[] = [];
      const inFile = new Set<string>();
      for (const l of lines) {
        if (known.has(l.entryKey) || inFile.has(l.entryKey)) continue;
        inFile.add(l.entryKey);
        if (l.line.direction === 'debit') {
          fresh.push(l);
          continue;
        }
        const decision = matchCredit(l.line, book, rules, spent);
        if (decision.kind === 'auto')
          for (const a of decision.proposal.allocations) spent.set(a.invoiceId, (spent.get(a.invoiceId) ?? 0) + a.amountCents);
        fresh.push({ ...l, status: decision.kind === 'auto' ? 'applied' : decision.kind, decision, decidedBy: o.actor });
      }
      // A line another import stored meanwhile is not stored (nor applied) twice.
      const stored = await insertBankLines(tx, statementId, statement.account, fresh);
      const decided = new Map(fresh.map((f) => [f.id, f]));
      await allocateLines(
        tx,
        fresh.flatMap((f) =>
          stored.has(f.id) && f.decision?.kind === 'auto'
            ? [{ line: { id: f.id, ...f.line }, allocations: allocationsOf(f.decision.proposal) }]
            : [],
        ),
        o.actor,
      );
      for (const { id, line } of lines) {
        const base = {
          lineId: id,
          location: line.location,
          direction: line.direction,
          amountCents: line.amountCents,
          currency: line.currency,
        };
        const f = decided.get(id);
        if (!f || !stored.has(id))
          results.push({ ...base, lineId: null, outcome: 'duplicate', invoices: [], confidence: null, why: 'already imported' });
        else if (!f.decision) results.push({ ...base, outcome: 'ignored', invoices: [], confidence: null, why: 'money out' });
        else results.push({ ...base, ...summary(f.decision) });
      }
    }
  });

  const count = (outcome: ImportedLine['outcome']) => results.filter((r) => r.outcome === outcome).length;
  return {
    format,
    statementIds,
    lines: results.length,
    credits: results.filter((r) => r.direction === 'credit').length,
    autoApplied: count('auto_applied'),
    suggested: count('suggested'),
    unmatched: count('unmatched'),
    duplicates: count('duplicate'),
    results,
  };
}

/**
 * Each entry's key: the bank's reference when it gives one, else a hash of what the entry says and
 * its place among identical entries of the file (two equal transfers on a day are two entries).
 */
function withEntryKeys(statement: BankStatement): (NewBankLine & { line: BankLine })[] {
  const seen = new Map<string, number>();
  return statement.lines.map((line) => {
    let entryKey: string;
    if (line.bankReference) entryKey = `ref:${line.bankReference}:${line.direction}:${line.amountCents}`;
    else {
      const said = [
        line.bookingDate,
        line.direction,
        line.amountCents,
        line.currency,
        line.remittance,
        line.payerName,
        line.payerAccount,
        line.endToEndId,
      ].join('|');
      const hash = createHash('sha256').update(said).digest('hex').slice(0, 32);
      const ordinal = (seen.get(hash) ?? 0) + 1;
      seen.set(hash, ordinal);
      entryKey = `hash:${hash}:${ordinal}`;
    }
    return { id: randomUUID(), entryKey, line, status: line.direction === 'debit' ? 'ignored' : 'unmatched' };
  });
}

function summary(decision: MatchDecision): Pick<ImportedLine, 'outcome' | 'invoices' | 'confidence' | 'why'> {
  const invoices = (p: Proposal) => p.allocations.map((a) => ({ number: a.number, amountCents: a.amountCents }));
  switch (decision.kind) {
    case 'auto':
      return {
        outcome: 'auto_applied',
        invoices: invoices(decision.proposal),
        confidence: decision.proposal.confidence,
        why: decision.proposal.rules.join('; '),
      };
    case 'suggested':
      return {
        outcome: 'suggested',
        invoices: invoices(decision.proposals[0]!),
        confidence: decision.proposals[0]!.confidence,
        why: decision.why,
      };
    case 'unmatched':
      return { outcome: 'unmatched', invoices: [], confidence: null, why: decision.why };
  }
}
