-- Reports read dates on the customer's calendar. Each ledger fact gets its booking date there when it
-- is written (a trigger, so every writer agrees), and reports read those dates through the indexes
-- below instead of converting time zones row by row (see src/db/receivables.ts). A booking date is
-- fixed once written: a customer who later moves zone keeps the dates of what already happened.

ALTER TABLE invoices ADD COLUMN due_on date, ADD COLUMN paid_on date, ADD COLUMN closed_on date;
ALTER TABLE payments ADD COLUMN booked_on date;
ALTER TABLE late_fees ADD COLUMN booked_on date;

CREATE FUNCTION invoice_zone(invoice uuid) RETURNS text LANGUAGE sql STABLE AS
$$ SELECT c.time_zone FROM invoices i JOIN customers c ON c.id = i.customer_id WHERE i.id = invoice $$;

CREATE FUNCTION invoices_local_dates() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE zone text;
BEGIN
  SELECT time_zone INTO zone FROM customers WHERE id = NEW.customer_id;
  NEW.due_on := (NEW.due_at AT TIME ZONE zone)::date;
  NEW.paid_on := (NEW.paid_at AT TIME ZONE zone)::date;
  NEW.closed_on := (NEW.closed_at AT TIME ZONE zone)::date;
  RETURN NEW;
END $$;
CREATE TRIGGER invoices_local_dates BEFORE INSERT OR UPDATE OF customer_id, due_at, paid_at, closed_at ON invoices
  FOR EACH ROW EXECUTE FUNCTION invoices_local_dates();

-- Unapplied money has no invoice, hence no customer calendar, until it is applied.
CREATE FUNCTION payments_booked_on() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.booked_on := CASE WHEN NEW.invoice_id IS NULL THEN NULL ELSE (NEW.received_at AT TIME ZONE invoice_zone(NEW.invoice_id))::date END;
  RETURN NEW;
END $$;
CREATE TRIGGER payments_booked_on BEFORE INSERT OR UPDATE OF invoice_id, received_at ON payments
  FOR EACH ROW EXECUTE FUNCTION payments_booked_on();

CREATE FUNCTION late_fees_booked_on() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.booked_on := (NEW.applied_at AT TIME ZONE invoice_zone(NEW.invoice_id))::date;
  RETURN NEW;
END $$;
CREATE TRIGGER late_fees_booked_on BEFORE INSERT OR UPDATE OF invoice_id, applied_at ON late_fees
  FOR EACH ROW EXECUTE FUNCTION late_fees_booked_on();

-- Existing rows.
UPDATE invoices i SET due_on = (i.due_at AT TIME ZONE c.time_zone)::date, paid_on = (i.paid_at AT TIME ZONE c.time_zone)::date,
                      closed_on = (i.closed_at AT TIME ZONE c.time_zone)::date
  FROM customers c WHERE c.id = i.customer_id;
UPDATE payments SET booked_on = (received_at AT TIME ZONE invoice_zone(invoice_id))::date WHERE invoice_id IS NOT NULL;
UPDATE late_fees SET booked_on = (applied_at AT TIME ZONE invoice_zone(invoice_id))::date;
ALTER TABLE invoices ALTER COLUMN due_on SET NOT NULL;
ALTER TABLE late_fees ALTER COLUMN booked_on SET NOT NULL;

-- Aging candidates (open now, or paid / closed after the date) and period flows, by booking date.
CREATE INDEX invoices_open_ledger_idx ON invoices (customer_id, currency)
  INCLUDE (id, issue_date, due_on, total_cents, fees_cents, paid_cents, refunded_cents) WHERE status = 'open';
CREATE INDEX invoices_paid_on_idx ON invoices (paid_on) INCLUDE (issue_date, currency) WHERE status = 'paid';
CREATE INDEX invoices_closed_on_idx ON invoices (closed_on) WHERE closed_on IS NOT NULL;
CREATE INDEX invoices_issue_date_idx ON invoices (issue_date) INCLUDE (currency, total_cents);
CREATE INDEX payments_booked_on_idx ON payments (booked_on) INCLUDE (invoice_id, kind, currency, amount_cents) WHERE status = 'applied';
CREATE INDEX late_fees_booked_on_idx ON late_fees (booked_on) INCLUDE (invoice_id, currency, amount_cents);
