import { DomainError, ErrorCode } from './errors';
import {
  amountDue,
  assertOpen,
  isWriteOffCategory,
  WRITE_OFF_CATEGORIES,
  type InvoiceEventBody,
  type InvoiceState,
  type Ledger,
  type PaymentFact,
  type WriteOffCategory,
} from './invoice';
import { MAX_AMOUNT_MINOR } from './money';

/** A write-off a person asked for: part (or all) of what the invoice still owes, with why. */
export interface WriteOffRequest {
  readonly writeOffId: string;
  readonly amountCents: number;
  readonly currency: string;
  readonly category: WriteOffCategory;
}

/** The id of the write-off a short payment settles with. */
export const shortPaymentWriteOffId = (paymentId: string) => `${paymentId}:write-off`;

/**
 * Thrown (coded) when the write-off cannot apply: the invoice is not open, the amount is not a
 * whole number of minor units within what is owed, the currency is another, the category unknown.
 * The same id again is not refused: the command answers as the first one did.
 */
export function checkWriteOff(state: InvoiceState, w: WriteOffRequest): void {
  if (state.books.writeOffs?.[w.writeOffId]) return;
  assertOpen(state);
  if (!isWriteOffCategory(w.category))
    throw new DomainError(ErrorCode.VALIDATION, `category must be one of ${WRITE_OFF_CATEGORIES.join(', ')}`, { field: 'category' });
  if (!Number.isSafeInteger(w.amountCents) || w.amountCents <= 0 || w.amountCents > MAX_AMOUNT_MINOR)
    throw new DomainError(ErrorCode.INVALID_AMOUNT, `amountCents must be a whole number of minor units, 1…${MAX_AMOUNT_MINOR}`, {
      field: 'amountCents',
    });
  if (String(w.currency).toUpperCase() !== state.input.currency)
    throw new DomainError(ErrorCode.CURRENCY_MISMATCH, `write-off is in ${w.currency}, invoice is in ${state.input.currency}`, {
      field: 'currency',
    });
  const due = amountDue(state.ledger);
  if (w.amountCents > due)
    throw new DomainError(ErrorCode.EXCEEDS_AMOUNT_DUE, `the invoice owes ${due}; a write-off of ${w.amountCents} would exceed it`, {
      field: 'amountCents',
    });
}

/** The write-off's events: the entry, and the invoice settled when nothing is left owed. */
export function decideWriteOff(state: InvoiceState, w: WriteOffRequest): InvoiceEventBody[] {
  checkWriteOff(state, w);
  if (state.books.writeOffs?.[w.writeOffId]) return [];
  const currency = state.input.currency;
  return [
    { type: 'written_off', writeOffId: w.writeOffId, amountCents: w.amountCents, currency, category: w.category },
    ...settledBy(state, { ...state.ledger, writtenOffCents: (state.ledger.writtenOffCents ?? 0) + w.amountCents }),
  ];
}

/**
 * What a short payment leaves owed, written off up to what its `writeOff` allows: the payment's
 * `written_off` event, or null (no allowance, nothing left owed, an invoice not open).
 */
export function shortPaymentWriteOff(
  state: InvoiceState,
  ledgerAfterPayment: Ledger,
  payment: PaymentFact,
): (InvoiceEventBody & { type: 'written_off' }) | null {
  const allowance = payment.writeOff;
  if (!allowance || state.status !== 'open') return null;
  const amountCents = Math.min(allowance.upToCents, amountDue(ledgerAfterPayment));
  if (amountCents <= 0) return null;
  return {
    type: 'written_off',
    writeOffId: shortPaymentWriteOffId(payment.paymentId),
    amountCents,
    currency: state.input.currency,
    category: allowance.category,
  };
}

/** A fact's write-off allowance as any client may have sent it: kept only if it could apply. */
export function normalizeWriteOffAllowance(allowance: unknown): PaymentFact['writeOff'] | undefined {
  if (typeof allowance !== 'object' || allowance === null) return undefined;
  const { upToCents, category } = allowance as Record<string, unknown>;
  if (!Number.isSafeInteger(upToCents) || (upToCents as number) <= 0 || (upToCents as number) > MAX_AMOUNT_MINOR) return undefined;
  if (!isWriteOffCategory(category)) return undefined;
  return { upToCents: upToCents as number, category };
}

/** Settles the invoice when the ledger leaves nothing owed (a kept promise first). */
export function settledBy(state: InvoiceState, ledger: Ledger): InvoiceEventBody[] {
  if (state.status !== 'open' || amountDue(ledger) > 0) return [];
  return [...(state.promise ? [{ type: 'promise_kept' as const, date: state.promise.date }] : []), { type: 'paid' }];
}
