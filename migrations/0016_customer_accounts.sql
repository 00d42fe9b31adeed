-- Customer accounts: several contacts per customer, a locale, credit limits per currency, a credit hold
-- that says who placed it and why, and the customer's dunning settings.

CREATE TABLE customer_contacts (
  customer_id uuid NOT NULL REFERENCES customers (id),
  position    integer NOT NULL CHECK (position >= 0),
  email       text NOT NULL CHECK (length(email) BETWEEN 3 AND 254),
  name        text CHECK (length(name) <= 200),
  -- billing: To; cc: in CC; escalation: in CC from the template `escalate_from` on (in severity order).
  role        text NOT NULL CHECK (role IN ('billing', 'cc', 'escalation')),
  escalate_from text,
  PRIMARY KEY (customer_id, position),
  CHECK ((role = 'escalation') = (escalate_from IS NOT NULL))
);
CREATE INDEX customer_contacts_email_idx ON customer_contacts (lower(email));

-- Every customer so far had one email: its billing contact.
INSERT INTO customer_contacts (customer_id, position, email, role)
  SELECT id, 0, email, 'billing' FROM customers;

CREATE TABLE customer_credit_limits (
  customer_id uuid NOT NULL REFERENCES customers (id),
  currency    char(3) NOT NULL,
  limit_cents bigint NOT NULL CHECK (limit_cents >= 0),
  PRIMARY KEY (customer_id, currency)
);

ALTER TABLE customers
  ADD COLUMN locale text NOT NULL DEFAULT 'en',
  -- Who placed the hold: a policy step, a collector through the API, or the credit limit.
  ADD COLUMN credit_hold_source text CHECK (credit_hold_source IN ('policy', 'api', 'limit')),
  ADD COLUMN credit_hold_reason text,
  ADD COLUMN credit_hold_at timestamptz,
  -- A hold placed by a policy step or the limit clears itself once nothing is overdue and the
  -- exposure is within the limit; one placed through the API waits for a person.
  ADD COLUMN credit_hold_auto_release boolean NOT NULL DEFAULT true,
  -- Grouping window and minimum gap between reminders (durations such as 1h, 2d); null: the engine's.
  ADD COLUMN reminder_grouping_window text,
  ADD COLUMN reminder_min_gap text;

UPDATE customers SET credit_hold_source = 'policy', credit_hold_at = updated_at, credit_hold_reason = 'dunning policy step'
  WHERE credit_hold;
ALTER TABLE customers ADD CONSTRAINT customers_hold_source CHECK (credit_hold = (credit_hold_source IS NOT NULL));

-- A recurring plan of a customer on hold skips its firing unless it says to keep billing.
ALTER TABLE recurring_plans ADD COLUMN bill_during_hold boolean NOT NULL DEFAULT false;

CREATE INDEX customers_name_idx ON customers (lower(name), id);

-- Every recipient of an email, To and CC ({"to": [...], "cc": [...]}); `recipient` keeps the To line.
ALTER TABLE email_sending ADD COLUMN recipients jsonb;
ALTER TABLE email_log ADD COLUMN recipients jsonb;
