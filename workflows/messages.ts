import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { NextAction } from '../src/domain/dunning';
import type { ChargebackFact, MigrationOutcome } from '../src/domain/commands';
import type { InvoiceEvent, InvoiceState, InvoiceStatus, PaymentFact, QueuedReminder, RefundFact } from '../src/domain/invoice';
import type { LedgerFacts } from '../src/domain/ledger';
import type { WriteOffRequest } from '../src/domain/write-off';
import type { PolicyVersion, StepTemplate } from '../src/domain/policy';
import type { ReminderItem, ReminderSettings } from '../src/domain/reminders';
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

/** Write off part or all of what the invoice owes (see `WriteOffCategory`); `reason` says why, for the audit trail. */
export type WriteOff = WriteOffRequest & Attributed;

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
  /** The customer's account workflow, which sends this invoice's reminders. */
  readonly customerAccount: string;
  /** Reminders handed to the account and not yet sent or dropped. */
  readonly queuedReminders: readonly QueuedReminder[];
  readonly status: InvoiceStatus;
  readonly currency: string;
  readonly totalCents: number;
  readonly feesCents: number;
  readonly amountPaidCents: number;
  /** Written off (bank charges, small balance, goodwill): no longer owed, never paid. */
  readonly writtenOffCents: number;
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
export const writeOffUpdate = defineUpdate<InvoiceView, [WriteOff]>('writeOff');
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

/**
 * The readable state. The Temporal UI lists queries alphabetically and opens the first, so the
 * others are named after it (`state.ledger`, `state.snapshot`).
 */
export const invoiceStateQuery = defineQuery<InvoiceView>('state');
export const invoiceLedgerQuery = defineQuery<InvoiceLedgerView>('state.ledger');
/** The complete internal state, used to continue a completed invoice in a new run. */
export const invoiceSnapshotQuery = defineQuery<InvoiceState>('state.snapshot');

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

// ---- Customer accounts (workflow `customer-<id>`) ------------------------------------------------

/** Starts (or continues) a customer's account workflow. */
export interface CustomerAccountInput {
  readonly customerId: string;
  /** Set when the workflow continued as new: the account as the previous run left it. */
  readonly resume?: CustomerAccountState;
}

/** One email the account sent (or found nothing left to send). */
export interface ReminderBatch {
  /** `customer-<id>/batch-<n>` for a grouped email; the invoice step's key for one sent alone. */
  readonly key: string;
  readonly at: string;
  readonly template: StepTemplate | null;
  /** The reminders it carried. */
  readonly items: readonly { readonly key: string; readonly invoiceNumber: string; readonly template: StepTemplate }[];
  /** Reminders left out at the last moment, and why (the invoice was paid, disputed, …). */
  readonly dropped: readonly { readonly key: string; readonly why: string }[];
  readonly outcome: 'sent' | 'already_sent' | 'nothing_left' | 'failed';
  readonly error?: string;
}

export interface DunningPause {
  /** When reminders resume on their own; null: until resumed. */
  readonly until: string | null;
  readonly reason: string;
  readonly actor: string;
  readonly since: string;
}

/** What the account workflow keeps (and carries across continue-as-new). */
export interface CustomerAccountState {
  readonly customerId: string;
  readonly pending: readonly ReminderItem[];
  /** Grouped batches numbered so far. */
  readonly batchSeq: number;
  /** When the last reminder email went out (the minimum gap counts from it). */
  readonly lastSentAt: string | null;
  readonly paused: DunningPause | null;
  /** The latest batches, newest last (at most 20). */
  readonly recent: readonly ReminderBatch[];
  /** Keys of reminders already sent or dropped, newest last (a repeated hand-over is recognised). */
  readonly settled: readonly string[];
}

/** The account as Postgres holds it: settings, hold and what is overdue (read by an activity). */
export interface CustomerAccountFacts {
  readonly settings: ReminderSettings;
  readonly creditHold: boolean;
  readonly currency: string;
  /** Absent in results recorded before it was added. */
  readonly timeZone?: string;
  /** Overdue amount due in the customer's currency. */
  readonly overdueCents: number;
}

export interface CustomerAccountView {
  readonly customerId: string;
  readonly pending: readonly ReminderItem[];
  /** When the next email goes out, and what it carries (null when nothing waits). */
  readonly nextContact: { readonly at: string; readonly kind: 'alone' | 'batch'; readonly items: number } | null;
  readonly cap: { readonly groupingWindowMs: number; readonly minGapMs: number; readonly lastSentAt: string | null };
  readonly paused: DunningPause | null;
  readonly creditHold: boolean;
  readonly overdueCents: number;
  readonly currency: string;
  readonly recent: readonly ReminderBatch[];
}

export interface PauseDunning {
  readonly until: string | null;
  readonly reason: string;
  readonly actor: string;
}

/** What became of a reminder an invoice handed to its customer's account. */
export interface ReminderOutcome {
  readonly key: string;
  readonly outcome: 'sent' | 'dropped' | 'failed';
  /** The grouped email that carried it; null when it went alone. */
  readonly batch: string | null;
  readonly why?: string;
}

