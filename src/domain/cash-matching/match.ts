import { formatMoney } from '../money';
import { combinationsSumming } from './combinations';
import { nameWords, wordsSimilarity } from './names';
import { findReferences, oneTypoApart, referenceKey, type FoundReference } from './references';

/** An open invoice money can go to. */
export interface OpenItem {
  readonly invoiceId: string;
  readonly number: string;
  /** The ERP's number, for imported invoices. */
  readonly externalNumber: string | null;
  readonly customerId: string;
  readonly currency: string;
  readonly amountDueCents: number;
  /** YYYY-MM-DD: oldest first when money is spread over several. */
  readonly dueDate: string;
}

export interface MatchCustomer {
  readonly id: string;
  readonly name: string;
}

/** What matching reads of a bank credit (see `BankLine`). */
export interface CreditToMatch {
  readonly amountCents: number;
  readonly currency: string;
  readonly remittance: string;
  readonly endToEndId: string | null;
  readonly structuredReference: string | null;
  readonly payerName: string | null;
  readonly payerAccount: string | null;
}

/** The finance lead's settings (see `DEFAULT_MATCHING_RULES`). */
export interface MatchingRules {
  /** A proposal this sure (0–1), and clearly ahead of the next one, is applied without a human. */
  readonly autoApplyAt: number;
  /**
   * A payment short of one invoice by at most this much (both limits) settles it, the difference being
   * bank charges: written off with a reason, or left open.
   */
  readonly shortTolerance: { readonly cents: number; readonly percent: number };
  readonly shortPayment: 'write_off' | 'leave_open';
  /** At most this many invoices are combined to explain one payment. */
  readonly maxCombination: number;
  /** A payer name this alike (0–1) to a customer's name identifies the customer. */
  readonly nameMatchAt: number;
}

export const DEFAULT_MATCHING_RULES: MatchingRules = {
  autoApplyAt: 0.9,
  shortTolerance: { cents: 2_500, percent: 1 },
  shortPayment: 'write_off',
  maxCombination: 6,
  nameMatchAt: 0.85,
};

export interface Allocation {
  readonly invoiceId: string;
  readonly number: string;
  readonly amountCents: number;
}

/** Where a bank credit's money would go, how sure matching is, and why. */
export interface Proposal {
  readonly customerId: string;
  readonly allocations: readonly Allocation[];
  /** Paid beyond the invoices: the customer's credit. */
  readonly creditCents: number;
  /** Short of the invoices within tolerance, written off as bank charges. */
  readonly writeOffCents: number;
  readonly confidence: number;
  /** Each rule that fired, in words. */
  readonly rules: readonly string[];
}

export type MatchDecision =
  | { readonly kind: 'auto'; readonly proposal: Proposal }
  | { readonly kind: 'suggested'; readonly proposals: readonly Proposal[]; readonly why: string }
  | { readonly kind: 'unmatched'; readonly why: string };

/** The open items, customers and learned payer accounts matching looks things up in (build once per statement). */
export interface MatchBook {
  readonly byKey: ReadonlyMap<string, readonly OpenItem[]>;
  readonly byCustomer: ReadonlyMap<string, readonly OpenItem[]>;
  readonly byAmount: ReadonlyMap<string, readonly OpenItem[]>;
  readonly customers: ReadonlyMap<string, MatchCustomer>;
  /** Payer account (normalized) → the customer it was confirmed for. */
  readonly accounts: ReadonlyMap<string, string>;
  readonly prefixes: readonly string[];
  /** Customers by the words of their names, to compare a payer only with plausible ones. */
  readonly byNameWord: ReadonlyMap<string, readonly MatchCustomer[]>;
  /** Each customer's name in words (`nameWords`). */
  readonly nameWordsOf: ReadonlyMap<string, readonly string[]>;
}

