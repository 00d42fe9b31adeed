-- The trace a gateway event arrived in (W3C traceparent/tracestate), so the relay that delivers it
-- later continues that trace. Null when tracing is off.
ALTER TABLE webhook_inbox ADD COLUMN IF NOT EXISTS trace_context jsonb;
