import type { BankFormat, BankLine } from '../domain/bank-files';
import type { MatchDecision } from '../domain/cash-matching/match';
import type { Sql } from './client';

export type BankLineStatus = 'ignored' | 'applied' | 'suggested' | 'unmatched' | 'rejected';

/** The account a statement is for: registered on its first statement, with the currency it came in. */
export async function ensureBankAccount(sql: Sql, account: string, currency: string): Promise<void> {
  await sql`INSERT INTO bank_accounts (account, currency) VALUES (${account}, ${currency}) ON CONFLICT (account) DO NOTHING`;
}

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
}

/** Stores the lines not stored before (by account and entry key); returns the ids of those it stored. */
export async function insertBankLines(sql: Sql, statementId: string, account: string, lines: readonly NewBankLine[]): Promise<Set<string>> {
  if (lines.length === 0) return new Set();
  const rows = lines.map(({ id, entryKey, line: l, status }) => ({
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
  }));
  const inserted = await sql<{ id: string }[]>`
    INSERT INTO bank_lines ${sql(rows)}
    ON CONFLICT (account, entry_key) DO NOTHING
    RETURNING id`;
  return new Set(inserted.map((r) => r.id));
}

/** Records what the matcher decided for a line (and its status: applied, suggested or unmatched). */
export async function recordLineDecision(
  sql: Sql,
  lineId: string,
  status: BankLineStatus,
  decision: MatchDecision,
  actor: string,
): Promise<void> {
  await sql`
    UPDATE bank_lines SET status = ${status}, decision = ${sql.json(decision as never)}, decided_by = ${actor}, decided_at = now()
    WHERE id = ${lineId}`;
}
