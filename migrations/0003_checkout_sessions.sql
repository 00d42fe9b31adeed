-- Hosted payment pages (Stripe Checkout) opened from an invoice's pay link. At most one is offered
-- per invoice at a time: it is reused while it is open and its amount is still the amount due, and
-- closed when the amount due changes, so nobody can pay a stale amount.
CREATE TABLE checkout_sessions (
  id           text PRIMARY KEY,
  provider     text NOT NULL,
  invoice_id   uuid NOT NULL REFERENCES invoices (id),
  seq          integer NOT NULL CHECK (seq > 0),
  amount_cents bigint NOT NULL CHECK (amount_cents > 0),
  currency     char(3) NOT NULL,
  url          text NOT NULL,
  expires_at   timestamptz NOT NULL,
  closed_at    timestamptz,
  created_at   timestamptz NOT NULL DEFAULT now(),
  UNIQUE (invoice_id, seq)
);
