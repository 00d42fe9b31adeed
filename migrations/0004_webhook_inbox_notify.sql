-- Wakes the relays (which run with the workers, possibly in other processes) when an event is stored:
-- the notification is sent when the acknowledging transaction commits.
CREATE FUNCTION webhook_inbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('webhook_inbox', '');
  RETURN NULL;
END $$;
CREATE TRIGGER webhook_inbox_notify AFTER INSERT ON webhook_inbox FOR EACH STATEMENT EXECUTE FUNCTION webhook_inbox_notify();
