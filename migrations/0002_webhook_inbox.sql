-- Payment gateway events: written (unique per gateway + event id) before the gateway gets its 2xx,
-- then delivered to the invoice workflow by the relay. Nothing acknowledged is ever lost.
CREATE TABLE webhook_inbox (
  gateway         text NOT NULL,
  event_id        text NOT NULL,
  event_type      text NOT NULL,
  invoice_id      text,
  fact            jsonb NOT NULL,
  occurred_at     timestamptz,
  received_at     timestamptz NOT NULL DEFAULT now(),
  status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'ignored', 'unapplied', 'flagged')),
  attempts        integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  delivered_at    timestamptz,
  last_error      text,
  PRIMARY KEY (gateway, event_id)
);
CREATE INDEX webhook_inbox_pending_idx ON webhook_inbox (next_attempt_at) WHERE status = 'pending';

-- Money that matches no open invoice waits here (status 'unapplied') until someone applies it.
ALTER TABLE payments DROP CONSTRAINT payments_status_check;
ALTER TABLE payments ADD CONSTRAINT payments_status_check CHECK (status IN ('applied', 'flagged', 'unapplied'));
ALTER TABLE payments ADD COLUMN gateway text;
CREATE INDEX payments_unapplied_idx ON payments (created_at) WHERE status = 'unapplied';
