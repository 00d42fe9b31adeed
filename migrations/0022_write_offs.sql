-- Write-offs: part of what a customer owed that will not be collected (a transfer short by bank
-- charges, a small remainder, goodwill), each an entry of the invoice's ledger as its workflow keys it.
-- The identity becomes total + fees − write-offs − payments + refunds (+ credit) = due.
CREATE TABLE write_offs (
  invoice_id     uuid NOT NULL REFERENCES invoices (id),
  id             text NOT NULL,
  amount_cents   bigint NOT NULL CHECK (amount_cents > 0),
  currency       char(3) NOT NULL,
  category       text NOT NULL CHECK (category IN ('bank_charges', 'small_balance', 'goodwill')),
  reason         text,
  actor          text NOT NULL,
  written_off_at timestamptz NOT NULL,
  -- The day on the customer's calendar, for reports by period.
  booked_on      date NOT NULL,
  -- Undone (the payment it settled with was refunded in full): owed again from then.
  reversed_at    timestamptz,
  reversed_on    date,
  reversed_by    text,
  PRIMARY KEY (invoice_id, id),
  CHECK ((reversed_at IS NULL) = (reversed_on IS NULL))
);
CREATE INDEX write_offs_booked_on_idx ON write_offs (booked_on) INCLUDE (invoice_id, currency, amount_cents);

CREATE FUNCTION write_offs_booked_on() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.booked_on := (NEW.written_off_at AT TIME ZONE invoice_zone(NEW.invoice_id))::date;
  NEW.reversed_on := (NEW.reversed_at AT TIME ZONE invoice_zone(NEW.invoice_id))::date;
  RETURN NEW;
END $$;
CREATE TRIGGER write_offs_booked_on BEFORE INSERT OR UPDATE OF invoice_id, written_off_at, reversed_at ON write_offs
  FOR EACH ROW EXECUTE FUNCTION write_offs_booked_on();

ALTER TABLE invoices ADD COLUMN written_off_cents bigint NOT NULL DEFAULT 0 CHECK (written_off_cents >= 0);

-- Reports read an open invoice's ledger from this index alone (report-sql.ts): it carries write-offs too.
DROP INDEX invoices_open_ledger_idx;
CREATE INDEX invoices_open_ledger_idx ON invoices (customer_id, currency)
  INCLUDE (id, issue_date, due_on, total_cents, fees_cents, paid_cents, refunded_cents, written_off_cents) WHERE status = 'open';
