-- Cash application: bank statements, their lines and where their money went.

-- The engine's own bank accounts (where customers pay), with a saved CSV column mapping if any.
CREATE TABLE IF NOT EXISTS bank_accounts (
  account     text PRIMARY KEY,          -- IBAN or account number, without spaces, upper case
  currency    text NOT NULL,
  csv_mapping jsonb,
  created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS bank_statements (
  id            uuid PRIMARY KEY,
  account       text NOT NULL REFERENCES bank_accounts (account),
  format        text NOT NULL CHECK (format IN ('camt053', 'bai2', 'mt940', 'csv')),
  statement_ref text,
  period_from   date,
  period_to     date,
  file_sha256   text NOT NULL,
  imported_by   text NOT NULL,
  imported_at   timestamptz NOT NULL DEFAULT now()
);

-- One entry of a statement, once per account and entry key (the bank's reference, or a stable hash
-- of what the entry says): a file imported again, or an overlapping one, adds nothing.
CREATE TABLE IF NOT EXISTS bank_lines (
  id                   uuid PRIMARY KEY,
  account              text NOT NULL REFERENCES bank_accounts (account),
  entry_key            text NOT NULL,
  statement_id         uuid NOT NULL REFERENCES bank_statements (id),
  direction            text NOT NULL CHECK (direction IN ('credit', 'debit')),
  amount_cents         bigint NOT NULL CHECK (amount_cents > 0),
  currency             text NOT NULL,
  booking_date         date NOT NULL,
  value_date           date,
  bank_reference       text,
  end_to_end_id        text,
  structured_reference text,
  remittance           text NOT NULL,
  payer_name           text,
  payer_account        text,
  type_code            text,
  location             text NOT NULL,
  -- ignored: a debit; applied: its money went where `bank_allocations` says; suggested / unmatched:
  -- waiting in the review queue; rejected: a human said it is not a customer payment.
  status               text NOT NULL CHECK (status IN ('ignored', 'applied', 'suggested', 'unmatched', 'rejected')),
  -- The matcher's decision: proposals with their confidence and the rules that fired.
  decision             jsonb,
  decided_by           text,
  decided_at           timestamptz,
  created_at           timestamptz NOT NULL DEFAULT now(),
  UNIQUE (account, entry_key)
);
CREATE INDEX IF NOT EXISTS bank_lines_review_idx ON bank_lines (booking_date, created_at) WHERE status IN ('suggested', 'unmatched');
CREATE INDEX IF NOT EXISTS bank_lines_statement_idx ON bank_lines (statement_id);

-- Where a line's money went: each allocation is one payment (`bank:<line>:<invoice>`) handed to the
-- invoice's workflow through the gateway inbox, which applies it exactly once.
CREATE TABLE IF NOT EXISTS bank_allocations (
  line_id      uuid NOT NULL REFERENCES bank_lines (id),
  invoice_id   uuid NOT NULL REFERENCES invoices (id),
  amount_cents bigint NOT NULL CHECK (amount_cents > 0),
  payment_id   text NOT NULL UNIQUE,
  -- A short payment's difference written off as bank charges (applied by a later release).
  write_off_cents bigint NOT NULL DEFAULT 0 CHECK (write_off_cents >= 0),
  decided_by   text NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (line_id, invoice_id)
);

-- Payer accounts learned from confirmed matches: money from this account is this customer's.
CREATE TABLE IF NOT EXISTS payer_accounts (
  account      text PRIMARY KEY,
  customer_id  uuid NOT NULL REFERENCES customers (id),
  learned_from uuid REFERENCES bank_lines (id),
  confirmed_by text NOT NULL,
  confirmed_at timestamptz NOT NULL DEFAULT now()
);
