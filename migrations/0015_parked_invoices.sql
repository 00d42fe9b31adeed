-- What the API needs to say what an open invoice waits for without asking its workflow, and to list
-- the ones waiting for nobody (parked: past their last step, no hand-off, no repeating tail).
ALTER TABLE invoices
  ADD COLUMN next_step_index integer,
  ADD COLUMN paused_ms bigint,
  ADD COLUMN promise_deadline timestamptz,
  ADD COLUMN parked_at timestamptz,
  -- An ERP import's choice for an invoice past every step: 'latest' (catch up) or 'none' (no action).
  ADD COLUMN import_catch_up text CHECK (import_catch_up IN ('latest', 'none'));
CREATE INDEX invoices_parked ON invoices (parked_at) WHERE parked_at IS NOT NULL AND status = 'open';