export function buildMatchBook(o: {
  items: readonly OpenItem[];
  customers: readonly MatchCustomer[];
  accounts: ReadonlyMap<string, string>;
}): MatchBook {
  const byKey = new Map<string, OpenItem[]>();
  const byCustomer = new Map<string, OpenItem[]>();
  const byAmount = new Map<string, OpenItem[]>();
  const prefixes = new Set<string>();
  const push = <K>(m: Map<K, OpenItem[]>, k: K, item: OpenItem) => {
    const list = m.get(k);
    if (list) list.push(item);
    else m.set(k, [item]);
  };
  for (const item of o.items) {
    if (item.amountDueCents <= 0) continue;
    for (const n of [item.number, item.externalNumber]) {
      const key = n ? referenceKey(n) : null;
      if (!key) continue;
      push(byKey, key, item);
      const prefix = /^[A-Z]+/.exec(key)?.[0];
      if (prefix) prefixes.add(prefix);
    }
    push(byCustomer, item.customerId, item);
    push(byAmount, `${item.currency}:${item.amountDueCents}`, item);
  }
  for (const list of byCustomer.values()) list.sort((a, b) => a.dueDate.localeCompare(b.dueDate) || a.number.localeCompare(b.number));
  const nameWordsOf = new Map(o.customers.map((c) => [c.id, nameWords(c.name)]));
  const byNameWord = new Map<string, MatchCustomer[]>();
  for (const c of o.customers)
    for (const w of new Set(indexWords(nameWordsOf.get(c.id)!))) (byNameWord.get(w) ?? byNameWord.set(w, []).get(w)!).push(c);
  return {
    byKey,
    byCustomer,
    byAmount,
    customers: new Map(o.customers.map((c) => [c.id, c])),
    accounts: o.accounts,
    prefixes: [...prefixes],
    byNameWord,
    nameWordsOf,
  };
}

/**
 * Decides where a bank credit goes: the invoices it names (exactly, or with one typo), else the
 * payer (an account confirmed before, then the name) and amounts (one invoice, a combination, a
 * short payment within tolerance). Money is only ever put on invoices of one customer in the
 * credit's currency. Pure.
 */
export function matchCredit(
  line: CreditToMatch,
  book: MatchBook,
  rules: MatchingRules = DEFAULT_MATCHING_RULES,
  /** Money already put on invoices since the book was read (earlier lines of the same statement). */
  spent: ReadonlyMap<string, number> = new Map(),
): MatchDecision {
  const live = (items: readonly OpenItem[]): OpenItem[] =>
    items
      .map((i) => (spent.has(i.invoiceId) ? { ...i, amountDueCents: i.amountDueCents - spent.get(i.invoiceId)! } : i))
      .filter((i) => i.amountDueCents > 0);
  // Worked out only when a rule needs it (most lines name their invoice).
  let known: NameMatches | undefined;
  const names = () => (known ??= line.payerName ? payerNameMatches(line.payerName, book) : []);
  const named = byReference(line, book, rules, live, names);
  // When the remittance names open invoices, a reading from the payer and amount alone that puts the
  // money elsewhere is a question, not an answer.
  const sameMoney = (a: Proposal, b: Proposal) =>
    a.customerId === b.customerId && a.allocations.map((x) => x.invoiceId).join() === b.allocations.map((x) => x.invoiceId).join();
  // Payer readings are capped below the threshold when they differ from the named invoices, so they
  // cannot shadow a named reading this sure: not worked out.
  const cap = round(rules.autoApplyAt - 0.05);
  const sureByName = named.some((n) => n.confidence >= cap + 0.1);
  const fromPayer = (sureByName ? [] : byPayer(line, book, rules, live, names)).map((p) =>
    named.length > 0 && !named.some((n) => sameMoney(n, p))
      ? {
          ...p,
          confidence: Math.min(p.confidence, round(rules.autoApplyAt - 0.05)),
          rules: [...p.rules, 'the remittance names other invoices'],
        }
      : p,
  );
  const proposals = [...named, ...fromPayer];
  if (proposals.length === 0) {
    const sameAmount = live(book.byAmount.get(`${line.currency}:${line.amountCents}`) ?? [])
      .filter((i) => i.amountDueCents === line.amountCents)
      .slice(0, 5);
    if (sameAmount.length > 0) {
      return {
        kind: 'suggested',
        why: 'no invoice number and no known payer; open invoices of exactly this amount',
        proposals: sameAmount.map((item) => ({
          customerId: item.customerId,
          allocations: [{ invoiceId: item.invoiceId, number: item.number, amountCents: item.amountDueCents }],
          creditCents: 0,
          writeOffCents: 0,
          confidence: sameAmount.length === 1 ? 0.5 : 0.3,
          rules: [`amount equals ${item.number}'s amount due`, 'payer unknown'],
        })),
      };
    }
    return { kind: 'unmatched', why: 'no invoice number, no known payer, and no open invoice of this amount' };
  }
  const ranked = dedupe(proposals).sort((a, b) => b.confidence - a.confidence);
  const [best, second] = ranked;
  // Sure, and not shadowed by another reading nearly as good.
  if (best!.confidence >= rules.autoApplyAt && (!second || best!.confidence - second.confidence >= 0.1))
    return { kind: 'auto', proposal: best! };
  return {
    kind: 'suggested',
    proposals: ranked.slice(0, 5),
    why: best!.confidence >= rules.autoApplyAt ? 'two readings are nearly as likely' : 'not sure enough to apply on its own',
  };
}

