import type { Sql } from './client';

export interface ReconciliationDay {
  account: string;
  currency: string;
  /** The booking day (YYYY-MM-DD). */
  date: string;
  creditsCents: number;
  debitsCents: number;
  /** Handed to invoices (an overpayment's excess included: the invoice keeps it as customer credit). */
  appliedCents: number;
  /** Kept as unapplied cash: a manual application's rest, or money for an invoice closed meanwhile. */
  unappliedCents: number;
  /** Suggested or unmatched: waiting in the review queue. */
  inReviewCents: number;
  /** Not a customer payment (a reviewer said so). */
  rejectedCents: number;
  /** Short payments' differences, recorded as bank charges. */
  writtenOffCents: number;
  /** Credits not accounted for by the above: 0 unless something is wrong. */
  unaccountedCents: number;
}

/**
 * Per bank account, currency and booking day between `from` and `to`: what the statements brought in,
 * and where every cent of it went (applied, unapplied cash, in review, rejected).
 */
export async function reconcileBankAccounts(sql: Sql, from: string, to: string): Promise<ReconciliationDay[]> {
  return sql<ReconciliationDay[]>`
    WITH lines AS (
      SELECT id, account, currency, booking_date, direction, amount_cents, status
      FROM bank_lines WHERE booking_date BETWEEN ${from} AND ${to}
    ),
    allocated AS (
      SELECT line_id, sum(amount_cents) AS cents, sum(write_off_cents) AS written_off
      FROM bank_allocations WHERE line_id IN (SELECT id FROM lines) AND reversed_at IS NULL GROUP BY line_id
    ),
    -- Unapplied cash of bank lines: a manual application's rest (\`<line>:rest\`), or an allocation whose
    -- invoice had closed when it was delivered (\`bank:<line>:<invoice>\`, also counted in \`allocated\`).
    unapplied AS (
      SELECT CASE WHEN id LIKE 'bank:%' THEN split_part(id, ':', 2) ELSE split_part(id, ':', 1) END AS line_id,
             sum(amount_cents) AS cents,
             COALESCE(sum(amount_cents) FILTER (WHERE id LIKE 'bank:%'), 0) AS from_allocations
      FROM unapplied_payments WHERE source = 'bank' GROUP BY 1
    ),
    per_line AS (
      SELECT l.*, COALESCE(a.cents, 0) - COALESCE(u.from_allocations, 0) AS applied, COALESCE(u.cents, 0) AS unapplied,
             COALESCE(a.written_off, 0) AS written_off
      FROM lines l LEFT JOIN allocated a ON a.line_id = l.id LEFT JOIN unapplied u ON u.line_id = l.id::text
    )
    SELECT account, currency, to_char(booking_date, 'YYYY-MM-DD') AS date,
      COALESCE(sum(amount_cents) FILTER (WHERE direction = 'credit'), 0)::bigint AS "creditsCents",
      COALESCE(sum(amount_cents) FILTER (WHERE direction = 'debit'), 0)::bigint AS "debitsCents",
      COALESCE(sum(applied) FILTER (WHERE direction = 'credit'), 0)::bigint AS "appliedCents",
      COALESCE(sum(unapplied) FILTER (WHERE direction = 'credit'), 0)::bigint AS "unappliedCents",
      COALESCE(sum(amount_cents) FILTER (WHERE status IN ('suggested', 'unmatched')), 0)::bigint AS "inReviewCents",
      COALESCE(sum(amount_cents) FILTER (WHERE status = 'rejected'), 0)::bigint AS "rejectedCents",
      COALESCE(sum(written_off), 0)::bigint AS "writtenOffCents",
      COALESCE(sum(amount_cents - applied - unapplied) FILTER (WHERE direction = 'credit' AND status = 'applied'), 0)::bigint AS "unaccountedCents"
    FROM per_line
    GROUP BY account, currency, booking_date
    ORDER BY account, currency, booking_date`;
}
