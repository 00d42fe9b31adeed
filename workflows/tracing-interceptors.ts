import {
  OpenTelemetryInboundInterceptor,
  OpenTelemetryInternalsInterceptor,
  OpenTelemetryOutboundInterceptor,
} from '@temporalio/interceptors-opentelemetry/lib/workflow';
import type { WorkflowInterceptorsFactory } from '@temporalio/workflow';

/** The header OpenTelemetry's client interceptor puts on a workflow start (`TRACE_HEADER`). */
const TRACE_HEADER = '_tracer-data';

/**
 * OpenTelemetry's workflow interceptors, for workflows started in a trace only. They wrap every
 * handler and activity call in a span, and their awaits reorder a workflow task's commands: a
 * history written without them does not replay with them (see the replay test). So whether a
 * workflow is traced is settled once, by its start (a start header from a traced client), and kept
 * for its whole life; untraced workflows go straight through, exactly as with no interceptor, so
 * turning tracing on or off never breaks a running workflow. Every worker loads this module.
 */
export const interceptors: WorkflowInterceptorsFactory = () => {
  let traced = false;
  const inbound = new OpenTelemetryInboundInterceptor();
  const outbound = new OpenTelemetryOutboundInterceptor();
  const internals = new OpenTelemetryInternalsInterceptor();
  return {
    inbound: [
      {
        execute(input, next) {
          traced = TRACE_HEADER in input.headers;
          return traced ? inbound.execute(input, next) : next(input);
        },
        handleSignal: (input, next) => (traced ? inbound.handleSignal(input, next) : next(input)),
        handleUpdate: (input, next) => (traced ? inbound.handleUpdate(input, next) : next(input)),
        validateUpdate: (input, next) => (traced ? inbound.validateUpdate(input, next) : next(input)),
        handleQuery: (input, next) => (traced ? inbound.handleQuery(input, next) : next(input)),
      },
    ],
    outbound: [
      {
        scheduleActivity: (input, next) => (traced ? outbound.scheduleActivity(input, next) : next(input)),
        scheduleLocalActivity: (input, next) => (traced ? outbound.scheduleLocalActivity(input, next) : next(input)),
        startChildWorkflowExecution: (input, next) => (traced ? outbound.startChildWorkflowExecution(input, next) : next(input)),
        continueAsNew: (input, next) => (traced ? outbound.continueAsNew(input, next) : next(input)),
        signalWorkflow: (input, next) => (traced ? outbound.signalWorkflow(input, next) : next(input)),
        getLogAttributes: (input, next) => (traced ? outbound.getLogAttributes(input, next) : next(input)),
        getMetricTags: (input, next) => (traced ? outbound.getMetricTags(input, next) : next(input)),
      },
    ],
    internals: [
      {
        dispose(input, next) {
          if (traced) void internals.dispose(input, next);
          else next(input);
        },
      },
    ],
  };
};