/** The open items as they stand now (less what earlier lines put on them). */
type Live = (items: readonly OpenItem[]) => OpenItem[];

/** Proposals from invoice numbers in the remittance (ours and the ERP's), exact first, then one typo. */
/** Customers whose names are like the payer's (50 % and more), most alike first. */
type NameMatches = readonly { readonly customer: MatchCustomer; readonly similarity: number }[];
type Names = () => NameMatches;

function byReference(line: CreditToMatch, book: MatchBook, rules: MatchingRules, live: Live, names: Names): Proposal[] {
  const text = [line.remittance, line.endToEndId, line.structuredReference].filter(Boolean).join(' ');
  const found = findReferences(text, book.prefixes, { minBareDigits: 4 });
  const exact = new Map<string, { item: OpenItem; ref: FoundReference }>();
  for (const ref of found)
    for (const item of live(book.byKey.get(ref.key) ?? [])) if (item.currency === line.currency) exact.set(item.invoiceId, { item, ref });
  if (exact.size > 0) {
    const named = proposalsFor([...exact.values()], line, book, rules, names, false);
    if (named.some((n) => n.confidence >= rules.autoApplyAt)) return named;
    // The number is someone else's invoice, and the payer another customer: a typo into that other
    // invoice is the likelier reading when it lands on one of the payer's own invoices.
    const payers = new Set(
      names()
        .filter((n) => n.similarity >= 0.75)
        .map((n) => n.customer.id),
    );
    const elsewhere = [...exact.values()].every((h) => !payers.has(h.item.customerId));
    return payers.size > 0 && elsewhere
      ? [...named, ...typoProposals(found, line, book, rules, live, names, (i) => payers.has(i.customerId))]
      : named;
  }
  return typoProposals(found, line, book, rules, live, names, () => true);
}

/** One typo, in prefixed references of three digits or more; a typo that could be two invoices is no answer. */
function typoProposals(
  found: readonly FoundReference[],
  line: CreditToMatch,
  book: MatchBook,
  rules: MatchingRules,
  live: Live,
  names: Names,
  among: (item: OpenItem) => boolean,
): Proposal[] {
  const typo = new Map<string, { item: OpenItem; ref: FoundReference }>();
  for (const ref of found) {
    if (!ref.prefix || ref.digits.length < 3) continue;
    const hits = typoVariants(ref.digits).flatMap((d) =>
      live(book.byKey.get(`${ref.prefix}${d}`) ?? []).filter((i) => i.currency === line.currency && among(i)),
    );
    const distinct = [...new Map(hits.map((h) => [h.invoiceId, h])).values()];
    if (distinct.length === 1) typo.set(distinct[0]!.invoiceId, { item: distinct[0]!, ref });
  }
  return typo.size > 0 ? proposalsFor([...typo.values()], line, book, rules, names, true) : [];
}

