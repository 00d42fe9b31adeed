-- Report snapshots: what was owed at the end of a past day (aging lines per customer, currency and
-- bucket) and what moved on it (flows per currency), stored once the day is over so that past dates
-- and long periods read a few stored rows instead of re-deriving them from the ledger
-- (src/db/report-snapshots.ts).
--
-- A day's figures are fixed once no customer can still be living it: every fact is booked on its
-- customer's calendar when written (0006), and in normal operation on that customer's today, never
-- earlier. The exceptions are back-dated writes — an ERP import issued in the past, unapplied money
-- applied to an invoice later (booked when it was received), a refund that reopens a paid invoice,
-- money moving on a voided or written-off invoice. The triggers below catch every such write and
-- invalidate the snapshots from the first day it changes, inside the writer's transaction.
--
-- Snapshots are only taken of days before report_open_from() - 1, while writes invalidate from
-- report_open_from(): a write that skipped invalidation would have to stay uncommitted for a whole
-- day to race a snapshot. Takers hold the report-snapshots advisory lock exclusively; back-dated
-- writers hold it shared, so a snapshot never misses a write that committed while it was taken.

-- The first day that can still receive facts in normal operation: today at UTC−12, the last place
-- on Earth to finish a day.
CREATE FUNCTION report_open_from() RETURNS date LANGUAGE sql STABLE AS
$$ SELECT (now() AT TIME ZONE 'Etc/GMT+12')::date $$;

-- A snapshot is valid until a back-dated write invalidates it; its lines stay until it is re-taken
-- or pruned (so that invalidating a year of snapshots is a few hundred marker updates).
CREATE TABLE aging_snapshots (
  as_of          date PRIMARY KEY,
  valid          boolean NOT NULL,
  taken_at       timestamptz NOT NULL DEFAULT now(),
  invalidated_at timestamptz
);
CREATE TABLE aging_snapshot_lines (
  as_of        date NOT NULL,
  customer_id  uuid NOT NULL,
  currency     char(3) NOT NULL,
  bucket       text NOT NULL CHECK (bucket IN ('current', '1-30', '31-60', '61-90', '90+')),
  amount_cents bigint NOT NULL CHECK (amount_cents > 0),
  invoices     int NOT NULL,
  PRIMARY KEY (as_of, customer_id, currency, bucket)
);