export const reminderDueSignal = defineSignal<[ReminderItem]>('reminderDue');
/** An invoice no longer needs a reminder it handed over (paid, void, disputed, promised). */
export const withdrawReminderSignal = defineSignal<[{ key: string; why: string }]>('withdrawReminder');
export const pauseDunningSignal = defineSignal<[PauseDunning]>('pauseDunning');
export const resumeDunningSignal = defineSignal<[{ actor: string }]>('resumeDunning');
/** The customer's record changed (settings, hold): the account reads it again. */
export const accountChangedSignal = defineSignal<[{ reason: string }]>('accountChanged');
export const customerAccountQuery = defineQuery<CustomerAccountView>('account');
/** Sent to an invoice by its customer's account. */
export const reminderOutcomeSignal = defineSignal<[ReminderOutcome]>('reminderOutcome');

/** At most this many events per customer account run before it continues as new. */
export const ACCOUNT_HISTORY_BUDGET = 2_000;

/**
 * A statement of account to email. With a period, that period (sent on demand); without one, the
 * calendar month before the scheduled time (a monthly Schedule's firing).
 */
export interface StatementWorkflowInput {
  readonly customerId: string;
  readonly period?: { readonly from: string; readonly to: string };
  /** The email's idempotency key; absent for a monthly one (its key is the customer and month). */
  readonly emailKey?: string;
}

export interface StatementSendResult {
  /** `nothing_to_state`: a monthly statement with no balance and no movement is not sent. */
  readonly outcome: 'sent' | 'already_sent' | 'nothing_to_state';
  readonly emailKey: string;
  readonly from: string;
  readonly to: string;
  readonly recipients: { readonly to: readonly string[]; readonly cc: readonly string[] } | null;
}

/** A one-time password link to email a person (the link itself is made by the activity). */
export interface PasswordLinkEmail {
  readonly userId: string;
  readonly purpose: 'setup' | 'reset';
  /** Identifies the request: a retried start sends one email. */
  readonly requestId: string;
}

// ---- What each handler does, in words (the Temporal UI shows these beside the handler's name) ----

const DESCRIPTIONS: Readonly<Record<string, string>> = {
  // Invoice
  state:
    "The invoice in words and numbers: amount due, stage, disputed or promised, the next action and when, each step of its policy and this run's timeline.",
  'state.ledger':
    'What the workflow believes the ledger holds (total, fees, payments, refunds, credits), for the ledger check against Postgres.',
  'state.snapshot':
    'The complete internal state, from which a completed invoice is reopened in a new run. For the engine, not for reading.',
  paymentReceived:
    'A payment for this invoice (gateway, bank or manual). Applied at most once per payment id; never refused, flagged when it does not fit.',
  paymentFailed: 'A payment attempt failed at the gateway. Recorded on the timeline; nothing else changes.',
  paymentRefunded:
    "A refund of one of this invoice's payments. Checked against the payment it names; reopens the amount, or is flagged for a human.",
  chargeback: 'A card dispute took money back. Reopens the amount and records the dispute id.',
  retryProjection: 'Try again to write the events Postgres refused (after the cause is fixed), instead of waiting for the hourly retry.',
  reminderOutcome: "Sent by the customer's account workflow: what became of a reminder this invoice handed over (sent, dropped, failed).",
  voidInvoice: 'Void the invoice: nothing is owed and dunning stops. Refused once money has been paid or the invoice is closed.',
  openDispute:
    'The customer disputes the invoice: reminders pause (the ladder shifts later by the time spent disputed). Refused if already disputed or closed.',
  resolveDispute: 'The dispute is settled: reminders resume where the policy says. Refused when no dispute is open.',
  promiseToPay:
    'The customer promises to pay by a date (YYYY-MM-DD, their calendar): reminders wait until then; a broken promise resumes them. Refused for past dates and while disputed.',
  recordPayment:
    'Record a payment by hand (cheque, wire, unapplied cash claimed). Refused in another currency or for a payment id already used.',
  writeOff:
    'Write off part or all of the amount due (bank charges, small balance, goodwill), with why; nothing left owed settles the invoice. Refused beyond the amount due or when closed.',
  resolveFlag: 'Settle a flagged payment or refund (payment:<id>, refund:<id>) outside the ledger, with what was done.',
  migratePolicy: 'Move the invoice to another version of its policy for its future steps (policy migrations send this).',
  // Customer account
  account:
    'The customer account: reminders waiting, when the next email goes out and what it carries, the contact cap, pause, credit hold and recent emails.',
  reminderDue:
    "An invoice hands over a reminder that is due: it goes out grouped with the customer's others, or alone for final and legal notices.",
  withdrawReminder:
    'An invoice no longer needs a reminder it handed over (paid, void, disputed, promised): it is left out of the next email.',
  pauseDunning: 'Pause every reminder of this customer, until a date or until resumed.',
  resumeDunning: "Resume the customer's reminders after a pause.",
  accountChanged: 'The customer record changed (settings, credit hold): the account reads it again from Postgres.',
};

/** The handler options that describe a signal, query or update to people (Temporal UI, `temporal workflow metadata`). */
export function describe(def: { readonly name: string }): { description: string } {
  return { description: DESCRIPTIONS[def.name] ?? def.name };
}