function proposalsFor(
  hits: { item: OpenItem; ref: FoundReference }[],
  line: CreditToMatch,
  book: MatchBook,
  rules: MatchingRules,
  names: Names,
  typo: boolean,
): Proposal[] {
  const byCustomer = new Map<string, { item: OpenItem; ref: FoundReference }[]>();
  for (const h of hits) (byCustomer.get(h.item.customerId) ?? byCustomer.set(h.item.customerId, []).get(h.item.customerId)!).push(h);
  // Invoices of several customers named: each is a reading, none is sure.
  const split = byCustomer.size > 1 ? 0.4 : 0;
  return [...byCustomer.entries()].map(([customerId, named]) => {
    const items = named.map((n) => n.item).sort((a, b) => a.dueDate.localeCompare(b.dueDate) || a.number.localeCompare(b.number));
    const payer = payerEvidence(line, customerId, book, rules, names);
    const why = named.map((n) =>
      typo ? `${n.item.number} (written "${n.ref.text}", one typo)` : `invoice number ${n.item.number} in the remittance`,
    );
    const spread = allocate(items, line.amountCents, rules);
    // A bare number (no prefix) may be an amount or a date that happens to be an ERP number: only the payer makes it sure.
    const bare = named.every((n) => n.ref.prefix === '');
    let confidence = typo ? (payer.confirms ? 0.92 : 0.75) : bare && !payer.confirms ? 0.7 : 0.99;
    if (spread.kind === 'over') confidence -= 0.05;
    if (spread.kind === 'partial') confidence -= items.length > 1 ? 0.25 : 0.06;
    if (spread.kind === 'short') confidence -= 0.05;
    // An amount that is not the amount due is how a mistyped number shows: only the payer makes it sure.
    if (spread.kind !== 'exact' && !payer.confirms) confidence -= 0.2;
    if (payer.contradicts) confidence -= 0.3;
    if (payer.stranger) confidence -= 0.1;
    return {
      customerId,
      allocations: spread.allocations,
      creditCents: spread.creditCents,
      writeOffCents: spread.writeOffCents,
      confidence: round(confidence - split),
      rules: [...why, spread.rule, ...payer.rules, ...(split ? ['invoices of more than one customer named'] : [])],
    };
  });
}

/** Proposals from who paid: an account confirmed before, else the name; then the amounts of that customer's open invoices. */
function byPayer(line: CreditToMatch, book: MatchBook, rules: MatchingRules, live: Live, names: Names): Proposal[] {
  const candidates: { customerId: string; base: number; rule: string }[] = [];
  const known = line.payerAccount ? book.accounts.get(line.payerAccount) : undefined;
  if (known)
    candidates.push({ customerId: known, base: 0.97, rule: `payer account ${line.payerAccount} confirmed for this customer before` });
  // A name like several customers' (`Globex Systems` for `Globex Systems North GmbH` and `Globex Systems AG`) names none of
  // them for sure — unless only one of them has an open invoice of exactly this amount.
  const alike = names().filter((n) => n.similarity >= 0.6);
  const owing = new Set(
    live(book.byAmount.get(`${line.currency}:${line.amountCents}`) ?? [])
      .filter((i) => i.amountDueCents === line.amountCents)
      .map((i) => i.customerId),
  );
  const owesExactly = alike.filter((n) => owing.has(n.customer.id));
  const settledByAmount = alike.length > 1 && owesExactly.length === 1 ? owesExactly[0]!.customer.id : null;
  for (const { customer: c, similarity } of names()) {
    if (c.id === known || similarity < rules.nameMatchAt) continue;
    const ambiguous = alike.length > 1 && settledByAmount !== c.id;
    candidates.push({
      customerId: c.id,
      base: 0.93 * similarity - (ambiguous ? 0.2 : 0),
      rule: `payer name "${line.payerName}" is customer "${c.name}" (${Math.round(similarity * 100)} % alike${
        ambiguous ? ', like other customers too' : settledByAmount ? ', the only one of the alike names owing this amount' : ''
      })`,
    });
  }
  return candidates.flatMap(({ customerId, base, rule }) => {
    const open = live(book.byCustomer.get(customerId) ?? []).filter((i) => i.currency === line.currency);
    if (open.length === 0) return [];
    const proposal = (items: OpenItem[], confidence: number, why: string): Proposal => {
      const spread = allocate(items, line.amountCents, rules);
      return {
        customerId,
        allocations: spread.allocations,
        creditCents: spread.creditCents,
        writeOffCents: spread.writeOffCents,
        confidence: round(confidence),
        rules: [rule, why, spread.rule],
      };
    };
    const equal = open.filter((i) => i.amountDueCents === line.amountCents);
    if (equal.length === 1) return [proposal(equal, base, `amount equals ${equal[0]!.number}'s amount due`)];
    if (equal.length > 1) return equal.slice(0, 3).map((i) => proposal([i], base - 0.35, `amount equals several invoices' amounts due`));
    const { sets, exhausted } = combinationsSumming(open, line.amountCents, { maxItems: rules.maxCombination, maxSteps: 5_000 });
    if (sets.length === 1 && !exhausted)
      return [proposal(sets[0]!, base - 0.04, `amount equals ${sets[0]!.length} open invoices together`)];
    if (sets.length > 1) return sets.map((s) => proposal(s, base - 0.35, 'amount equals more than one combination of open invoices'));
    const short = open.filter((i) => withinShortTolerance(i.amountDueCents, line.amountCents, rules));
    if (short.length === 1) return [proposal(short, base - 0.07, `amount is ${short[0]!.number}'s less bank charges`)];
    // Money from a known payer that fits nothing exactly: oldest first, for a human to confirm.
    return [proposal(open, base - 0.45, 'amount fits no invoice: oldest first')];
  });
}

