import pino from 'pino';

export type Logger = pino.Logger;

/**
 * What of an error may be logged: its kind, message, stack and codes. Database errors carry the
 * statement's parameters and a `detail` with the failing row (payment ids, amounts, references,
 * addresses): those never reach a log line.
 */
export function safeError(err: unknown): unknown {
  if (!(err instanceof Error)) return err;
  const e = err as Error & {
    code?: unknown;
    severity?: unknown;
    constraint_name?: unknown;
    table_name?: unknown;
    column_name?: unknown;
    type?: unknown;
    cause?: unknown;
  };
  return {
    type: e.name,
    message: e.message,
    ...(e.stack ? { stack: e.stack } : {}),
    ...(typeof e.code === 'string' || typeof e.code === 'number' ? { code: e.code } : {}),
    ...(typeof e.type === 'string' ? { failureType: e.type } : {}),
    ...(typeof e.severity === 'string' ? { severity: e.severity } : {}),
    ...(typeof e.table_name === 'string' ? { table: e.table_name } : {}),
    ...(typeof e.column_name === 'string' ? { column: e.column_name } : {}),
    ...(typeof e.constraint_name === 'string' ? { constraint: e.constraint_name } : {}),
    ...(e.cause !== undefined && e.cause !== err ? { cause: safeError(e.cause) } : {}),
  };
}

/** Structured JSON logs; secrets, payloads and database row values are never logged. */
export function createLogger(level: string = process.env.LOG_LEVEL ?? 'info', destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'collections-engine' },
      redact: ['req.headers.authorization', '*.apiKey', '*.token'],
      serializers: { err: safeError, error: safeError },
    },
    destination,
  );
}
