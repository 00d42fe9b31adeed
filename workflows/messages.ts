import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { NextAction } from '../src/domain/dunning';
import type { ChargebackFact, MigrationOutcome } from '../src/domain/commands';
import type { InvoiceEvent, InvoiceState, InvoiceStatus, PaymentFact, RefundFact } from '../src/domain/invoice';
import type { LedgerFacts } from '../src/domain/ledger';
import type { PolicyVersion } from '../src/domain/policy';
import type { ScheduledStep } from '../src/domain/schedule';

/**
 * The invoice workflow's input is the domain's (its state machine starts from it and a continued run
 * carries it); clients take it from here with the rest of the contract.
 */
export type { InvoiceWorkflowInput } from '../src/domain/invoice';

/** History length past which an invoice continues as new (Temporal warns at 10,240 events and stops at 51,200). */
export const HISTORY_BUDGET = 2_000;

/** Who reports a fact or issues a command; lands in the audit trail. */
interface Attributed {
  readonly actor: string;
  readonly reason?: string;
}

/** A payment for this invoice (the fact the domain applies), with who reported it. */
export type PaymentReceived = PaymentFact & Attributed;
export interface PaymentFailed extends Attributed {
  readonly paymentId: string;
  readonly failure: string;
}
export type PaymentRefunded = RefundFact & Attributed;
export type Chargeback = ChargebackFact & Attributed;
export interface PromiseToPay extends Attributed {
  /** YYYY-MM-DD in the customer's time zone. */
  readonly date: string;
}

/** A human settled a flagged payment or refund (`payment:<id>`, `refund:<id>`) outside the ledger. */
export interface ResolveFlag extends Attributed {
  readonly flagId: string;
  readonly resolution: string;
}

/** Moves the invoice to another version of its policy for its future steps. */
export interface MigratePolicy extends Attributed {
  readonly policy: PolicyVersion;
  /** Identifies the migration run: a retried delivery of the same migration reports `migrated` again. */
  readonly migrationId: string;
}
export interface MigrationResult {
  readonly outcome: MigrationOutcome;
  readonly policy: { readonly name: string; readonly version: number };
  /** Index (in the new version) of the next step the invoice will perform. */
  readonly nextStepIndex: number;
  readonly nextAction: NextAction | null;
}

/** `superseded`: a step of the current version that fell before the invoice moved to it; never performed. */
export type StepStatus = 'done' | 'skipped' | 'superseded' | 'pending';

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
  /** Why the invoice needs a human: `projection_failed`, `payment_flagged`, `refund_flagged`. */
  readonly needsAttention: readonly string[];
  readonly steps: readonly (ScheduledStep & { readonly status: StepStatus })[];
  /**
   * The events of this run: all of them until the invoice continues as new, then those since (the whole
   * trail is in Postgres: `GET /api/invoices/:id/timeline`).
   */
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
export const migratePolicyUpdate = defineUpdate<MigrationResult, [MigratePolicy]>('migratePolicy');
export const resolveFlagUpdate = defineUpdate<InvoiceView, [ResolveFlag]>('resolveFlag');
/** Retry a projection Postgres refused (after the cause is fixed), instead of waiting for the hourly retry. */
export const retryProjectionSignal = defineSignal<[]>('retryProjection');

/** What the workflow believes the invoice's ledger holds, for the ledger check. */
export interface InvoiceLedgerView {
  readonly facts: LedgerFacts;
  /** Sequence number of the last event the projection wrote to Postgres. */
  readonly persistedSeq: number;
  /** Set while the projection is refused by Postgres (a poison event): the invoice needs a human. */
  readonly projectionFailure: ProjectionFailure | null;
  /** Unapplied cash this invoice applied, as `<source>:<payment id>`. */
  readonly unappliedApplied: readonly string[];
}
export interface ProjectionFailure {
  readonly seq: number;
  readonly error: string;
  readonly at: string;
}

export const invoiceStateQuery = defineQuery<InvoiceView>('state');
export const invoiceLedgerQuery = defineQuery<InvoiceLedgerView>('ledger');
/** The complete internal state, used to continue a completed invoice in a new run. */
export const invoiceSnapshotQuery = defineQuery<InvoiceState>('snapshot');

// Other workflow families' results.

/** One page of a policy migration (`policyMigrationWorkflow`'s activity). */
export interface MigratePageResult {
  readonly examined: number;
  readonly migrated: number;
  readonly already: number;
  /** Refused by the invoice (closed meanwhile, another policy) or completed since listed. */
  readonly skipped: readonly { readonly workflowId: string; readonly reason: string }[];
  readonly failed: readonly { readonly workflowId: string; readonly error: string }[];
  readonly nextPageToken: string | null;
}

/** A recurring plan's firing (`recurringInvoiceWorkflow`). */
export interface IssueRecurringResult {
  readonly status: 'issued' | 'already_issued' | 'skipped';
  readonly billingPeriod: string | null;
  readonly invoiceId: string | null;
  readonly number: string | null;
  readonly reason?: string;
}

/** The daily report upkeep (`reportSnapshotsWorkflow`). */
export interface SnapshotRefresh {
  /** Aging snapshots taken (days), in order. */
  readonly agingTaken: string[];
  /** Days whose flows were stored. */
  readonly flowDays: number;
  /** Aging snapshots dropped: invalidated, or daily ones past retention. */
  readonly pruned: number;
}
