import { amountDue, excessPaid, type InvoiceState, type InvoiceStatus } from './invoice';

/**
 * An invoice's ledger as one side sees it: the workflow (from its events) or Postgres (from the
 * invoice row and the ledger tables). The ledger check compares the two, and each with the identity
 * `total + fees − write-offs − payments + refunds + credit = due`, where `credit` is what was paid
 * beyond the amount owed and moved to the customer's credit balance (due is then zero), and
 * write-offs are what the customer owed that will not be collected (credits against the invoice).
 */
export interface LedgerFacts {
  readonly status: InvoiceStatus;
  readonly currency: string;
  readonly totalCents: number;
  readonly feesCents: number;
  readonly paidCents: number;
  readonly refundedCents: number;
  readonly writtenOffCents: number;
  readonly amountDueCents: number;
  /** Net customer credit recorded for this invoice (overpayments less what refunds took back). */
  readonly creditCents: number;
  /** Applied payments by id. */
  readonly payments: Readonly<Record<string, LedgerEntry>>;
  /** Applied refunds by id, each naming the payment it returns. */
  readonly refunds: Readonly<Record<string, LedgerEntry & { readonly paymentId: string }>>;
  /** Late fees by `<policy generation>/<step index>`. */
  readonly fees: Readonly<Record<string, LedgerEntry>>;
  /** Write-offs by id. */
  readonly writeOffs: Readonly<Record<string, LedgerEntry & { readonly category: string }>>;
  /** Sequence number of the last event (the workflow's) or of the last projected one (Postgres). */
  readonly lastSeq: number;
}

export interface LedgerEntry {
  readonly amountCents: number;
  readonly currency: string;
}

import { keyedEntries, keyedToRecord } from './keyed';

export { feeKey, importPaymentId } from './books';

/** The ledger the workflow believes in: what its events add up to (its books). */
export function ledgerFactsOf(state: InvoiceState): LedgerFacts {
  const { books, ledger } = state;
  const payments = Object.fromEntries(
    keyedEntries(books.payments).map(([id, p]) => [id, { amountCents: p.amountCents, currency: p.currency }]),
  );
  return {
    status: state.status,
    currency: state.input.currency,
    totalCents: ledger.totalCents,
    feesCents: ledger.feesCents,
    paidCents: ledger.paidCents,
    refundedCents: ledger.refundedCents,
    writtenOffCents: ledger.writtenOffCents ?? 0,
    amountDueCents: amountDue(ledger),
    creditCents: books.creditCents,
    payments,
    refunds: keyedToRecord(books.refunds),
    fees: books.fees,
    writeOffs: books.writeOffs ?? {},
    lastSeq: books.lastSeq,
  };
}

export interface LedgerProblem {
  /** `identity` (one side disagrees with itself), `workflow` (the sides disagree), `projection` (events not yet in Postgres). */
  readonly check: 'identity' | 'workflow' | 'projection';
  readonly field: string;
  readonly message: string;
  readonly workflow?: unknown;
  readonly ledger?: unknown;
}

/** Key order does not matter when entries are compared. */
const canonical = (entry: object | undefined) =>
  entry ? JSON.stringify(Object.entries(entry).sort(([a], [b]) => a.localeCompare(b))) : 'null';

const ENTRY_NAME = { payments: 'payment', refunds: 'refund', fees: 'fee', writeOffs: 'write-off' } as const;

const sum = (entries: Readonly<Record<string, LedgerEntry>>) => Object.values(entries).reduce((s, e) => s + e.amountCents, 0);

