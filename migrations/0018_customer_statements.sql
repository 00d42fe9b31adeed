-- Statements of account: a customer who opts in gets one each month, on this day of the month on
-- their calendar (a Temporal Schedule per customer sends it); NULL: on demand only.
ALTER TABLE customers ADD COLUMN statement_day smallint CHECK (statement_day BETWEEN 1 AND 28);

-- An invoice paid, reopened by a refund and paid again in one projected batch kept its first paid
-- date, so the aging report counted it as paid while it was owing: each paid invoice takes the time
-- of its last `paid` event (the booking-date trigger recomputes paid_on, and invalidates snapshots).
UPDATE invoices i SET paid_at = last_paid.at
FROM (
  SELECT entity_id::uuid AS id, max(at) AS at FROM audit_log
  WHERE entity_type = 'invoice' AND action = 'invoice.paid' GROUP BY entity_id
) last_paid
WHERE i.id = last_paid.id AND i.status = 'paid' AND i.paid_at IS DISTINCT FROM last_paid.at;
