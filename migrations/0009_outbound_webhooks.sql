-- Outbound events for ERPs and CRMs: written by the invoice projection in the same transaction as
-- the facts they announce (a transactional outbox), delivered to each subscribed endpoint with
-- retries, signed per the Standard Webhooks scheme.
CREATE TABLE webhook_endpoints (
  id          uuid PRIMARY KEY,
  url         text NOT NULL CHECK (url ~ '^https?://'),
  secret      text NOT NULL,
  events      text[] NOT NULL CHECK (cardinality(events) > 0),
  description text,
  created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE outbound_events (
  id         text PRIMARY KEY,
  type       text NOT NULL,
  invoice_id uuid REFERENCES invoices (id),
  payload    jsonb NOT NULL,
  created_at timestamptz NOT NULL
);
CREATE INDEX outbound_events_invoice_idx ON outbound_events (invoice_id, created_at);

CREATE TABLE webhook_deliveries (
  event_id         text NOT NULL REFERENCES outbound_events (id),
  endpoint_id      uuid NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
  status           text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
  attempts         integer NOT NULL DEFAULT 0,
  next_attempt_at  timestamptz NOT NULL DEFAULT now(),
  last_status_code integer,
  last_error       text,
  delivered_at     timestamptz,
  created_at       timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (event_id, endpoint_id)
);
CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_endpoint_idx ON webhook_deliveries (endpoint_id, created_at DESC);

CREATE FUNCTION webhook_deliveries_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('webhook_deliveries', '');
  RETURN NULL;
END $$;
CREATE TRIGGER webhook_deliveries_notify AFTER INSERT ON webhook_deliveries FOR EACH STATEMENT EXECUTE FUNCTION webhook_deliveries_notify();