/** Everything in one side's ledger that breaks the identity or the refund rules. */
export function identityProblems(f: LedgerFacts, side: 'workflow' | 'ledger'): LedgerProblem[] {
  const problems: LedgerProblem[] = [];
  const add = (field: string, message: string) => problems.push({ check: 'identity', field, message: `${side}: ${message}` });
  const totals: [string, number, number][] = [
    ['feesCents', f.feesCents, sum(f.fees)],
    ['paidCents', f.paidCents, sum(f.payments)],
    ['refundedCents', f.refundedCents, sum(f.refunds)],
    ['writtenOffCents', f.writtenOffCents, sum(f.writeOffs)],
  ];
  for (const [field, stated, entries] of totals) {
    if (stated !== entries) add(field, `${field} is ${stated} but its entries sum to ${entries}`);
  }
  const ledger = {
    totalCents: f.totalCents,
    feesCents: f.feesCents,
    paidCents: f.paidCents,
    refundedCents: f.refundedCents,
    writtenOffCents: f.writtenOffCents,
  };
  if (f.amountDueCents !== amountDue(ledger)) {
    add('amountDueCents', `due is ${f.amountDueCents} but total + fees − write-offs − payments + refunds gives ${amountDue(ledger)}`);
  }
  // A write-off settles what is owed; it never makes customer credit.
  if (f.writtenOffCents > 0 && f.totalCents + f.feesCents - f.writtenOffCents < 0)
    add('writtenOffCents', `write-offs (${f.writtenOffCents}) exceed total and fees (${f.totalCents + f.feesCents})`);
  if (f.creditCents !== excessPaid(ledger))
    add('creditCents', `customer credit is ${f.creditCents} but the excess paid is ${excessPaid(ledger)}`);
  if (f.paidCents - f.refundedCents < 0) add('paidCents', `refunds (${f.refundedCents}) exceed payments (${f.paidCents})`);
  const refundedByPayment = new Map<string, number>();
  for (const [id, r] of Object.entries(f.refunds)) {
    if (!f.payments[r.paymentId]) add(`refunds.${id}`, `refund ${id} names payment ${r.paymentId}, which is not on this invoice`);
    refundedByPayment.set(r.paymentId, (refundedByPayment.get(r.paymentId) ?? 0) + r.amountCents);
  }
  for (const [paymentId, refunded] of refundedByPayment) {
    const paid = f.payments[paymentId]?.amountCents;
    if (paid !== undefined && refunded > paid)
      add(`payments.${paymentId}`, `refunds of payment ${paymentId} (${refunded}) exceed it (${paid})`);
  }
  for (const [kind, entries] of [
    ['payments', f.payments],
    ['refunds', f.refunds],
    ['fees', f.fees],
    ['writeOffs', f.writeOffs],
  ] as const) {
    for (const [id, e] of Object.entries(entries)) {
      if (e.currency !== f.currency) add(`${kind}.${id}`, `${ENTRY_NAME[kind]} ${id} is in ${e.currency}, the invoice in ${f.currency}`);
      if (!Number.isSafeInteger(e.amountCents) || e.amountCents <= 0)
        add(`${kind}.${id}`, `${ENTRY_NAME[kind]} ${id} has amount ${e.amountCents}`);
    }
  }
  return problems;
}

/** Where what the workflow believes and what Postgres holds differ. */
export function ledgerDifferences(workflow: LedgerFacts, ledger: LedgerFacts): LedgerProblem[] {
  const problems: LedgerProblem[] = [];
  if (workflow.lastSeq !== ledger.lastSeq) {
    problems.push({
      check: 'projection',
      field: 'lastSeq',
      workflow: workflow.lastSeq,
      ledger: ledger.lastSeq,
      message: `the workflow has ${workflow.lastSeq} events, Postgres holds ${ledger.lastSeq}`,
    });
  }
  for (const field of [
    'status',
    'currency',
    'totalCents',
    'feesCents',
    'paidCents',
    'refundedCents',
    'writtenOffCents',
    'amountDueCents',
    'creditCents',
  ] as const) {
    if (workflow[field] !== ledger[field]) {
      problems.push({
        check: 'workflow',
        field,
        workflow: workflow[field],
        ledger: ledger[field],
        message: `${field}: the workflow says ${workflow[field]}, Postgres holds ${ledger[field]}`,
      });
    }
  }
  for (const kind of ['payments', 'refunds', 'fees', 'writeOffs'] as const) {
    const ids = new Set([...Object.keys(workflow[kind]), ...Object.keys(ledger[kind])]);
    for (const id of ids) {
      const w = (workflow[kind] as Record<string, LedgerEntry>)[id];
      const l = (ledger[kind] as Record<string, LedgerEntry>)[id];
      if (canonical(w) === canonical(l)) continue;
      const what = ENTRY_NAME[kind];
      const message = !l
        ? `${what} ${id} is applied by the workflow but missing from Postgres`
        : !w
          ? `${what} ${id} is in Postgres but the workflow never applied it`
          : `${what} ${id} differs`;
      problems.push({ check: 'workflow', field: `${kind}.${id}`, workflow: w ?? null, ledger: l ?? null, message });
    }
  }
  return problems;
}
