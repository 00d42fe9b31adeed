import type { InvoiceEvent, RefundFlag, WriteOffCategory } from './invoice';
import { emptyKeyed, keyedSet, type KeyedRecord } from './keyed';

/** A payment or refund the workflow would not apply, kept until a human (or its payment) settles it. */
export interface OpenFlag {
  readonly flagId: string;
  readonly kind: 'payment_flagged' | 'refund_flagged';
  readonly reason: string;
  /** For a refund: what it said, to judge it again when its payment arrives. */
  readonly refund?: {
    readonly paymentId: string;
    readonly refundId: string;
    readonly amountCents: number;
    readonly currency: string;
    readonly cumulative?: boolean;
  };
}

export interface BookEntry {
  readonly amountCents: number;
  readonly currency: string;
}

/**
 * What an invoice's events add up to, kept beside them so that nothing needs the whole event list:
 * a workflow that continues as new carries these and only the events not yet in Postgres.
 */
export interface InvoiceBooks {
  /** Sequence number of the last event. */
  readonly lastSeq: number;
  /** Applied payments by id (an ERP import's paid-before amount under `erp-import:<external id>`). */
  readonly payments: KeyedRecord<BookEntry & { readonly unappliedSource?: string }>;
  /** Applied refunds by id. */
  readonly refunds: KeyedRecord<BookEntry & { readonly paymentId: string }>;
  /** Late fees by `<policy generation>/<step index>`. */
  readonly fees: Readonly<Record<string, BookEntry>>;
  /** Net customer credit recorded (overpayments less what refunds took back). */
  readonly creditCents: number;
  /** Write-offs in force by id (absent in books from before write-offs: none); a reversed one is gone. */
  readonly writeOffs?: Readonly<Record<string, BookEntry & { readonly category: WriteOffCategory }>>;
  readonly openFlags: Readonly<Record<string, OpenFlag>>;
  /** Steps of the current policy version that were never performed (before a migration or an import). */
  readonly supersededBelow: number;
  /** Steps of the current policy version skipped by catch-up. */
  readonly skippedSteps: readonly number[];
  readonly lastMigrationId: string | null;
}

export const emptyBooks = (): InvoiceBooks => ({
  lastSeq: 0,
  payments: emptyKeyed(),
  refunds: emptyKeyed(),
  fees: {},
  creditCents: 0,
  openFlags: {},
  supersededBelow: 0,
  skippedSteps: [],
  lastMigrationId: null,
});

export const importPaymentId = (externalId: string) => `erp-import:${externalId}`;
export const feeKey = (generation: number, stepIndex: number) => `${generation}/${stepIndex}`;

/** Folds one event into the books. Pure. */
export function foldBooks(b: InvoiceBooks, e: InvoiceEvent): InvoiceBooks {
  const books = { ...b, lastSeq: e.seq };
  switch (e.type) {
    case 'payment_received':
      return {
        ...books,
        payments: keyedSet(b.payments, e.paymentId, {
          amountCents: e.amountCents,
          currency: e.currency,
          ...(e.unappliedSource ? { unappliedSource: e.unappliedSource } : {}),
        }),
      };
    case 'imported':
      return {
        ...books,
        supersededBelow: e.resumeAtStep,
        ...(e.paidBeforeCents > 0
          ? { payments: keyedSet(b.payments, importPaymentId(e.externalId), { amountCents: e.paidBeforeCents, currency: e.currency }) }
          : {}),
      };
    case 'payment_refunded':
      return {
        ...books,
        refunds: keyedSet(b.refunds, e.refundId, { paymentId: e.paymentId, amountCents: e.amountCents, currency: e.currency }),
      };
    case 'late_fee_applied':
      return {
        ...books,
        fees: { ...b.fees, [feeKey(e.generation ?? 0, e.stepIndex)]: { amountCents: e.amountCents, currency: e.currency } },
      };
    case 'written_off':
      return {
        ...books,
        writeOffs: { ...b.writeOffs, [e.writeOffId]: { amountCents: e.amountCents, currency: e.currency, category: e.category } },
      };
    case 'write_off_reversed': {
      const { [e.writeOffId]: _reversed, ...rest } = b.writeOffs ?? {};
      return { ...books, writeOffs: rest };
    }
    case 'credit_recorded':
      return { ...books, creditCents: b.creditCents + e.amountCents };
    case 'credit_reversed':
      return { ...books, creditCents: b.creditCents - e.amountCents };
    case 'payment_flagged':
      return {
        ...books,
        openFlags: { ...b.openFlags, [`payment:${e.paymentId}`]: { flagId: `payment:${e.paymentId}`, kind: e.type, reason: e.flag } },
      };
    case 'refund_flagged': {
      const refund = {
        paymentId: e.paymentId,
        refundId: e.refundId,
        amountCents: e.reportedCents ?? e.amountCents,
        currency: e.currency,
        ...(e.cumulative ? { cumulative: true } : {}),
      };
      return {
        ...books,
        openFlags: {
          ...b.openFlags,
          [`refund:${e.refundId}`]: { flagId: `refund:${e.refundId}`, kind: e.type, reason: e.flag as RefundFlag, refund },
        },
      };
    }
    case 'flag_resolved': {
      const { [e.flagId]: _resolved, ...rest } = b.openFlags;
      return { ...books, openFlags: rest };
    }
    case 'step_skipped':
      return { ...books, skippedSteps: [...b.skippedSteps, e.stepIndex] };
    case 'policy_migrated':
      return { ...books, supersededBelow: e.resumeAtStep, skippedSteps: [], lastMigrationId: e.migrationId };
    default:
      return books;
  }
}

/** The books of a state that predates them (a snapshot of an earlier release): folded from its events. */
export function rebuildBooks(events: readonly InvoiceEvent[]): InvoiceBooks {
  return events.reduce(foldBooks, emptyBooks());
}
