import { AGING_BUCKETS, agingBucketOf, type AgingBucket } from './aging';
import { addDays, daysBetween } from './schedule';

/**
 * A statement of account: what a customer owed at the start of a period, every ledger fact booked in
 * it, and what they owe at its end, per currency, with the closing amount aged. Dates are on the
 * customer's calendar (the booking dates the ledger keeps), so a statement agrees with the aging and
 * KPI reports of `src/db/report-sql.ts` to the cent.
 *
 * The balance is the ledger's net position: per invoice `total + fees − write-offs − payments +
 * refunds`, less what a void cancelled or a hand-off removed. Where that is positive and the invoice is still
 * collectable it is owed; where it is negative it is credit on account (an overpayment).
 */

export interface StatementInvoice {
  readonly id: string;
  readonly number: string;
  readonly currency: string;
  readonly totalCents: number;
  readonly issueDate: string;
  readonly dueDate: string;
  /** The day a void or write-off closed it, on the customer's calendar. */
  readonly closedOn: string | null;
  readonly closedAs: 'void' | 'uncollectible' | null;
  /** What the void cancelled or the write-off removed (what it owed then). */
  readonly closedCents: number;
}

export interface StatementEntry {
  readonly invoiceId: string;
  /** A `write_off` entry is part of what the invoice owed written off (bank charges, a small balance, goodwill); `method` carries its category. */
  readonly kind: 'fee' | 'payment' | 'refund' | 'write_off';
  readonly id: string;
  readonly amountCents: number;
  readonly bookedOn: string;
  readonly method?: string | null;
  readonly reference?: string | null;
}

export type StatementLineKind = 'invoice' | 'fee' | 'payment' | 'refund' | 'void' | 'write_off';

export interface StatementLine {
  readonly date: string;
  readonly kind: StatementLineKind;
  readonly invoiceId: string;
  readonly invoiceNumber: string;
  readonly description: string;
  /** Signed: what it adds to the balance (payments, voids and write-offs are negative). */
  readonly amountCents: number;
  /** The balance after this line. */
  readonly balanceCents: number;
}

export interface StatementPosition {
  /** Owed less credit. */
  readonly balanceCents: number;
  /** Owed on collectable invoices. */
  readonly owedCents: number;
  /** Paid beyond what invoices owed, held as credit. */
  readonly creditCents: number;
}

export interface OpenItem {
  readonly invoiceId: string;
  readonly invoiceNumber: string;
  readonly issueDate: string;
  readonly dueDate: string;
  readonly owedCents: number;
  /** Days past due at the end of the period (zero or less: not yet due). */
  readonly daysPastDue: number;
  readonly bucket: AgingBucket;
}

export interface CurrencyStatement {
  readonly currency: string;
  readonly opening: StatementPosition;
  readonly lines: readonly StatementLine[];
  /** The period's movements by kind (signed as on the lines). */
  readonly totals: Readonly<Record<StatementLineKind, number>>;
  readonly closing: StatementPosition;
  /** The closing amount owed, by aging bucket at the end of the period. */
  readonly aging: Readonly<Record<AgingBucket, number>>;
  /** The invoices owing at the end of the period, oldest due first. */
  readonly openItems: readonly OpenItem[];
}

export interface Statement {
  readonly from: string;
  readonly to: string;
  readonly currencies: readonly CurrencyStatement[];
}

const KIND_ORDER: readonly StatementLineKind[] = ['invoice', 'fee', 'payment', 'refund', 'void', 'write_off'];

/**
 * The statement for `from`…`to` inclusive. `entries` are every fee, payment and refund of `invoices`
 * booked up to `to` (earlier ones make the opening balance); `invoices` are those issued by `to`.
 */
export function buildStatement(input: {
  from: string;
  to: string;
  invoices: readonly StatementInvoice[];
  entries: readonly StatementEntry[];
}): Statement {
  const { from, to } = input;
  const beforeFrom = addDays(from, -1);
  const byId = new Map(input.invoices.map((i) => [i.id, i]));
  const invoiceLines: Omit<StatementLine, 'balanceCents'>[] = [];
  /** Per invoice, its net position at the end of `beforeFrom` and of `to`. */
  const net = new Map<string, { opening: number; closing: number }>();
  const move = (invoiceId: string, date: string, cents: number) => {
    const n = net.get(invoiceId) ?? { opening: 0, closing: 0 };
    if (date <= beforeFrom) n.opening += cents;
    if (date <= to) n.closing += cents;
    net.set(invoiceId, n);
  };
  const inPeriod = (date: string) => date >= from && date <= to;

  for (const inv of input.invoices) {
    move(inv.id, inv.issueDate, inv.totalCents);
    if (inPeriod(inv.issueDate))
      invoiceLines.push({
        date: inv.issueDate,
        kind: 'invoice',
        invoiceId: inv.id,
        invoiceNumber: inv.number,
        description: `Invoice ${inv.number}, due ${inv.dueDate}`,
        amountCents: inv.totalCents,
      });
    if (inv.closedAs && inv.closedOn && inv.closedCents > 0) {
      move(inv.id, inv.closedOn, -inv.closedCents);
      if (inPeriod(inv.closedOn))
        invoiceLines.push({
          date: inv.closedOn,
          kind: inv.closedAs === 'void' ? 'void' : 'write_off',
          invoiceId: inv.id,
          invoiceNumber: inv.number,
          description: inv.closedAs === 'void' ? `Invoice ${inv.number} cancelled` : `Invoice ${inv.number} written off`,
          amountCents: -inv.closedCents,
        });
    }
  }
  for (const e of input.entries) {
    const inv = byId.get(e.invoiceId);
    if (!inv || e.bookedOn > to) continue;
    const signed = e.kind === 'payment' || e.kind === 'write_off' ? -e.amountCents : e.amountCents;
    move(inv.id, e.bookedOn, signed);
    if (inPeriod(e.bookedOn))
      invoiceLines.push({
        date: e.bookedOn,
        kind: e.kind,
        invoiceId: inv.id,
        invoiceNumber: inv.number,
        description: describeEntry(e, inv.number),
        amountCents: signed,
      });
  }

  const currencies = [...new Set(input.invoices.map((i) => i.currency))].sort();
  return {
    from,
    to,
    currencies: currencies
      .map((currency) =>
        currencyStatement(
          currency,
          input.invoices.filter((i) => i.currency === currency),
          invoiceLines,
          net,
          { beforeFrom, to },
        ),
      )
      .filter(
        (c) =>
          c.lines.length > 0 ||
          c.opening.owedCents !== 0 ||
          c.opening.creditCents !== 0 ||
          c.closing.owedCents !== 0 ||
          c.closing.creditCents !== 0,
      ),
  };
}

