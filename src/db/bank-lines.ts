import type { MatchDecision } from '../domain/cash-matching/match';
import type { BankLineStatus } from './bank-statements';
import type { Sql } from './client';

export interface BankLineRow {
  id: string;
  account: string;
  statementId: string;
  direction: 'credit' | 'debit';
  amountCents: number;
  currency: string;
  bookingDate: string;
  valueDate: string | null;
  bankReference: string | null;
  endToEndId: string | null;
  remittance: string;
  payerName: string | null;
  payerAccount: string | null;
  location: string;
  status: BankLineStatus;
  decision: MatchDecision | null;
  decidedBy: string | null;
  decidedAt: Date | null;
  createdAt: Date;
}

const COLUMNS = (sql: Sql) => sql`
  id, account, statement_id AS "statementId", direction, amount_cents AS "amountCents", currency, booking_date AS "bookingDate",
  value_date AS "valueDate", bank_reference AS "bankReference", end_to_end_id AS "endToEndId", remittance, payer_name AS "payerName",
  payer_account AS "payerAccount", location, status, decision, decided_by AS "decidedBy", decided_at AS "decidedAt", created_at AS "createdAt"`;

export async function findBankLine(sql: Sql, id: string): Promise<BankLineRow | undefined> {
  const [row] = await sql<BankLineRow[]>`SELECT ${COLUMNS(sql)} FROM bank_lines WHERE id = ${id}`;
  return row;
}

/** Credits waiting for a human (suggested first, then unmatched), oldest first, a page after `after` (a line id). */
export async function listReviewLines(sql: Sql, o: { limit: number; after?: string }): Promise<BankLineRow[]> {
  return sql<BankLineRow[]>`
    SELECT ${COLUMNS(sql)} FROM bank_lines
    WHERE status IN ('suggested', 'unmatched')
      ${o.after ? sql`AND (status = 'unmatched', booking_date, created_at, id) > (SELECT status = 'unmatched', booking_date, created_at, id FROM bank_lines WHERE id = ${o.after})` : sql``}
    ORDER BY status = 'unmatched', booking_date, created_at, id
    LIMIT ${o.limit}`;
}

/**
 * Settles a line waiting for review (`to`: applied or rejected) if it still waits: of concurrent
 * decisions exactly one gets the row; the others get nothing (the line was decided meanwhile).
 */
export async function settleReviewLine(sql: Sql, id: string, to: 'applied' | 'rejected', actor: string): Promise<BankLineRow | undefined> {
  const [row] = await sql<BankLineRow[]>`
    UPDATE bank_lines SET status = ${to}, decided_by = ${actor}, decided_at = now()
    WHERE id = ${id} AND status IN ('suggested', 'unmatched')
    RETURNING ${COLUMNS(sql)}`;
  return row;
}

export async function auditBankLine(
  sql: Sql,
  id: string,
  e: { action: string; actor: string; reason?: string | null; data?: object },
): Promise<void> {
  await sql`
    INSERT INTO audit_log (entity_type, entity_id, action, actor, reason, data)
    VALUES ('bank_line', ${id}, ${e.action}, ${e.actor}, ${e.reason ?? null}, ${sql.json((e.data ?? {}) as never)})`;
}

/** Money from `account` is `customerId`'s from now on (a human's decision overrides an earlier one). */
export async function learnPayerAccount(sql: Sql, account: string, customerId: string, lineId: string, actor: string): Promise<void> {
  await sql`
    INSERT INTO payer_accounts (account, customer_id, learned_from, confirmed_by) VALUES (${account}, ${customerId}, ${lineId}, ${actor})
    ON CONFLICT (account) DO UPDATE SET customer_id = EXCLUDED.customer_id, learned_from = EXCLUDED.learned_from,
      confirmed_by = EXCLUDED.confirmed_by, confirmed_at = now()`;
}

/** Forgets a payer account learned from this line (its application turned out wrong). */
export async function forgetPayerAccountLearnedFrom(sql: Sql, lineId: string): Promise<string | null> {
  const [row] = await sql<{ account: string }[]>`DELETE FROM payer_accounts WHERE learned_from = ${lineId} RETURNING account`;
  return row?.account ?? null;
}
