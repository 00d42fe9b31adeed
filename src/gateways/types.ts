import { DomainError, type ErrorCode } from '../domain/errors';
import type { IncomingHttpHeaders } from 'node:http';
import type { WriteOffCategory } from '../domain/invoice';

/** What a gateway event means for us, independent of the gateway's wire format. */
export type GatewayFact =
  | {
      readonly kind: 'payment';
      readonly invoiceId: string | null;
      /** Set when the payment is for a customer's account, not one invoice: applied oldest first. */
      readonly customerId?: string;
      readonly paymentId: string;
      readonly amountCents: number;
      readonly currency: string;
      readonly method?: string;
      readonly reference?: string;
      /** Set by cash application only: a short payment settling the invoice (`PaymentFact.writeOff`). */
      readonly writeOff?: { readonly upToCents: number; readonly category: WriteOffCategory };
    }
  | { readonly kind: 'payment_failed'; readonly invoiceId: string | null; readonly paymentId: string; readonly reason: string }
  | {
      readonly kind: 'refund';
      readonly invoiceId: string | null;
      readonly paymentId: string;
      readonly refundId: string;
      readonly amountCents: number;
      readonly currency: string;
    }
  | {
      readonly kind: 'chargeback';
      readonly invoiceId: string | null;
      readonly paymentId: string;
      readonly disputeId: string;
      readonly stage: 'opened' | 'won' | 'lost';
      readonly amountCents: number;
      readonly currency: string;
    }
  | { readonly kind: 'none' };

export interface GatewayEvent {
  readonly id: string;
  readonly type: string;
  readonly occurredAt: string | null;
  readonly fact: GatewayFact;
}

/** The codes a webhook request is refused with (their statuses: `STATUS_OF`, as for the API). */
export type WebhookErrorCode = Extract<
  ErrorCode,
  'SIGNATURE_MISSING' | 'SIGNATURE_INVALID' | 'SIGNATURE_EXPIRED' | 'MALFORMED' | 'INVALID_EVENT' | 'UNSUPPORTED_MEDIA_TYPE' | 'UNAVAILABLE'
>;

/** Thrown when a webhook request must be refused; its code's status is what the gateway is told. */
export class WebhookError extends DomainError {
  constructor(code: WebhookErrorCode, message: string) {
    super(code, message);
  }
}

/**
 * One payment gateway: verifies a raw request and turns it into a fact. Adding a gateway is one
 * file implementing this.
 */
export interface GatewayAdapter {
  readonly name: string;
  /** Verifies the signature over the raw body and parses it; throws `WebhookError`. */
  parse(rawBody: Buffer, headers: IncomingHttpHeaders, nowSeconds: number): GatewayEvent;
}
