import type { ErrorRequestHandler, RequestHandler, Response } from 'express';
import { type z } from 'zod';
import { DomainError, ErrorCode } from '../domain/errors';
import { describeIssues } from '../domain/policy-schema';
import postgres from 'postgres';

/** The one place where error codes become HTTP statuses. */
export const STATUS_OF: Record<ErrorCode, number> = {
  VALIDATION: 400,
  NOT_FOUND: 404,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  CSRF_TOKEN_INVALID: 403,
  EMAIL_IN_USE: 409,
  LAST_ADMIN: 409,
  INVALID_POLICY: 422,
  INVOICE_PAID: 409,
  INVOICE_NOT_OPEN: 409,
  INVOICE_HAS_PAYMENTS: 409,
  ALREADY_DISPUTED: 409,
  NOT_DISPUTED: 409,
  INVALID_PROMISE_DATE: 422,
  CURRENCY_MISMATCH: 422,
  INVALID_AMOUNT: 422,
  DUPLICATE_PAYMENT: 409,
  EXCEEDS_AMOUNT_DUE: 409,
  PAYMENT_ALREADY_APPLIED: 409,
  IDEMPOTENCY_CONFLICT: 409,
  WORKFLOW_UNAVAILABLE: 503,
  WORKFLOW_BUSY: 503,
  LEDGER_WRITE_PENDING: 503,
  WEBHOOK_TARGET_NOT_ALLOWED: 422,
  CHECKOUT_NOT_CONFIGURED: 501,
  CHECKOUT_UNAVAILABLE: 502,
  PLAN_DELETED: 409,
  CREDIT_HOLD: 409,
  CREDIT_LIMIT_EXCEEDED: 409,
  CURRENCY_LOCKED: 409,
  NOT_ON_HOLD: 409,
  EMAIL_REJECTED: 502,
  PLAN_PAUSED: 409,
  SCHEDULER_UNAVAILABLE: 503,
  ORIGIN_NOT_ALLOWED: 403,
  LINE_ALREADY_DECIDED: 409,
  INSUFFICIENT_BALANCE: 409,
  ALLOCATION_NOT_REVERSIBLE: 409,
  PAYLOAD_UNREADABLE: 422,
  UNSUPPORTED_MEDIA_TYPE: 415,
  PAYLOAD_TOO_LARGE: 413,
  BAD_REQUEST: 400,
  INTERNAL: 500,
  SIGNATURE_MISSING: 400,
  SIGNATURE_INVALID: 400,
  SIGNATURE_EXPIRED: 400,
  MALFORMED: 400,
  INVALID_EVENT: 400,
  UNAVAILABLE: 503,
};

/** Answers `{ error: { code, message } }` with the code's status. */
export function sendError(res: Response, code: ErrorCode, message: string, extra: { field?: string; details?: unknown } = {}): void {
  res.status(STATUS_OF[code]).json({ error: { code, message, ...extra } } satisfies ErrorBody);
}

export interface ErrorBody {
  error: { code: ErrorCode; message: string; field?: string; details?: unknown };
}

/** Parses a JSON body or query object (absent → `{}`); issues become a 400 naming the field. */
export function parseBody<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  return parseValue(schema, input ?? {});
}

/** Parses a single value such as a header; issues become a 400 naming the field. */
export function parseValue<S extends z.ZodType>(schema: S, input: unknown, name?: string): z.output<S> {
  const result = schema.safeParse(input);
  if (!result.success) {
    const first = result.error.issues[0];
    const message = describeIssues(result.error);
    throw new DomainError(ErrorCode.VALIDATION, name ? `${name}: ${message}` : message, {
      field: name ?? first?.path.map(String).join('.') ?? '',
      issues: result.error.issues.map((i) => ({ field: i.path.map(String).join('.'), message: i.message })),
    });
  }
  return result.data;
}

export const notFound: RequestHandler = (req, res) => {
  sendError(res, ErrorCode.NOT_FOUND, `no route for ${req.method} ${req.path}`);
};

export function errorHandler(log: { error(obj: object, msg: string): void; warn(obj: object, msg: string): void }): ErrorRequestHandler {
  return (err, req, res, _next) => {
    if (err instanceof DomainError) {
      const { field, ...details } = err.details as { field?: string };
      sendError(res, err.code, err.message, { ...(field ? { field } : {}), ...(Object.keys(details).length ? { details } : {}) });
      return;
    }
    const status = typeof err?.status === 'number' ? err.status : 500;
    if (err instanceof postgres.PostgresError && String(err.code).startsWith('22')) {
      // A value Postgres cannot take that validation let through: still the caller's input, still a 400.
      log.warn({ err, path: req.route?.path ?? req.path, method: req.method }, 'input reached Postgres unvalidated');
      sendError(res, ErrorCode.VALIDATION, 'a value in the request cannot be stored (control characters, or out of range)');
    } else if (err?.type === 'entity.parse.failed') {
      sendError(res, ErrorCode.VALIDATION, 'request body is not valid JSON');
    } else if (err?.type === 'entity.too.large') {
      sendError(res, ErrorCode.PAYLOAD_TOO_LARGE, 'request body exceeds 1 MB');
    } else if (status >= 400 && status < 500) {
      // Express's own refusals (a bad header or encoding) keep their 4xx.
      res
        .status(status)
        .json({ error: { code: ErrorCode.BAD_REQUEST, message: String(err.message ?? 'bad request') } } satisfies ErrorBody);
    } else {
      log.error({ err, path: req.path, method: req.method }, 'unhandled error');
      sendError(res, ErrorCode.INTERNAL, 'internal error');
    }
  };
}
