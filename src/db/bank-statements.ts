import type { BankFormat, BankLine } from '../domain/bank-files';
import type { MatchDecision } from '../domain/cash-matching/match';
import type { Sql } from './client';

export type BankLineStatus = 'ignored' | 'applied' | 'suggested' | 'unmatched' | 'rejected';

export async function insertBankStatement(
  sql: Sql,
  s: {
    id: string;
    account: string;
    format: BankFormat;
    statementRef: string | null;
    from: string | null;
    to: string | null;
    fileSha256: string;
    actor: string;
  },
): Promise<void> {
  await sql`
    INSERT INTO bank_statements (id, account, format, statement_ref, period_from, period_to, file_sha256, imported_by)
    VALUES (${s.id}, ${s.account}, ${s.format}, ${s.statementRef}, ${s.from}, ${s.to}, ${s.fileSha256}, ${s.actor})`;
}

export interface NewBankLine {
  readonly id: string;
  readonly entryKey: string;
  readonly line: BankLine;
  readonly status: BankLineStatus;
  /** The matcher's decision, for a credit. */
  readonly decision?: MatchDecision;
  readonly decidedBy?: string;
}

/** Which of these entry keys the account has stored already (an earlier or overlapping statement). */
export async function findKnownEntryKeys(sql: Sql, account: string, keys: readonly string[]): Promise<Set<string>> {
  const known = new Set<string>();
  for (let i = 0; i < keys.length; i += 10_000) {
    const rows = await sql<{ entryKey: string }[]>`
      SELECT entry_key AS "entryKey" FROM bank_lines WHERE account = ${account} AND entry_key IN ${sql(keys.slice(i, i + 10_000) as string[])}`;
    for (const r of rows) known.add(r.entryKey);
  }
  return known;
}

/** Stores the lines not stored before (by account and entry key); returns the ids of those it stored. */
export async function insertBankLines(sql: Sql, statementId: string, account: string, lines: readonly NewBankLine[]): Promise<Set<string>> {
  if (lines.length === 0) return new Set();
  const rows = lines.map(({ id, entryKey, line: l, status, decision, decidedBy }) => ({
    id,
    account,
    entry_key: entryKey,
    statement_id: statementId,
    direction: l.direction,
    amount_cents: l.amountCents,
    currency: l.currency,
    booking_date: l.bookingDate,
    value_date: l.valueDate,
    bank_reference: l.bankReference,
    end_to_end_id: l.endToEndId,
    structured_reference: l.structuredReference,
    remittance: l.remittance,
    payer_name: l.payerName,
    payer_account: l.payerAccount,
    type_code: l.typeCode,
    location: l.location,
    status,
    decision: decision ? sql.json(decision as never) : null,
    decided_by: decidedBy ?? null,
    decided_at: decision ? new Date() : null,
  }));
  const stored = new Set<string>();
  // 21 parameters a line: at most 2,000 lines per statement, under Postgres's 65,535.
  for (let i = 0; i < rows.length; i += 2_000) {
    const inserted = await sql<{ id: string }[]>`
      INSERT INTO bank_lines ${sql(rows.slice(i, i + 2_000))}
      ON CONFLICT (account, entry_key) DO NOTHING
      RETURNING id`;
    for (const r of inserted) stored.add(r.id);
  }
  return stored;
}
