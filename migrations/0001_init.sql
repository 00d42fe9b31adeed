-- Business records of the collections engine. Amounts are integer minor units (bigint) + ISO currency.

CREATE TABLE customers (
  id                 uuid PRIMARY KEY,
  name               text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  email              text NOT NULL,
  time_zone          text NOT NULL,
  currency           char(3) NOT NULL,
  payment_terms_days integer NOT NULL CHECK (payment_terms_days BETWEEN 0 AND 365),
  policy_name        text,
  credit_hold        boolean NOT NULL DEFAULT false,
  created_at         timestamptz NOT NULL DEFAULT now(),
  updated_at         timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE policies (
  name       text NOT NULL,
  version    integer NOT NULL CHECK (version > 0),
  document   jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (name, version)
);

CREATE SEQUENCE invoice_number_seq;

CREATE TABLE invoices (
  id               uuid PRIMARY KEY,
  number           text NOT NULL UNIQUE,
  customer_id      uuid NOT NULL REFERENCES customers (id),
  currency         char(3) NOT NULL,
  total_cents      bigint NOT NULL CHECK (total_cents >= 0),
  fees_cents       bigint NOT NULL DEFAULT 0 CHECK (fees_cents >= 0),
  paid_cents       bigint NOT NULL DEFAULT 0 CHECK (paid_cents >= 0),
  refunded_cents   bigint NOT NULL DEFAULT 0 CHECK (refunded_cents >= 0),
  amount_due_cents bigint NOT NULL CHECK (amount_due_cents >= 0),
  status           text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'paid', 'void', 'uncollectible')),
  dunning_stage    text NOT NULL DEFAULT 'none',
  disputed         boolean NOT NULL DEFAULT false,
  promised_date    date,
  issue_date       date NOT NULL,
  due_at           timestamptz NOT NULL,
  policy_name      text NOT NULL,
  policy_version   integer NOT NULL,
  workflow_id      text NOT NULL UNIQUE,
  workflow_started boolean NOT NULL DEFAULT false,
  idempotency_key  text UNIQUE,
  request_hash     text,
  last_event_seq   integer NOT NULL DEFAULT 0,
  paid_at          timestamptz,
  closed_at        timestamptz,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  FOREIGN KEY (policy_name, policy_version) REFERENCES policies (name, version)
);
CREATE INDEX invoices_customer_idx ON invoices (customer_id, created_at DESC);
CREATE INDEX invoices_status_idx ON invoices (status, due_at);
CREATE INDEX invoices_unstarted_idx ON invoices (created_at) WHERE NOT workflow_started;

CREATE TABLE invoice_lines (
  invoice_id        uuid NOT NULL REFERENCES invoices (id),
  position          integer NOT NULL,
  description       text NOT NULL,
  quantity          integer NOT NULL CHECK (quantity > 0),
  unit_amount_cents bigint NOT NULL CHECK (unit_amount_cents >= 0),
  amount_cents      bigint NOT NULL CHECK (amount_cents >= 0),
  PRIMARY KEY (invoice_id, position)
);

CREATE TABLE invoice_documents (
  invoice_id uuid PRIMARY KEY REFERENCES invoices (id),
  filename   text NOT NULL,
  content    bytea NOT NULL,
  sha256     text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- Payments and refunds as reported (gateway ids are unique per kind); applied at most once.
CREATE TABLE payments (
  kind         text NOT NULL CHECK (kind IN ('payment', 'refund')),
  id           text NOT NULL,
  invoice_id   uuid REFERENCES invoices (id),
  payment_id   text,
  amount_cents bigint NOT NULL CHECK (amount_cents > 0),
  currency     char(3) NOT NULL,
  status       text NOT NULL CHECK (status IN ('applied', 'flagged')),
  flag_reason  text,
  method       text,
  reference    text,
  actor        text NOT NULL,
  received_at  timestamptz NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (kind, id)
);
CREATE INDEX payments_invoice_idx ON payments (invoice_id);

CREATE TABLE customer_credits (
  payment_id   text PRIMARY KEY,
  customer_id  uuid NOT NULL REFERENCES customers (id),
  invoice_id   uuid REFERENCES invoices (id),
  amount_cents bigint NOT NULL CHECK (amount_cents > 0),
  currency     char(3) NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE late_fees (
  invoice_id   uuid NOT NULL REFERENCES invoices (id),
  step_index   integer NOT NULL,
  amount_cents bigint NOT NULL CHECK (amount_cents > 0),
  currency     char(3) NOT NULL,
  applied_at   timestamptz NOT NULL,
  PRIMARY KEY (invoice_id, step_index)
);

-- Every email we produced, keyed by its idempotency key (workflow id + step): sent at most once.
CREATE TABLE email_log (
  idempotency_key     text PRIMARY KEY,
  invoice_id          uuid REFERENCES invoices (id),
  customer_id         uuid REFERENCES customers (id),
  template            text NOT NULL,
  recipient           text NOT NULL,
  subject             text NOT NULL,
  html                text NOT NULL,
  text                text NOT NULL,
  attachments         jsonb NOT NULL DEFAULT '[]',
  transport           text NOT NULL CHECK (transport IN ('outbox', 'resend')),
  provider_message_id text,
  created_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX email_log_invoice_idx ON email_log (invoice_id, created_at);

-- Who did what, when and why. Invoice events carry the workflow's sequence number (unique).
CREATE TABLE audit_log (
  id          bigserial PRIMARY KEY,
  entity_type text NOT NULL,
  entity_id   text NOT NULL,
  seq         integer,
  action      text NOT NULL,
  actor       text NOT NULL,
  reason      text,
  data        jsonb NOT NULL DEFAULT '{}',
  at          timestamptz NOT NULL DEFAULT now(),
  UNIQUE (entity_type, entity_id, seq)
);
CREATE INDEX audit_log_entity_idx ON audit_log (entity_type, entity_id, id);
