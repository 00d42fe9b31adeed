-- Running invoices can move to another version of their policy (for their future steps). The new
-- version's step indices restart at 0, so a late fee is identified by the policy generation too.
ALTER TABLE late_fees ADD COLUMN policy_generation integer NOT NULL DEFAULT 0;
ALTER TABLE late_fees DROP CONSTRAINT late_fees_pkey;
ALTER TABLE late_fees ADD PRIMARY KEY (invoice_id, policy_generation, step_index);