type Spread = {
  allocations: Allocation[];
  creditCents: number;
  writeOffCents: number;
  rule: string;
  kind: 'exact' | 'over' | 'partial' | 'short';
};

/** Spreads `amount` over `items` oldest first: each in full, a short payment within tolerance settling the last, the rest as credit. */
function allocate(items: readonly OpenItem[], amount: number, rules: MatchingRules): Spread {
  const due = items.reduce((s, i) => s + i.amountDueCents, 0);
  const full = items.map((i) => ({ invoiceId: i.invoiceId, number: i.number, amountCents: i.amountDueCents }));
  if (amount === due) return { allocations: full, creditCents: 0, writeOffCents: 0, rule: 'amount equals the amount due', kind: 'exact' };
  if (amount > due) {
    const credit = amount - due;
    return {
      allocations: full,
      creditCents: credit,
      writeOffCents: 0,
      rule: `overpaid by ${formatMoney(credit, items[0]!.currency)}: customer credit`,
      kind: 'over',
    };
  }
  const last = items[items.length - 1]!;
  // The shortfall is written off on the last invoice, which the transfer still pays in part (a
  // shortfall as large as the last invoice is that invoice unpaid, not bank charges).
  if (withinShortTolerance(due, amount, rules) && rules.shortPayment === 'write_off' && due - amount < last.amountDueCents) {
    const shortBy = due - amount;
    const allocations = full.map((a) => (a.invoiceId === last.invoiceId ? { ...a, amountCents: a.amountCents - shortBy } : a));
    return {
      allocations,
      creditCents: 0,
      writeOffCents: shortBy,
      rule: `short by ${formatMoney(shortBy, last.currency)} (bank charges): written off`,
      kind: 'short',
    };
  }
  let left = amount;
  const allocations: Allocation[] = [];
  for (const i of items) {
    if (left === 0) break;
    const take = Math.min(left, i.amountDueCents);
    allocations.push({ invoiceId: i.invoiceId, number: i.number, amountCents: take });
    left -= take;
  }
  return {
    allocations,
    creditCents: 0,
    writeOffCents: 0,
    rule: `partial payment: ${formatMoney(due - amount, last.currency)} stays open`,
    kind: 'partial',
  };
}

function withinShortTolerance(due: number, paid: number, rules: MatchingRules): boolean {
  const short = due - paid;
  return short > 0 && short <= rules.shortTolerance.cents && short * 100 <= due * rules.shortTolerance.percent;
}

