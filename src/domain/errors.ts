/**
 * Machine-readable codes for refusals. The HTTP layer maps each code to a status in one place
 * (`src/http/errors.ts`); workflows carry the code as the `type` of an `ApplicationFailure`.
 */
export const ErrorCode = {
  VALIDATION: 'VALIDATION',
  NOT_FOUND: 'NOT_FOUND',
  UNAUTHORIZED: 'UNAUTHORIZED',
  INVALID_POLICY: 'INVALID_POLICY',
  INVOICE_PAID: 'INVOICE_PAID',
  INVOICE_NOT_OPEN: 'INVOICE_NOT_OPEN',
  INVOICE_HAS_PAYMENTS: 'INVOICE_HAS_PAYMENTS',
  ALREADY_DISPUTED: 'ALREADY_DISPUTED',
  NOT_DISPUTED: 'NOT_DISPUTED',
  INVALID_PROMISE_DATE: 'INVALID_PROMISE_DATE',
  CURRENCY_MISMATCH: 'CURRENCY_MISMATCH',
  INVALID_AMOUNT: 'INVALID_AMOUNT',
  DUPLICATE_PAYMENT: 'DUPLICATE_PAYMENT',
  IDEMPOTENCY_CONFLICT: 'IDEMPOTENCY_CONFLICT',
  WORKFLOW_UNAVAILABLE: 'WORKFLOW_UNAVAILABLE',
  CHECKOUT_NOT_CONFIGURED: 'CHECKOUT_NOT_CONFIGURED',
  CHECKOUT_UNAVAILABLE: 'CHECKOUT_UNAVAILABLE',
  PLAN_DELETED: 'PLAN_DELETED',
  PLAN_PAUSED: 'PLAN_PAUSED',
  SCHEDULER_UNAVAILABLE: 'SCHEDULER_UNAVAILABLE',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Thrown when a command is refused by a business rule; never retried. */
export class DomainError extends Error {
  override readonly name = 'DomainError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
  }
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.values(ErrorCode).includes(value as ErrorCode);
}
