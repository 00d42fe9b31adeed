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
      SELECT l.*,
        COALESCE((SELECT sum(a.amount_cents) FROM bank_allocations a WHERE a.line_id = l.id), 0) AS allocated,
        COALESCE((SELECT sum(a.write_off_cents) FROM bank_allocations a WHERE a.line_id = l.id), 0) AS written_off,
        COALESCE((SELECT sum(u.amount_cents) FROM unapplied_payments u
                  WHERE u.source = 'bank' AND (u.id = l.id::text || ':rest' OR u.id LIKE 'bank:' || l.id::text || ':%')), 0) AS unapplied,
        COALESCE((SELECT sum(u.amount_cents) FROM unapplied_payments u
                  WHERE u.source = 'bank' AND u.id LIKE 'bank:' || l.id::text || ':%'), 0) AS allocated_unapplied
      FROM bank_lines l
      WHERE l.booking_date BETWEEN ${from} AND ${to}
    )
    SELECT account, currency, to_char(booking_date, 'YYYY-MM-DD') AS date,
      COALESCE(sum(amount_cents) FILTER (WHERE direction = 'credit'), 0)::bigint AS "creditsCents",
      COALESCE(sum(amount_cents) FILTER (WHERE direction = 'debit'), 0)::bigint AS "debitsCents",
      COALESCE(sum(allocated - allocated_unapplied) FILTER (WHERE direction = 'credit'), 0)::bigint AS "appliedCents",
      COALESCE(sum(unapplied) FILTER (WHERE direction = 'credit'), 0)::bigint AS "unappliedCents",
      COALESCE(sum(amount_cents) FILTER (WHERE status IN ('suggested', 'unmatched')), 0)::bigint AS "inReviewCents",
      COALESCE(sum(amount_cents) FILTER (WHERE status = 'rejected'), 0)::bigint AS "rejectedCents",
      COALESCE(sum(written_off), 0)::bigint AS "writtenOffCents",
      COALESCE(sum(amount_cents - (allocated - allocated_unapplied) - unapplied) FILTER (WHERE direction = 'credit' AND status = 'applied'), 0)::bigint
        AS "unaccountedCents"
    FROM lines
    GROUP BY account, currency, booking_date
    ORDER BY account, currency, booking_date`;
}
