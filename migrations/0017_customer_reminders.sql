-- Grouped reminders: an email may carry the reminders of several invoices.

-- The reminders an email carried (a grouped one several, a single invoice's one), so an invoice's
-- outbox lists the grouped emails that named it.
CREATE TABLE email_log_items (
  idempotency_key text NOT NULL REFERENCES email_log (idempotency_key),
  invoice_id      uuid NOT NULL REFERENCES invoices (id),
  -- The invoice step's key (`invoice-<id>/step-<n>`).
  item_key        text NOT NULL,
  template        text NOT NULL,
  PRIMARY KEY (idempotency_key, item_key)
);
CREATE INDEX email_log_items_invoice_idx ON email_log_items (invoice_id);

-- A grouped email in flight keeps which reminders it carries and which it left out: a retry sends
-- the first attempt's email, with the same items.
ALTER TABLE email_sending ADD COLUMN items jsonb;
