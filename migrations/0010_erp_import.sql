-- ERP import: external ids make re-running an import a no-op; imported invoices keep the ERP's
-- number and what was paid before they were taken over.
ALTER TABLE customers ADD COLUMN external_id text UNIQUE;
ALTER TABLE invoices
  ADD COLUMN external_id text UNIQUE,
  ADD COLUMN external_number text,
  ADD COLUMN paid_before_import_cents bigint CHECK (paid_before_import_cents >= 0),
  ADD CHECK ((external_id IS NULL) = (paid_before_import_cents IS NULL));
