import { DefaultLogger, Runtime, type LogLevel } from '@temporalio/worker';
import type { Logger } from '../log';

const LEVELS: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};

/**
 * Sends the Temporal SDK's logs (worker, bundler, core) through our structured logger. The SDK
 * logs at WARN unless LOG_LEVEL asks for debug or trace. With `metricsAddress` (`host:port`), the
 * SDK serves its worker metrics (task slots, poll and schedule-to-start latencies, activity and
 * workflow outcomes) in Prometheus format there; the API's `/metrics` includes them. Call before
 * any Temporal connection.
 */
export function installRuntimeLogger(log: Logger, o: { metricsAddress?: string } = {}): void {
  const level: LogLevel = log.level === 'trace' ? 'TRACE' : log.level === 'debug' ? 'DEBUG' : 'WARN';
  Runtime.install({
    logger: new DefaultLogger(level, ({ level: l, message, meta }) => log[LEVELS[l]]({ component: 'temporal-sdk', ...meta }, message)),
    ...(o.metricsAddress
      ? { telemetryOptions: { metrics: { prometheus: { bindAddress: o.metricsAddress, useSecondsForDurations: true } } } }
      : {}),
  });
}