/** Whether the payer's account or name agrees with the customer the invoice numbers point to, or points elsewhere. */
function payerEvidence(
  line: CreditToMatch,
  customerId: string,
  book: MatchBook,
  rules: MatchingRules,
  names: Names,
): { confirms: boolean; contradicts: boolean; stranger: boolean; rules: string[] } {
  const known = line.payerAccount ? book.accounts.get(line.payerAccount) : undefined;
  if (known === customerId)
    return {
      confirms: true,
      contradicts: false,
      stranger: false,
      rules: [`payer account ${line.payerAccount} confirmed for this customer before`],
    };
  if (known)
    return {
      confirms: false,
      contradicts: true,
      stranger: false,
      rules: [`payer account ${line.payerAccount} belongs to another customer`],
    };
  const customer = book.customers.get(customerId);
  if (!line.payerName || !customer) return { confirms: false, contradicts: false, stranger: false, rules: [] };
  const similarity = wordsSimilarity(nameWords(line.payerName), book.nameWordsOf.get(customerId) ?? []);
  if (similarity >= 0.75)
    return { confirms: true, contradicts: false, stranger: false, rules: [`payer name "${line.payerName}" fits "${customer.name}"`] };
  // The name is another customer's: the number is likely mistyped into someone else's invoice.
  const other =
    similarity < 0.5
      ? names().find((n) => n.customer.id !== customerId && n.similarity >= Math.min(0.75, rules.nameMatchAt))?.customer
      : undefined;
  if (other)
    return {
      confirms: false,
      contradicts: true,
      stranger: false,
      rules: [`payer name "${line.payerName}" is another customer's ("${other.name}")`],
    };
  // A name with nothing in common with the customer's: a parent company or a payment provider, or a mistyped number.
  const stranger = similarity === 0;
  return {
    confirms: false,
    contradicts: false,
    stranger,
    rules: stranger ? [`payer name "${line.payerName}" has nothing of "${customer.name}"`] : [],
  };
}

/**
 * Customers sharing one of the two rarest words of the payer's name (a name alike enough shares
 * most of its words, so it shares one of those; a word most names have, `SYSTEMS`, is never the one
 * looked through), and how alike the names are (50 % and more).
 */
function payerNameMatches(payerName: string, book: MatchBook): NameMatches {
  const words = nameWords(payerName);
  const lists = [...new Set(indexWords(words))]
    .map((w) => book.byNameWord.get(w))
    .filter((l): l is readonly MatchCustomer[] => l !== undefined)
    .sort((a, b) => a.length - b.length)
    .slice(0, 2);
  const seen = new Map<string, MatchCustomer>();
  for (const list of lists) for (const c of list) seen.set(c.id, c);
  return [...seen.values()]
    .map((customer) => ({ customer, similarity: wordsSimilarity(words, book.nameWordsOf.get(customer.id) ?? []) }))
    .filter((m) => m.similarity >= 0.5)
    .sort((a, b) => b.similarity - a.similarity);
}

/** Index words: the first four letters of each word of three letters or more (a typo later in the word still finds it). */
function indexWords(words: readonly string[]): string[] {
  return words.filter((w) => w.length >= 3).map((w) => w.slice(0, 4));
}

/** Every digit string one typo away from `digits`. */
function typoVariants(digits: string): string[] {
  const out = new Set<string>();
  for (let i = 0; i < digits.length; i++) {
    for (let d = 0; d <= 9; d++) out.add(digits.slice(0, i) + d + digits.slice(i + 1));
    out.add(digits.slice(0, i) + digits.slice(i + 1));
    if (i + 1 < digits.length) out.add(digits.slice(0, i) + digits[i + 1] + digits[i] + digits.slice(i + 2));
  }
  for (let i = 0; i <= digits.length; i++) for (let d = 0; d <= 9; d++) out.add(digits.slice(0, i) + d + digits.slice(i));
  out.delete(digits);
  return [...out].filter((v) => v.length > 0 && oneTypoApart(digits, v)).map((v) => v.replace(/^0+(?=\d)/, ''));
}

/** One proposal per customer and allocation set, the surest kept. */
function dedupe(proposals: Proposal[]): Proposal[] {
  const kept = new Map<string, Proposal>();
  for (const p of proposals) {
    const key = `${p.customerId}|${p.allocations.map((a) => `${a.invoiceId}:${a.amountCents}`).join(',')}|${p.creditCents}|${p.writeOffCents}`;
    const earlier = kept.get(key);
    if (!earlier || earlier.confidence < p.confidence)
      kept.set(key, earlier ? { ...p, rules: [...new Set([...p.rules, ...earlier.rules])] } : p);
  }
  return [...kept.values()];
}

const round = (n: number) => Math.max(0, Math.min(1, Math.round(n * 100) / 100));
