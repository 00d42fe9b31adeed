-- Money integrity: the ledger is keyed exactly as each invoice's workflow keys what it applies, money
-- that waits for a human lives apart from it, and nothing that reaches the projection is dropped.

-- Unapplied cash: money that matched no open invoice, keyed by where it came from (two gateways may
-- use the same id). Applying it claims the row first (one winner), then the invoice's workflow applies
-- it and its projection marks it applied in the same transaction as the ledger row.
CREATE TABLE unapplied_payments (
  source             text NOT NULL,
  id                 text NOT NULL,
  amount_cents       bigint NOT NULL CHECK (amount_cents > 0),
  currency           char(3) NOT NULL,
  method             text,
  reference          text,
  reason             text NOT NULL,
  hint_invoice_id    uuid REFERENCES invoices (id),
  status             text NOT NULL DEFAULT 'unapplied' CHECK (status IN ('unapplied', 'applying', 'applied')),
  claimed_invoice_id uuid REFERENCES invoices (id),
  claimed_at         timestamptz,
  applied_at         timestamptz,
  received_at        timestamptz NOT NULL,
  created_at         timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (source, id),
  CHECK ((status = 'unapplied') = (claimed_invoice_id IS NULL))
);
CREATE INDEX unapplied_payments_open_idx ON unapplied_payments (received_at) WHERE status <> 'applied';
CREATE INDEX unapplied_payments_id_idx ON unapplied_payments (id);

INSERT INTO unapplied_payments (source, id, amount_cents, currency, method, reference, reason, hint_invoice_id, received_at, created_at)
  SELECT coalesce(gateway, 'unknown'), id, amount_cents, currency, method, reference, coalesce(flag_reason, 'matched no open invoice'), invoice_id, received_at, created_at
  FROM payments WHERE status = 'unapplied'
  ON CONFLICT DO NOTHING;
DELETE FROM payments WHERE status = 'unapplied';

-- Facts a human must look at: payments and refunds the workflow would not apply (another currency, an
-- amount no ledger can hold, a refund of a payment the invoice does not have or beyond it).
CREATE TABLE ledger_flags (
  invoice_id   uuid NOT NULL REFERENCES invoices (id),
  flag_id      text NOT NULL,
  kind         text NOT NULL CHECK (kind IN ('payment_flagged', 'refund_flagged')),
  reason       text NOT NULL,
  ref_id       text NOT NULL,
  payment_id   text,
  amount_cents bigint,
  currency     text,
  actor        text NOT NULL,
  flagged_at   timestamptz NOT NULL,
  resolved_at  timestamptz,
  resolved_by  text,
  resolution   text,
  PRIMARY KEY (invoice_id, flag_id)
);
CREATE INDEX ledger_flags_open_idx ON ledger_flags (flagged_at) WHERE resolved_at IS NULL;

INSERT INTO ledger_flags (invoice_id, flag_id, kind, reason, ref_id, amount_cents, currency, actor, flagged_at)
  SELECT invoice_id, 'payment:' || id, 'payment_flagged', coalesce(flag_reason, 'flagged'), id, amount_cents, currency, actor, received_at
  FROM payments WHERE status = 'flagged' AND invoice_id IS NOT NULL
  ON CONFLICT DO NOTHING;
DELETE FROM payments WHERE status = 'flagged';

-- The ledger: the payments and refunds of one invoice, unique per invoice as its workflow applies them
-- (one remittance split over two invoices is two rows).
ALTER TABLE payments DROP CONSTRAINT payments_pkey;
ALTER TABLE payments ALTER COLUMN invoice_id SET NOT NULL;
ALTER TABLE payments DROP CONSTRAINT payments_status_check;
ALTER TABLE payments ADD CONSTRAINT payments_status_check CHECK (status = 'applied');
ALTER TABLE payments ADD PRIMARY KEY (invoice_id, kind, id);
DROP INDEX payments_unapplied_idx;
DROP INDEX payments_invoice_idx;
-- Refunds and chargebacks that name no invoice find it through the payment.
CREATE INDEX payments_payment_id_idx ON payments (id) WHERE kind = 'payment';

-- Customer credit: signed entries per invoice, overpayments in and the refunds of them out.
ALTER TABLE customer_credits ADD COLUMN entry_id text, ADD COLUMN refund_id text;
UPDATE customer_credits SET entry_id = 'payment:' || payment_id;
ALTER TABLE customer_credits DROP CONSTRAINT customer_credits_pkey;
ALTER TABLE customer_credits ALTER COLUMN entry_id SET NOT NULL, ALTER COLUMN invoice_id SET NOT NULL, ALTER COLUMN payment_id DROP NOT NULL;
ALTER TABLE customer_credits ADD PRIMARY KEY (invoice_id, entry_id);
ALTER TABLE customer_credits DROP CONSTRAINT customer_credits_amount_cents_check;
ALTER TABLE customer_credits ADD CONSTRAINT customer_credits_amount_cents_check CHECK (amount_cents <> 0);
CREATE INDEX customer_credits_customer_idx ON customer_credits (customer_id, currency);

-- Idempotency keys of commands that move money (manual payments): one key, one request on one invoice.
CREATE TABLE idempotency_keys (
  scope        text NOT NULL,
  key          text NOT NULL,
  request_hash text NOT NULL,
  invoice_id   uuid REFERENCES invoices (id),
  created_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (scope, key)
);
-- Keys used before this table existed: the invoice is known, the request body is not.
INSERT INTO idempotency_keys (scope, key, request_hash, invoice_id, created_at)
  SELECT 'manual_payment', substr(id, 8), 'unknown', invoice_id, created_at FROM payments
  WHERE kind = 'payment' AND id LIKE 'manual\_%'
  ON CONFLICT DO NOTHING;

-- Events Postgres refused to store (a poison event): the invoice waits for a human instead of retrying.
CREATE TABLE projection_failures (
  invoice_id  uuid NOT NULL REFERENCES invoices (id),
  seq         integer NOT NULL,
  error       text NOT NULL,
  sql_state   text,
  failed_at   timestamptz NOT NULL DEFAULT now(),
  resolved_at timestamptz,
  PRIMARY KEY (invoice_id, seq)
);
CREATE INDEX projection_failures_open_idx ON projection_failures (failed_at) WHERE resolved_at IS NULL;

-- Dashboard sign-ins: a random token per session, only its hash kept; signing out or expiry ends it.
CREATE TABLE dashboard_sessions (
  token_hash   text PRIMARY KEY,
  created_at   timestamptz NOT NULL DEFAULT now(),
  expires_at   timestamptz NOT NULL,
  last_seen_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX dashboard_sessions_expiry_idx ON dashboard_sessions (expires_at);

-- Stored emails keep no live portal token (only its hash is kept in portal_tokens).
UPDATE email_log SET
  html = regexp_replace(html, '/portal/[A-Za-z0-9_-]{43}', '/portal/[personal-link]', 'g'),
  text = regexp_replace(text, '/portal/[A-Za-z0-9_-]{43}', '/portal/[personal-link]', 'g')
WHERE html ~ '/portal/[A-Za-z0-9_-]{43}' OR text ~ '/portal/[A-Za-z0-9_-]{43}';
