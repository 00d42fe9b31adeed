-- Recurring plans: each runs as a Temporal Schedule (`recurring-plan-<id>`) whose firings create
-- one invoice per billing period.
CREATE TABLE recurring_plans (
  id           uuid PRIMARY KEY,
  customer_id  uuid NOT NULL REFERENCES customers (id),
  currency     char(3) NOT NULL,
  lines        jsonb NOT NULL,
  policy_name  text,
  interval     jsonb NOT NULL,
  hour         smallint NOT NULL CHECK (hour BETWEEN 0 AND 23),
  time_zone    text NOT NULL,
  starts_on    date,
  ends_on      date,
  status       text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'paused', 'deleted')),
  schedule_id  text NOT NULL UNIQUE,
  idempotency_key text UNIQUE,
  request_hash text,
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now(),
  CHECK (ends_on IS NULL OR starts_on IS NULL OR ends_on >= starts_on)
);
CREATE INDEX recurring_plans_customer_idx ON recurring_plans (customer_id, created_at DESC);

ALTER TABLE invoices
  ADD COLUMN recurring_plan_id uuid REFERENCES recurring_plans (id),
  ADD COLUMN billing_period text,
  ADD CHECK ((recurring_plan_id IS NULL) = (billing_period IS NULL));
-- The backstop of "one invoice per plan and period", whatever the schedule fires.
CREATE UNIQUE INDEX invoices_plan_period_idx ON invoices (recurring_plan_id, billing_period) WHERE recurring_plan_id IS NOT NULL;
