import { DomainError, ErrorCode } from './errors';

/** An open invoice the balance can pay, as the plan needs it. */
export interface OpenItem {
  readonly invoiceId: string;
  readonly number: string;
  readonly dueAt: string;
  readonly amountDueCents: number;
}

/** Money a customer's balance holds in one currency: unapplied cash (oldest first) and credit per invoice (oldest first). */
export interface BalanceFunds {
  readonly cash: readonly { readonly source: string; readonly id: string; readonly amountCents: number }[];
  readonly credit: readonly { readonly invoiceId: string; readonly amountCents: number }[];
}

export type Funding = 'cash' | 'credit';

/** What one invoice receives: its cash part and its credit part are separate payments (credit is not money collected). */
export interface PlannedAllocation {
  readonly invoiceId: string;
  readonly number: string;
  readonly cashCents: number;
  readonly creditCents: number;
}

export interface BalancePlan {
  readonly allocations: readonly PlannedAllocation[];
  /** Unapplied cash taken whole; `cashRestCents` of the last one goes back as a new unapplied row. */
  readonly cashTaken: readonly { readonly source: string; readonly id: string; readonly amountCents: number }[];
  readonly cashRestCents: number;
  readonly creditUsed: readonly { readonly invoiceId: string; readonly amountCents: number }[];
  readonly cashCents: number;
  readonly creditCents: number;
}

const total = (xs: readonly { amountCents: number }[]) => xs.reduce((s, x) => s + x.amountCents, 0);

export function availableCents(funds: BalanceFunds): { cashCents: number; creditCents: number } {
  return { cashCents: total(funds.cash), creditCents: total(funds.credit) };
}

/**
 * Which invoices an amount pays when none are named: the oldest due first, each in full, the last
 * one partly. With no amount, the whole balance (or everything open, whichever is less).
 */
export function oldestFirst(open: readonly OpenItem[], amountCents: number): { invoiceId: string; amountCents: number }[] {
  const targets: { invoiceId: string; amountCents: number }[] = [];
  let left = amountCents;
  const ordered = [...open].sort((a, b) => a.dueAt.localeCompare(b.dueAt) || a.number.localeCompare(b.number));
  for (const item of ordered) {
    if (left <= 0) break;
    if (item.amountDueCents <= 0) continue;
    const take = Math.min(left, item.amountDueCents);
    targets.push({ invoiceId: item.invoiceId, amountCents: take });
    left -= take;
  }
  return targets;
}

/**
 * Funds the targets from the balance, cash first (it is money received and waiting) then credit,
 * each oldest first. Refuses what the balance cannot cover or an invoice does not owe.
 */
export function planBalanceUse(
  funds: BalanceFunds,
  open: readonly OpenItem[],
  targets: readonly { invoiceId: string; amountCents: number }[],
): BalancePlan {
  const byId = new Map(open.map((o) => [o.invoiceId, o]));
  for (const [i, t] of targets.entries()) {
    const item = byId.get(t.invoiceId);
    const field = `allocations.${i}`;
    if (!item)
      throw new DomainError(ErrorCode.INVOICE_NOT_OPEN, `invoice ${t.invoiceId} is not an open invoice of this customer in this currency`, {
        field,
      });
    if (t.amountCents > item.amountDueCents)
      throw new DomainError(ErrorCode.INVALID_AMOUNT, `invoice ${item.number} owes ${item.amountDueCents}, less than ${t.amountCents}`, {
        field,
      });
  }
  const needed = total(targets);
  return fund(funds, needed, (cashCents) => {
    let cashLeft = cashCents;
    return targets.map((t) => {
      const cash = Math.min(cashLeft, t.amountCents);
      cashLeft -= cash;
      return { invoiceId: t.invoiceId, number: byId.get(t.invoiceId)!.number, cashCents: cash, creditCents: t.amountCents - cash };
    });
  });
}

/** Funds a refund of `amountCents` to the customer, cash first, then credit. */
export function planBalanceRefund(funds: BalanceFunds, amountCents: number): BalancePlan {
  return fund(funds, amountCents, () => []);
}

function fund(funds: BalanceFunds, needed: number, allocate: (cashCents: number, creditCents: number) => PlannedAllocation[]): BalancePlan {
  const available = availableCents(funds);
  if (needed <= 0) throw new DomainError(ErrorCode.INVALID_AMOUNT, 'nothing to move: the amount is zero', { field: 'amountCents' });
  if (needed > available.cashCents + available.creditCents) {
    throw new DomainError(
      ErrorCode.INSUFFICIENT_BALANCE,
      `the balance holds ${available.cashCents + available.creditCents} (cash ${available.cashCents}, credit ${available.creditCents}), less than ${needed}`,
      { field: 'amountCents', available },
    );
  }
  const cashCents = Math.min(needed, available.cashCents);
  const creditCents = needed - cashCents;
  const cashTaken: BalancePlan['cashTaken'][number][] = [];
  let taken = 0;
  for (const c of funds.cash) {
    if (taken >= cashCents) break;
    cashTaken.push(c);
    taken += c.amountCents;
  }
  const creditUsed: { invoiceId: string; amountCents: number }[] = [];
  let creditLeft = creditCents;
  for (const c of funds.credit) {
    if (creditLeft <= 0) break;
    const use = Math.min(creditLeft, c.amountCents);
    creditUsed.push({ invoiceId: c.invoiceId, amountCents: use });
    creditLeft -= use;
  }
  return { allocations: allocate(cashCents, creditCents), cashTaken, cashRestCents: taken - cashCents, creditUsed, cashCents, creditCents };
}
