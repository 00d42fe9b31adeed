-- Customer balances: unapplied cash belongs to a customer when we know whose it is, and a customer's
-- unapplied cash and credit can be applied to their open invoices or refunded, each such movement
-- decided once and recorded with where the money went.

ALTER TABLE unapplied_payments ADD COLUMN customer_id uuid REFERENCES customers (id);
UPDATE unapplied_payments u SET customer_id = i.customer_id FROM invoices i WHERE i.id = u.hint_invoice_id;

-- A movement of a customer's balance: `applied` to open invoices (each allocation a payment handed to
-- the invoice's workflow through the gateway inbox) or `refunded` to the customer (an outbound event).
CREATE TABLE balance_movements (
  id           uuid PRIMARY KEY,
  customer_id  uuid NOT NULL REFERENCES customers (id),
  currency     char(3) NOT NULL,
  kind         text NOT NULL CHECK (kind IN ('applied', 'refunded')),
  -- What the balance gave: unapplied cash and credit (overpayments kept on paid invoices).
  cash_cents   bigint NOT NULL CHECK (cash_cents >= 0),
  credit_cents bigint NOT NULL CHECK (credit_cents >= 0),
  -- [{ invoiceId, number, amountCents, payments: [{ id, amountCents, funding }] }]
  allocations  jsonb NOT NULL DEFAULT '[]',
  -- The request's Idempotency-Key, or `<gateway>:<payment id>` for a gateway payment that named the customer.
  key          text UNIQUE,
  reference    text,
  actor        text NOT NULL,
  reason       text,
  created_at   timestamptz NOT NULL DEFAULT now(),
  CHECK (cash_cents + credit_cents > 0)
);
CREATE INDEX balance_movements_customer_idx ON balance_movements (customer_id, created_at);

-- Unapplied cash a movement took (whole rows; what it did not need is a new row `<movement>:rest`).
ALTER TABLE unapplied_payments ADD COLUMN movement_id uuid REFERENCES balance_movements (id);
ALTER TABLE unapplied_payments DROP CONSTRAINT unapplied_payments_status_check;
ALTER TABLE unapplied_payments ADD CONSTRAINT unapplied_payments_status_check
  CHECK (status IN ('unapplied', 'applying', 'applied', 'allocated', 'refunded'));
ALTER TABLE unapplied_payments DROP CONSTRAINT unapplied_payments_check;
ALTER TABLE unapplied_payments ADD CONSTRAINT unapplied_payments_claim_check
  CHECK ((status IN ('applying', 'applied')) = (claimed_invoice_id IS NOT NULL));
ALTER TABLE unapplied_payments ADD CONSTRAINT unapplied_payments_movement_check
  CHECK ((status IN ('allocated', 'refunded')) = (movement_id IS NOT NULL));
CREATE INDEX unapplied_payments_customer_idx ON unapplied_payments (customer_id, currency, received_at) WHERE status = 'unapplied';

-- Credit a movement used, per invoice that holds it: an invoice's credit left is its `customer_credits`
-- less what movements used of it.
CREATE TABLE balance_credit_uses (
  movement_id  uuid NOT NULL REFERENCES balance_movements (id),
  invoice_id   uuid NOT NULL REFERENCES invoices (id),
  amount_cents bigint NOT NULL CHECK (amount_cents > 0),
  PRIMARY KEY (movement_id, invoice_id)
);
CREATE INDEX balance_credit_uses_invoice_idx ON balance_credit_uses (invoice_id);

-- Unapplying a bank allocation: the payment is reversed on its invoice and the money goes back to
-- unapplied cash (`<line>:<invoice>:unapplied`).
ALTER TABLE bank_allocations ADD COLUMN reversed_by text, ADD COLUMN reversed_at timestamptz, ADD COLUMN reversal_reason text;

-- "Pay everything": a checkout session for a customer's open invoices in one currency, rather than one
-- invoice; its payment names the customer and is allocated oldest first.
ALTER TABLE checkout_sessions ALTER COLUMN invoice_id DROP NOT NULL, ADD COLUMN customer_id uuid REFERENCES customers (id);
ALTER TABLE checkout_sessions ADD CONSTRAINT checkout_sessions_for_check CHECK ((invoice_id IS NULL) <> (customer_id IS NULL));
CREATE UNIQUE INDEX checkout_sessions_customer_seq ON checkout_sessions (customer_id, currency, seq) WHERE customer_id IS NOT NULL;

-- Payments on their way to an invoice (in the inbox, or delivered and not yet projected), which a
-- balance movement counts as paid.
CREATE INDEX webhook_inbox_invoice_payment_idx ON webhook_inbox (invoice_id) WHERE fact->>'kind' = 'payment';
