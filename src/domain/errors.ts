/**
 * Machine-readable codes for refusals. The HTTP layer maps each code to a status in one place
 * (`src/http/errors.ts`); workflows carry the code as the `type` of an `ApplicationFailure`.
 */
export const ErrorCode = {
  VALIDATION: 'VALIDATION',
  NOT_FOUND: 'NOT_FOUND',
  UNAUTHORIZED: 'UNAUTHORIZED',
  /** Signed in, but the role does not allow the action. */
  FORBIDDEN: 'FORBIDDEN',
  /** A form or page request without the session's CSRF token. */
  CSRF_TOKEN_INVALID: 'CSRF_TOKEN_INVALID',
  /** Another person already has this email address. */
  EMAIL_IN_USE: 'EMAIL_IN_USE',
  /** The change would leave nobody able to manage people. */
  LAST_ADMIN: 'LAST_ADMIN',
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
  /** A write-off of more than the invoice's amount due. */
  EXCEEDS_AMOUNT_DUE: 'EXCEEDS_AMOUNT_DUE',
  /** Unapplied cash already applied to (or being applied to) another invoice. */
  PAYMENT_ALREADY_APPLIED: 'PAYMENT_ALREADY_APPLIED',
  IDEMPOTENCY_CONFLICT: 'IDEMPOTENCY_CONFLICT',
  WORKFLOW_UNAVAILABLE: 'WORKFLOW_UNAVAILABLE',
  /** The invoice's workflow did not take the command in time (a burst of commands): retry. */
  WORKFLOW_BUSY: 'WORKFLOW_BUSY',
  /** The workflow accepted the command but Postgres refused to record it (a poison event): ops is alerted. */
  LEDGER_WRITE_PENDING: 'LEDGER_WRITE_PENDING',
  /** An outbound webhook URL that points at a private, loopback or link-local address. */
  WEBHOOK_TARGET_NOT_ALLOWED: 'WEBHOOK_TARGET_NOT_ALLOWED',
  CHECKOUT_NOT_CONFIGURED: 'CHECKOUT_NOT_CONFIGURED',
  CHECKOUT_UNAVAILABLE: 'CHECKOUT_UNAVAILABLE',
  PLAN_DELETED: 'PLAN_DELETED',
  PLAN_PAUSED: 'PLAN_PAUSED',
  SCHEDULER_UNAVAILABLE: 'SCHEDULER_UNAVAILABLE',
  /** The customer is on credit hold: no new credit without an override. */
  CREDIT_HOLD: 'CREDIT_HOLD',
  /** The invoice would take the customer's exposure past its credit limit. */
  CREDIT_LIMIT_EXCEEDED: 'CREDIT_LIMIT_EXCEEDED',
  /** A customer's currency cannot change once it has invoices. */
  CURRENCY_LOCKED: 'CURRENCY_LOCKED',
  /** A release of a credit hold the customer is not on. */
  NOT_ON_HOLD: 'NOT_ON_HOLD',
  /** The email provider refused an email for good (an address it will not deliver to). */
  EMAIL_REJECTED: 'EMAIL_REJECTED',
  /** A bank line a human (or the matcher) has decided already. */
  LINE_ALREADY_DECIDED: 'LINE_ALREADY_DECIDED',
  /** The customer's balance (unapplied cash and credit) holds less than asked for. */
  INSUFFICIENT_BALANCE: 'INSUFFICIENT_BALANCE',
  /** A bank allocation already unapplied, or whose payment has not reached its invoice yet. */
  ALLOCATION_NOT_REVERSIBLE: 'ALLOCATION_NOT_REVERSIBLE',
  /** A browser request from an origin the endpoint does not serve (the codec server's CORS list). */
  ORIGIN_NOT_ALLOWED: 'ORIGIN_NOT_ALLOWED',
  /** A payload the codec server cannot decrypt: an unknown key id, the wrong key, or altered bytes. */
  PAYLOAD_UNREADABLE: 'PAYLOAD_UNREADABLE',
  /** A request body that is not JSON where JSON is required. */
  UNSUPPORTED_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  /** A request Express itself refused (a malformed header or encoding). */
  BAD_REQUEST: 'BAD_REQUEST',
  /** Something failed that no input explains; it is logged, and the request changed nothing. */
  INTERNAL: 'INTERNAL',
  // Payment gateway webhooks: what the gateway is told (its status decides whether it retries).
  SIGNATURE_MISSING: 'SIGNATURE_MISSING',
  SIGNATURE_INVALID: 'SIGNATURE_INVALID',
  /** A signature timestamp outside the tolerance (a replay, or a clock far off). */
  SIGNATURE_EXPIRED: 'SIGNATURE_EXPIRED',
  /** A signed body that is not the gateway's event envelope. */
  MALFORMED: 'MALFORMED',
  /** A well-formed event whose content cannot be a payment fact (amount, currency, ids). */
  INVALID_EVENT: 'INVALID_EVENT',
  /** The event could not be stored (Postgres away): the gateway retries. */
  UNAVAILABLE: 'UNAVAILABLE',
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