-- A day's flows: one marker per day taken (a day may have no flows at all) and a row per currency.
CREATE TABLE report_flow_days (
  day      date PRIMARY KEY,
  taken_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE report_daily_flows (
  day               date NOT NULL REFERENCES report_flow_days (day) ON DELETE CASCADE,
  currency          char(3) NOT NULL,
  invoiced_cents    bigint NOT NULL,
  invoices_issued   int NOT NULL,
  late_fees_cents   bigint NOT NULL,
  voided_cents      bigint NOT NULL,
  payments_cents    bigint NOT NULL,
  refunds_cents     bigint NOT NULL,
  written_off_cents bigint NOT NULL,
  invoices_paid     int NOT NULL,
  days_to_pay_sum   bigint NOT NULL,
  PRIMARY KEY (day, currency)
);

-- Called by every write that changes a report figure, with the first day it changes (NULL: none).
CREATE FUNCTION invalidate_report_snapshots(from_day date) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  IF from_day IS NULL OR from_day >= report_open_from() THEN RETURN; END IF;
  PERFORM pg_advisory_xact_lock_shared(hashtext('report-snapshots'));
  UPDATE aging_snapshots SET valid = false, invalidated_at = now() WHERE as_of >= from_day AND valid;
  DELETE FROM report_flow_days WHERE day >= from_day;
END $$;

-- Invoices: what an update changes, and from which day.
--  * issue date, due date, total, currency or customer: everything since the invoice was issued;
--  * status, paid or closed date: from the earliest of the old and new paid / closed dates (a payment
--    today moves nothing before today; a refund reopening an invoice paid in May moves May on);
--  * the ledger of a voided or written-off invoice: from the day it closed (its void or write-off
--    amount counts on that day). An open invoice's ledger moves with a payment or fee row, whose
--    own trigger names the day.
CREATE FUNCTION invoices_invalidate_reports() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE from_day date;
BEGIN
  IF TG_OP = 'DELETE' THEN
    from_day := least(OLD.issue_date, OLD.paid_on, OLD.closed_on);
  ELSE
    IF (OLD.issue_date, OLD.due_on, OLD.total_cents, OLD.currency, OLD.customer_id)
       IS DISTINCT FROM (NEW.issue_date, NEW.due_on, NEW.total_cents, NEW.currency, NEW.customer_id) THEN
      from_day := least(OLD.issue_date, NEW.issue_date);
    END IF;
    IF (OLD.status, OLD.paid_on, OLD.closed_on) IS DISTINCT FROM (NEW.status, NEW.paid_on, NEW.closed_on) THEN
      from_day := least(from_day, OLD.paid_on, OLD.closed_on, NEW.paid_on, NEW.closed_on);
    END IF;
    IF coalesce(OLD.closed_on, NEW.closed_on) IS NOT NULL
       AND (OLD.fees_cents, OLD.paid_cents, OLD.refunded_cents, OLD.amount_due_cents)
           IS DISTINCT FROM (NEW.fees_cents, NEW.paid_cents, NEW.refunded_cents, NEW.amount_due_cents) THEN
      from_day := least(from_day, OLD.closed_on, NEW.closed_on);
    END IF;
  END IF;
  PERFORM invalidate_report_snapshots(from_day);
  RETURN NULL;
END $$;
CREATE TRIGGER invoices_invalidate_reports AFTER UPDATE OR DELETE ON invoices
  FOR EACH ROW EXECUTE FUNCTION invoices_invalidate_reports();

-- Inserts are checked once per statement, so that a bulk load costs one check.
CREATE FUNCTION invoices_inserted_invalidate_reports() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM invalidate_report_snapshots((SELECT least(min(issue_date), min(paid_on), min(closed_on)) FROM inserted));
  RETURN NULL;
END $$;
CREATE TRIGGER invoices_inserted_invalidate_reports AFTER INSERT ON invoices
  REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION invoices_inserted_invalidate_reports();

-- Payments and refunds count from their booking day while applied (unapplied money applied later
-- keeps the day it was received).
CREATE FUNCTION payments_invalidate_reports() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    PERFORM invalidate_report_snapshots(CASE WHEN OLD.status = 'applied' THEN OLD.booked_on END);
  ELSIF (OLD.kind, OLD.status, OLD.invoice_id, OLD.amount_cents, OLD.currency, OLD.booked_on)
        IS DISTINCT FROM (NEW.kind, NEW.status, NEW.invoice_id, NEW.amount_cents, NEW.currency, NEW.booked_on) THEN
    PERFORM invalidate_report_snapshots(least(CASE WHEN OLD.status = 'applied' THEN OLD.booked_on END,
                                              CASE WHEN NEW.status = 'applied' THEN NEW.booked_on END));
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER payments_invalidate_reports AFTER UPDATE OR DELETE ON payments
  FOR EACH ROW EXECUTE FUNCTION payments_invalidate_reports();

CREATE FUNCTION payments_inserted_invalidate_reports() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM invalidate_report_snapshots((SELECT min(booked_on) FROM inserted WHERE status = 'applied'));
  RETURN NULL;
END $$;
CREATE TRIGGER payments_inserted_invalidate_reports AFTER INSERT ON payments
  REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION payments_inserted_invalidate_reports();

CREATE FUNCTION late_fees_invalidate_reports() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    PERFORM invalidate_report_snapshots(OLD.booked_on);
  ELSIF (OLD.invoice_id, OLD.amount_cents, OLD.currency, OLD.booked_on)
        IS DISTINCT FROM (NEW.invoice_id, NEW.amount_cents, NEW.currency, NEW.booked_on) THEN
    PERFORM invalidate_report_snapshots(least(OLD.booked_on, NEW.booked_on));
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER late_fees_invalidate_reports AFTER UPDATE OR DELETE ON late_fees
  FOR EACH ROW EXECUTE FUNCTION late_fees_invalidate_reports();

CREATE FUNCTION late_fees_inserted_invalidate_reports() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM invalidate_report_snapshots((SELECT min(booked_on) FROM inserted));
  RETURN NULL;
END $$;
CREATE TRIGGER late_fees_inserted_invalidate_reports AFTER INSERT ON late_fees
  REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION late_fees_inserted_invalidate_reports();
