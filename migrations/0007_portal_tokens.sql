-- Customer portal links: an unguessable token (only its SHA-256 is stored) that opens one customer's
-- account until it expires.
CREATE TABLE portal_tokens (
  token_hash  text PRIMARY KEY,
  customer_id uuid NOT NULL REFERENCES customers (id),
  expires_at  timestamptz NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  created_for text NOT NULL
);
CREATE INDEX portal_tokens_expiry_idx ON portal_tokens (expires_at);
