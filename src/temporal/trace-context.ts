import { context, propagation, SpanStatusCode, trace, type Attributes, type Context } from '@opentelemetry/api';

/**
 * The tracer of the engine's own spans (HTTP requests, the inbox relay, emails): the OpenTelemetry
 * API only, a no-op until `startTracing` (`./tracing`) registers a provider.
 */
export const tracer = () => trace.getTracer('collections-engine');

/** The active trace as W3C headers (`traceparent`, `tracestate`), to store beside work picked up later; null outside a trace. */
export function currentTraceContext(): Record<string, string> | null {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier.traceparent ? carrier : null;
}

/** The context stored by `currentTraceContext`, to continue that trace (the root context without one). */
export function storedTraceContext(carrier: Record<string, string> | null | undefined): Context {
  return carrier ? propagation.extract(context.active(), carrier) : context.active();
}

/**
 * Runs `work` in a span of the engine's tracer named `name`: its outcome's attributes are added
 * (`describe`), a failure is recorded on it, and it always ends. A no-op span unless tracing is on.
 */
export function inSpan<T>(
  name: string,
  attributes: Attributes,
  work: () => Promise<T>,
  describe: (result: T) => Attributes = () => ({}),
): Promise<T> {
  return tracer().startActiveSpan(name, { attributes }, async (span) => {
    try {
      const result = await work();
      span.setAttributes(describe(result));
      return result;
    } catch (err) {
      span.recordException(err as Error);
      span.setStatus({ code: SpanStatusCode.ERROR });
      throw err;
    } finally {
      span.end();
    }
  });
}
