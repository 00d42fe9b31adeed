import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { NextAction } from '../src/domain/dunning';
import type { InvoiceEvent, InvoiceState, InvoiceStatus } from '../src/domain/invoice';
import type { ScheduledStep } from '../src/domain/schedule';

/** Who reports a fact or issues a command; lands in the audit trail. */
interface Attributed {
  readonly actor: string;
  readonly reason?: string;
}

export interface PaymentReceived extends Attributed {
  readonly paymentId: string;
  readonly amountCents: number;
  readonly currency: string;
  readonly method?: string;
  readonly reference?: string;
}
export interface PaymentFailed extends Attributed {
  readonly paymentId: string;
  readonly failure: string;
}
export interface PaymentRefunded extends Attributed {
  readonly paymentId: string;
  readonly refundId: string;
  readonly amountCents: number;
  readonly currency: string;
}
export interface Chargeback extends Attributed {
  readonly disputeId: string;
  readonly paymentId: string;
  readonly stage: 'opened' | 'won' | 'lost';
  readonly amountCents: number;
  readonly currency: string;
}
export interface PromiseToPay extends Attributed {
  /** YYYY-MM-DD in the customer's time zone. */
  readonly date: string;
}

export type StepStatus = 'done' | 'skipped' | 'pending';

/** Everything an ops engineer or the API needs to explain the invoice's state. */
export interface InvoiceView {
  readonly invoiceId: string;
  readonly number: string;
  readonly customerId: string;
  readonly status: InvoiceStatus;
  readonly currency: string;
  readonly totalCents: number;
  readonly feesCents: number;
  readonly amountPaidCents: number;
  readonly amountDueCents: number;
  readonly dueAt: string;
  readonly timeZone: string;
  readonly dunningStage: string;
  readonly disputed: boolean;
  readonly promisedDate: string | null;
  readonly creditHold: boolean;
  readonly policy: { readonly name: string; readonly version: number };
  readonly nextAction: NextAction | null;
  readonly steps: readonly (ScheduledStep & { readonly status: StepStatus })[];
  readonly timeline: readonly InvoiceEvent[];
}

// Facts from outside: applied at most once per payment / refund id, never refused.
export const paymentReceivedSignal = defineSignal<[PaymentReceived]>('paymentReceived');
export const paymentFailedSignal = defineSignal<[PaymentFailed]>('paymentFailed');
export const paymentRefundedSignal = defineSignal<[PaymentRefunded]>('paymentRefunded');
export const chargebackSignal = defineSignal<[Chargeback]>('chargeback');

// Commands that can be refused: validators reject them with a coded ApplicationFailure (type = code).
export const voidInvoiceUpdate = defineUpdate<InvoiceView, [Attributed]>('voidInvoice');
export const openDisputeUpdate = defineUpdate<InvoiceView, [Attributed]>('openDispute');
export const resolveDisputeUpdate = defineUpdate<InvoiceView, [Attributed]>('resolveDispute');
export const promiseToPayUpdate = defineUpdate<InvoiceView, [PromiseToPay]>('promiseToPay');
export const recordPaymentUpdate = defineUpdate<InvoiceView, [PaymentReceived]>('recordPayment');

export const invoiceStateQuery = defineQuery<InvoiceView>('state');
/** The complete internal state, used to continue a completed invoice in a new run. */
export const invoiceSnapshotQuery = defineQuery<InvoiceState>('snapshot');
