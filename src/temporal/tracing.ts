import { context, propagation, trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { Resource } from '@opentelemetry/resources';
import {
  BatchSpanProcessor,
  ConsoleSpanExporter,
  SimpleSpanProcessor,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import type { WorkflowClientInterceptor } from '@temporalio/client';
import {
  makeWorkflowExporter,
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
  OpenTelemetryWorkflowClientInterceptor,
} from '@temporalio/interceptors-opentelemetry';
import type { WorkerOptions } from '@temporalio/worker';

/** What a client and workers need to carry traces through Temporal. */
export interface TemporalTracing {
  readonly clientInterceptors: WorkflowClientInterceptor[];
  /** Worker options: activity interceptors and the sink that exports workflow spans. */
  readonly worker: Pick<WorkerOptions, 'sinks'> & { readonly activityInterceptors: NonNullable<WorkerOptions['interceptors']>['activity'] };
  shutdown(): Promise<void>;
}

/**
 * Starts OpenTelemetry tracing for this process: one provider (registered globally, so Express
 * requests, the inbox relay and emails join the same traces), the Temporal client interceptor
 * (start, signal, update and query calls carry the trace in their headers) and, for workers,
 * activity interceptors and the workflow span exporter. `exporter` is OTLP over HTTP (configured by
 * the standard `OTEL_EXPORTER_OTLP_*` variables), the console, or any exporter (tests pass an
 * in-memory one).
 */
export function startTracing(o: { serviceName: string; exporter: 'otlp' | 'console' | SpanExporter }): TemporalTracing {
  const exporter = o.exporter === 'otlp' ? new OTLPTraceExporter() : o.exporter === 'console' ? new ConsoleSpanExporter() : o.exporter;
  const processor: SpanProcessor = o.exporter === 'otlp' ? new BatchSpanProcessor(exporter) : new SimpleSpanProcessor(exporter);
  const resource = new Resource({ 'service.name': o.serviceName });
  const provider = new NodeTracerProvider({ resource, spanProcessors: [processor] });
  provider.register();
  return {
    clientInterceptors: [new OpenTelemetryWorkflowClientInterceptor()],
    worker: {
      activityInterceptors: [
        (ctx) => ({
          inbound: new OpenTelemetryActivityInboundInterceptor(ctx),
          outbound: new OpenTelemetryActivityOutboundInterceptor(ctx),
        }),
      ],
      sinks: { exporter: makeWorkflowExporter(processor, resource) },
    },
    async shutdown() {
      await provider.shutdown();
      trace.disable();
      context.disable();
      propagation.disable();
    },
  };
}
