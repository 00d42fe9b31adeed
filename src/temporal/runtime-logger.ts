import { DefaultLogger, Runtime, type LogLevel } from '@temporalio/worker';
import type { Logger } from '../log';

const LEVELS: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = { TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' };

/**
 * Sends the Temporal SDK's logs (worker, bundler, core) through our structured logger. The SDK
 * logs at WARN unless LOG_LEVEL asks for debug or trace. Call before any Temporal connection.
 */
export function installRuntimeLogger(log: Logger): void {
  const level: LogLevel = log.level === 'trace' ? 'TRACE' : log.level === 'debug' ? 'DEBUG' : 'WARN';
  Runtime.install({
    logger: new DefaultLogger(level, ({ level: l, message, meta }) => log[LEVELS[l]]({ component: 'temporal-sdk', ...meta }, message)),
  });
}
