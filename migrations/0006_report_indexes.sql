-- Reports read the ledger after an instant (what changed since) and the money that moved in a period;
-- these serve exactly those range reads (see src/db/receivables.ts).
CREATE INDEX invoices_paid_at_idx ON invoices (paid_at) WHERE paid_at IS NOT NULL;
CREATE INDEX invoices_closed_at_idx ON invoices (closed_at) WHERE closed_at IS NOT NULL;
CREATE INDEX invoices_open_idx ON invoices (id) WHERE status = 'open';
CREATE INDEX invoices_issue_date_idx ON invoices (issue_date) INCLUDE (currency, total_cents);
CREATE INDEX payments_received_at_idx ON payments (received_at) WHERE status = 'applied';
CREATE INDEX late_fees_applied_at_idx ON late_fees (applied_at);
