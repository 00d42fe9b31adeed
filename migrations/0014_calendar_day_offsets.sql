-- How an invoice's schedule reads day offsets: `calendar` (days on the customer's calendar, acting at
-- the send window's opening or 09:00) for invoices whose workflow started since the
-- 'calendar-day-offsets' patch; NULL (instants from the end of the due day) for the ones before.
ALTER TABLE invoices ADD COLUMN schedule_rules text CHECK (schedule_rules IN ('instant', 'calendar'));
