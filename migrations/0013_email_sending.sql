-- An email between rendering and its log row: a retry after a crash sends these exact bytes again
-- (providers de-duplicate on the idempotency key only for identical content). The row holds the live
-- portal link only while the email is in flight; the log keeps a copy without it.
CREATE TABLE email_sending (
  idempotency_key text PRIMARY KEY,
  recipient       text NOT NULL,
  subject         text NOT NULL,
  html            text NOT NULL,
  text            text NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX email_sending_created_idx ON email_sending (created_at);