function currencyStatement(
  currency: string,
  invoices: readonly StatementInvoice[],
  allLines: readonly Omit<StatementLine, 'balanceCents'>[],
  net: ReadonlyMap<string, { opening: number; closing: number }>,
  dates: { beforeFrom: string; to: string },
): CurrencyStatement {
  const ids = new Set(invoices.map((i) => i.id));
  const position = (at: 'opening' | 'closing', date: string): StatementPosition => {
    let owedCents = 0;
    let creditCents = 0;
    for (const inv of invoices) {
      const n = net.get(inv.id)?.[at] ?? 0;
      if (n < 0) creditCents -= n;
      else if (n > 0 && inv.issueDate <= date && !(inv.closedOn && inv.closedOn <= date)) owedCents += n;
    }
    return { balanceCents: owedCents - creditCents, owedCents, creditCents };
  };
  const opening = position('opening', dates.beforeFrom);
  const closing = position('closing', dates.to);

  const sorted = allLines
    .filter((l) => ids.has(l.invoiceId))
    .sort(
      (a, b) =>
        a.date.localeCompare(b.date) ||
        KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind) ||
        a.invoiceNumber.localeCompare(b.invoiceNumber) ||
        a.description.localeCompare(b.description),
    );
  let balance = opening.balanceCents;
  const lines = sorted.map((l) => ({ ...l, balanceCents: (balance += l.amountCents) }));
  const totals = Object.fromEntries(KIND_ORDER.map((k) => [k, 0])) as Record<StatementLineKind, number>;
  for (const l of lines) totals[l.kind] += l.amountCents;

  const aging = Object.fromEntries(AGING_BUCKETS.map((b) => [b, 0])) as Record<AgingBucket, number>;
  const openItems: OpenItem[] = [];
  for (const inv of invoices) {
    const owed = net.get(inv.id)?.closing ?? 0;
    if (owed <= 0 || (inv.closedOn && inv.closedOn <= dates.to)) continue;
    const daysPastDue = daysBetween(inv.dueDate, dates.to);
    const bucket = agingBucketOf(daysPastDue);
    aging[bucket] += owed;
    openItems.push({
      invoiceId: inv.id,
      invoiceNumber: inv.number,
      issueDate: inv.issueDate,
      dueDate: inv.dueDate,
      owedCents: owed,
      daysPastDue,
      bucket,
    });
  }
  openItems.sort((a, b) => a.dueDate.localeCompare(b.dueDate) || a.invoiceNumber.localeCompare(b.invoiceNumber));
  return { currency, opening, lines, totals, closing, aging, openItems };
}

function describeEntry(e: StatementEntry, number: string): string {
  const detail = [e.method?.replace(/_/g, ' '), e.reference].filter((s): s is string => !!s).join(', ');
  const suffix = detail ? ` (${detail})` : '';
  if (e.kind === 'fee') return `Late fee on ${number}`;
  if (e.kind === 'write_off') return e.amountCents < 0 ? `Write-off on ${number} reversed` : `Written off on ${number}${suffix}`;
  if (e.method === 'customer_credit')
    return e.kind === 'payment' ? `Credit applied to ${number}` : `Credit from ${number} ${e.reference ?? 'used'}`;
  if (e.kind === 'payment') return `Payment on ${number}${suffix}`;
  return `Refund on ${number}${suffix}`;
}

/** Money received for a customer by the end of the period that no invoice has taken yet. */
export interface PendingCash {
  readonly currency: string;
  readonly amountCents: number;
  readonly payments: number;
}

/** A statement of account as the API, the portal and the PDF show it. */
export interface StatementView extends Statement {
  readonly customer: { readonly id: string; readonly name: string; readonly timeZone: string };
  /** Money received and not yet applied to an invoice (not in the balance). */
  readonly pendingCash: readonly PendingCash[];
}

/** The calendar month before the one `date` falls in (a monthly statement's period). */
export function previousMonth(date: string): { from: string; to: string } {
  const [y, m] = date.split('-').map(Number) as [number, number];
  const year = m === 1 ? y - 1 : y;
  const month = m === 1 ? 12 : m - 1;
  const from = `${year}-${String(month).padStart(2, '0')}-01`;
  return { from, to: addDays(`${y}-${String(m).padStart(2, '0')}-01`, -1) };
}

/** The longest period one statement covers. */
export const MAX_STATEMENT_DAYS = 366 * 3;
