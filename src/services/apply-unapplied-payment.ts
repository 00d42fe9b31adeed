import type { Sql } from '../db/client';
import { findInvoice } from '../db/invoices';
import { claimUnappliedPayment, findUnappliedPayments, releaseUnappliedClaim, type UnappliedPayment } from '../db/unapplied-payments';
import { DomainError, ErrorCode } from '../domain/errors';
import { invoiceLedgerQuery, recordPaymentUpdate, type InvoiceView } from '../../workflows/messages';
import { currentView, queryInvoice, sendCommand, type CommandDeps } from './invoice-commands';

/** A claim this old was left by a request that ended (crashed or timed out); it may be taken over once checked. */
export const STALE_CLAIM_MS = 120_000;

/** Refusals that mean the invoice's workflow did not take the payment: the claim is given back. */
const NOT_TAKEN = new Set<string>([
  ErrorCode.CURRENCY_MISMATCH,
  ErrorCode.INVALID_AMOUNT,
  ErrorCode.INVOICE_PAID,
  ErrorCode.INVOICE_NOT_OPEN,
  ErrorCode.VALIDATION,
  ErrorCode.NOT_FOUND,
  ErrorCode.WORKFLOW_UNAVAILABLE,
]);

/**
 * Applies unapplied cash to an open invoice, at most once: the payment is claimed for the invoice
 * first (of concurrent requests for different invoices exactly one wins; the others get
 * PAYMENT_ALREADY_APPLIED), then the invoice's workflow applies it under its original id, and its
 * projection marks it applied in the same transaction as the ledger row. A refusal gives the claim
 * back; a claim left by a request that died is taken over only once its invoice is seen not to have it.
 *
 * `ref` is `<source>:<payment id>`, or the bare payment id when one source has it.
 */
export async function applyUnappliedPayment(deps: CommandDeps, ref: string, invoiceId: string, actor: string): Promise<InvoiceView> {
  const payment = await resolve(deps.sql, ref);
  if (!(await findInvoice(deps.sql, invoiceId)))
    throw new DomainError(ErrorCode.NOT_FOUND, `invoice ${invoiceId} does not exist`, { field: 'invoiceId' });
  const claimed = (await claimUnappliedPayment(deps.sql, payment, invoiceId)) ?? (await takeOverStaleClaim(deps, payment, invoiceId));
  try {
    return await sendCommand(deps, invoiceId, recordPaymentUpdate, {
      paymentId: claimed.id,
      amountCents: claimed.amountCents,
      currency: claimed.currency,
      actor,
      reason: 'unapplied cash applied',
      receivedAt: claimed.receivedAt.toISOString(),
      unappliedSource: claimed.source,
      ...(claimed.reference ? { reference: claimed.reference } : {}),
      ...(claimed.method ? { method: claimed.method } : {}),
    });
  } catch (err) {
    if (!(err instanceof DomainError)) throw err;
    if (err.code === ErrorCode.DUPLICATE_PAYMENT) {
      // Applied by an earlier attempt of this request (it answers as it did), or the invoice holds another payment under this id.
      if (await holds(deps, invoiceId, claimed)) return currentView(deps, invoiceId);
      await releaseUnappliedClaim(deps.sql, claimed, invoiceId);
      throw new DomainError(
        ErrorCode.DUPLICATE_PAYMENT,
        `invoice already has a different payment with id ${claimed.id}; apply this one elsewhere`,
      );
    }
    if (NOT_TAKEN.has(err.code)) await releaseUnappliedClaim(deps.sql, claimed, invoiceId);
    throw err;
  }
}

async function resolve(sql: Sql, ref: string): Promise<UnappliedPayment> {
  const found = await findUnappliedPayments(sql, ref);
  const exact = found.filter((p) => `${p.source}:${p.id}` === ref);
  const candidates = exact.length > 0 ? exact : found.filter((p) => p.id === ref);
  if (candidates.length === 0) throw new DomainError(ErrorCode.NOT_FOUND, `no unapplied payment ${ref}`);
  if (candidates.length > 1) {
    throw new DomainError(
      ErrorCode.VALIDATION,
      `${candidates.length} payments are called ${ref} (${candidates.map((p) => p.source).join(', ')}); name one as <source>:${ref}`,
    );
  }
  return candidates[0]!;
}

/** The claim another invoice holds: refused while its request may still land, taken over once it is seen not to have. */
async function takeOverStaleClaim(deps: CommandDeps, payment: UnappliedPayment, invoiceId: string): Promise<UnappliedPayment> {
  const [current] = (await findUnappliedPayments(deps.sql, `${payment.source}:${payment.id}`)).filter(
    (p) => p.source === payment.source && p.id === payment.id,
  );
  const holder = current?.claimedInvoiceId;
  const refused = () =>
    new DomainError(
      ErrorCode.PAYMENT_ALREADY_APPLIED,
      `payment ${payment.source}:${payment.id} is ${current?.status === 'applied' ? 'applied' : 'being applied'} to invoice ${holder}`,
      { invoiceId: holder },
    );
  if (!current || !holder || current.status === 'applied') throw refused();
  if (current.claimedAt && Date.now() - current.claimedAt.getTime() < STALE_CLAIM_MS) throw refused();
  if (await holds(deps, holder, current)) throw refused();
  const taken = await claimUnappliedPayment(deps.sql, current, invoiceId, { takeOverFrom: holder });
  if (!taken) throw refused();
  return taken;
}

/** Whether the invoice's workflow applied this unapplied payment (whatever Postgres shows yet). */
async function holds(deps: CommandDeps, invoiceId: string, p: { source: string; id: string }): Promise<boolean> {
  return (await queryInvoice(deps, invoiceId, invoiceLedgerQuery))?.unappliedApplied.includes(`${p.source}:${p.id}`) ?? false;
}
