import pino from 'pino';

export type Logger = pino.Logger;

/** Structured JSON logs; secrets and payloads are never logged by callers. */
export function createLogger(level: string = process.env.LOG_LEVEL ?? 'info', destination?: pino.DestinationStream): Logger {
  return pino({ level, base: { service: 'collections-engine' }, redact: ['req.headers.authorization', '*.apiKey', '*.token'] }, destination);
}
