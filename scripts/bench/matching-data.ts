import type { CreditToMatch, MatchCustomer, OpenItem } from '../../src/domain/cash-matching/match';

/** A seeded generator (mulberry32): the same seed gives the same book and statement. */
export function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (min: number, max: number) => min + Math.floor(next() * (max - min + 1)),
    pick: <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!,
    chance: (p: number) => next() < p,
  };
}
type Rng = ReturnType<typeof rng>;

const FIRST = [
  'Globex',
  'Initech',
  'Umbrella',
  'Hooli',
  'Vandelay',
  'Kramerica',
  'Soylent',
  'Cyberdyne',
  'Tyrell',
  'Wayne',
  'Stark',
  'Acme',
  'Wonka',
  'Oscorp',
  'Pied',
  'Aperture',
  'Gringotts',
  'Monarch',
  'Nakatomi',
  'Dunder',
  'Sterling',
  'Prestige',
  'Massive',
  'Vehement',
  'Bluth',
  'Virtucon',
  'Gekko',
  'Duff',
  'Krusty',
  'Sirius',
  'Blue',
  'Northern',
  'Southern',
  'Pacific',
  'Atlantic',
  'Alpine',
  'Baltic',
  'Nordic',
  'Iberian',
  'Atlas',
];
const SECOND = [
  'Systems',
  'Industries',
  'Logistics',
  'Foods',
  'Consulting',
  'Media',
  'Energy',
  'Pharma',
  'Textiles',
  'Robotics',
  'Analytics',
  'Freight',
  'Studios',
  'Labs',
  'Holdings',
  'Trading',
  'Partners',
  'Networks',
  'Materials',
  'Dynamics',
  'Brewing',
  'Optics',
  'Software',
  'Capital',
  'Ventures',
];
const THIRD = [
  'North',
  'South',
  'East',
  'West',
  'Central',
  'Europe',
  'Deutschland',
  'France',
  'Iberia',
  'Benelux',
  'Nordics',
  'Austria',
  'Suisse',
  'Italia',
  'Polska',
  '',
];
const LEGAL = ['GmbH', 'AG', 'SARL', 'SA', 'Ltd', 'Inc.', 'LLC', 'BV', 'S.p.A.', 'Oy', 'AB', 'plc'];

export interface MatchingDataset {
  readonly customers: MatchCustomer[];
  readonly items: OpenItem[];
  /** Payer accounts confirmed before (account → customer). */
  readonly accounts: Map<string, string>;
  readonly lines: (CreditToMatch & { readonly scenario: string; readonly truth: readonly string[] })[];
}

/**
 * A book of open invoices and a statement of credits with the noise banks deliver: numbers written
 * every way, typos, no reference, one transfer for several invoices, partial and short payments,
 * overpayments, payer-name variants, unknown accounts, and money that matches nothing. Each line
 * carries its truth (the invoices it pays; none for money that pays nothing).
 */
export function generateMatchingData(o: { seed: number; customers: number; invoices: number; lines: number }): MatchingDataset {
  const r = rng(o.seed);
  const customers: MatchCustomer[] = [];
  const names = new Set<string>();
  const accountOf = new Map<string, string>();
  const currencyOf = new Map<string, string>();
  for (let i = 0; customers.length < o.customers; i++) {
    const name = [r.pick(FIRST), r.pick(SECOND), r.pick(THIRD), r.pick(LEGAL)].filter(Boolean).join(' ');
    const unique = names.has(name) ? `${name.replace(/ \S+$/, '')} ${i} ${r.pick(LEGAL)}` : name;
    names.add(unique);
    const id = `c${customers.length}`;
    customers.push({ id, name: unique });
    accountOf.set(id, `DE${String(10 ** 19 + customers.length * 7919).padStart(20, '0')}`);
    currencyOf.set(id, r.chance(0.15) ? 'USD' : 'EUR');
  }
  const items: OpenItem[] = [];
  for (let i = 1; i <= o.invoices; i++) {
    const customerId = `c${Math.floor(Math.pow(r.next(), 1.6) * o.customers)}`;
    // Subscriptions repeat their amount; other invoices are all over the place.
    const amount = r.chance(0.2) ? r.pick([9_900, 19_900, 49_900, 50_000, 100_000, 250_000]) : r.int(50, 2_000_000);
    items.push({
      invoiceId: `i${i}`,
      number: `INV-${String(i).padStart(6, '0')}`,
      externalNumber: r.chance(0.15) ? String(400_000 + i) : null,
      customerId,
      currency: currencyOf.get(customerId)!,
      amountDueCents: amount,
      dueDate: `2026-${String(r.int(1, 11)).padStart(2, '0')}-${String(r.int(1, 28)).padStart(2, '0')}`,
    });
  }
  const accounts = new Map<string, string>();
  for (const c of customers) if (r.chance(0.6)) accounts.set(accountOf.get(c.id)!, c.id);

  const byCustomer = new Map<string, OpenItem[]>();
  for (const it of items) (byCustomer.get(it.customerId) ?? byCustomer.set(it.customerId, []).get(it.customerId)!).push(it);
  const used = new Set<string>();
  const unusedItem = (): OpenItem => {
    for (;;) {
      const it = r.pick(items);
      if (!used.has(it.invoiceId)) {
        used.add(it.invoiceId);
        return it;
      }
    }
  };
  const lines: MatchingDataset['lines'][number][] = [];
  const scenarios: [number, string][] = [
    [0.4, 'exact'],
    [0.08, 'typo'],
    [0.08, 'combined'],
    [0.08, 'known_account'],
    [0.06, 'name_only'],
    [0.05, 'partial'],
    [0.05, 'bank_fee'],
    [0.04, 'overpaid'],
    [0.04, 'erp_number'],
    [0.06, 'unknown_payer'],
    [0.06, 'nothing'],
  ];
  for (let n = 0; n < o.lines; n++) {
    let x = r.next();
    const scenario = scenarios.find(([p]) => (x -= p) < 0)?.[1] ?? 'nothing';
    lines.push(line(r, scenario, unusedItem, byCustomer, used, customers, accountOf, accounts));
  }
  return { customers, items, accounts, lines };
}

function line(
  r: Rng,
  scenario: string,
  unusedItem: () => OpenItem,
  byCustomer: Map<string, OpenItem[]>,
  used: Set<string>,
  customers: MatchCustomer[],
  accountOf: Map<string, string>,
  accounts: Map<string, string>,
): MatchingDataset['lines'][number] {
  const it = unusedItem();
  const customer = customers[Number(it.customerId.slice(1))]!;
  const noise = () =>
    r.pick([
      '',
      ` Order ${r.int(1000, 99999)}`,
      ` Kd-Nr ${r.int(100, 9999)}`,
      ` ${r.int(1, 28)}.${r.int(1, 12)}.2026`,
      ' thank you',
      ` PO ${r.int(10000, 999999)}`,
    ]);
  const written = (number: string) => {
    const digits = number.slice(4);
    const bare = digits.replace(/^0+/, '');
    return r.pick([
      number,
      `inv ${bare}`,
      `INV${digits}`,
      `Rechnung ${number}`,
      `invoice no. INV ${digits}`,
      number.toLowerCase(),
      `Facture INV-${bare}`,
    ]);
  };
  const payer = (variant = r.chance(0.3)) => (variant ? nameVariant(r, customer.name) : customer.name);
  const base = { currency: it.currency, endToEndId: null, structuredReference: null };
  const known = accounts.has(accountOf.get(it.customerId)!) ? accountOf.get(it.customerId)! : null;
  switch (scenario) {
    case 'exact':
      return {
        ...base,
        scenario,
        truth: [it.invoiceId],
        amountCents: it.amountDueCents,
        remittance: `${written(it.number)}${noise()}`,
        payerName: payer(),
        payerAccount: r.chance(0.5) ? accountOf.get(it.customerId)! : null,
      };
    case 'typo': {
      const digits = it.number.slice(4).split('');
      const at = r.int(2, 5);
      digits[at] = String((Number(digits[at]) + r.int(1, 9)) % 10);
      return {
        ...base,
        scenario,
        truth: [it.invoiceId],
        amountCents: it.amountDueCents,
        remittance: `INV-${digits.join('')}${noise()}`,
        payerName: payer(),
        payerAccount: r.chance(0.5) ? accountOf.get(it.customerId)! : null,
      };
    }
    case 'combined': {
      const more = (byCustomer.get(it.customerId) ?? [])
        .filter((o) => !used.has(o.invoiceId) && o.currency === it.currency)
        .slice(0, r.int(1, 2));
      for (const m of more) used.add(m.invoiceId);
      const all = [it, ...more];
      const refs = all.map((a) => a.number.slice(4).replace(/^0+/, ''));
      return {
        ...base,
        scenario,
        truth: all.map((a) => a.invoiceId),
        amountCents: all.reduce((s, a) => s + a.amountDueCents, 0),
        remittance: `INV ${refs.join(' and ')}${noise()}`,
        payerName: payer(),
        payerAccount: null,
      };
    }
    case 'known_account':
      return {
        ...base,
        scenario,
        truth: known ? [it.invoiceId] : [it.invoiceId],
        amountCents: it.amountDueCents,
        remittance: r.pick(['payment', 'Zahlung', 'virement', 'transfer', '']),
        payerName: payer(true),
        payerAccount: known ?? accountOf.get(it.customerId)!,
      };
    case 'name_only':
      return {
        ...base,
        scenario,
        truth: [it.invoiceId],
        amountCents: it.amountDueCents,
        remittance: r.pick(['payment', 'Zahlung November', 'settlement']),
        payerName: payer(),
        payerAccount: null,
      };
    case 'partial':
      return {
        ...base,
        scenario,
        truth: [it.invoiceId],
        amountCents: Math.max(1, Math.floor(it.amountDueCents * r.pick([0.25, 0.5, 0.6]))),
        remittance: `part payment ${written(it.number)}`,
        payerName: payer(),
        payerAccount: null,
      };
    case 'bank_fee': {
      const fee = Math.min(r.int(300, 1_500), Math.floor(it.amountDueCents / 200));
      return {
        ...base,
        scenario,
        truth: [it.invoiceId],
        amountCents: it.amountDueCents - Math.max(1, fee),
        remittance: `${written(it.number)}`,
        payerName: payer(),
        payerAccount: null,
      };
    }
    case 'overpaid':
      return {
        ...base,
        scenario,
        truth: [it.invoiceId],
        amountCents: it.amountDueCents + r.int(100, 5_000),
        remittance: `${written(it.number)}`,
        payerName: payer(),
        payerAccount: null,
      };
    case 'erp_number':
      return it.externalNumber
        ? {
            ...base,
            scenario,
            truth: [it.invoiceId],
            amountCents: it.amountDueCents,
            remittance: `Ref ${it.externalNumber}`,
            payerName: payer(),
            payerAccount: null,
          }
        : {
            ...base,
            scenario,
            truth: [it.invoiceId],
            amountCents: it.amountDueCents,
            remittance: written(it.number),
            payerName: payer(),
            payerAccount: null,
          };
    case 'unknown_payer':
      // Money of the right amount from someone the engine does not know, saying nothing: never apply it.
      return {
        ...base,
        scenario,
        truth: [],
        amountCents: it.amountDueCents,
        remittance: 'payment',
        payerName: `${r.pick(['Anna', 'John', 'Mehmet', 'Li'])} ${r.pick(['Schmidt', 'Smith', 'Yilmaz', 'Wang'])}`,
        payerAccount: `GB${r.int(10 ** 8, 10 ** 9 - 1)}${r.int(10 ** 8, 10 ** 9 - 1)}`,
      };
    default:
      used.delete(it.invoiceId);
      return {
        ...base,
        scenario: 'nothing',
        truth: [],
        amountCents: r.int(100, 999_999),
        remittance: r.pick(['refund VAT', 'interest', 'Umbuchung', 'cash deposit', `transfer ${r.int(1000, 9999)}`]),
        payerName: r.pick(['Finanzamt', 'Own account', null]),
        payerAccount: null,
      };
  }
}

/** How payers' banks print a name: upper case, without the legal form, first word only, a typo. */
function nameVariant(r: Rng, name: string): string {
  const words = name.split(' ');
  switch (r.int(0, 3)) {
    case 0:
      return name.toUpperCase();
    case 1:
      return words.slice(0, -1).join(' ');
    case 2:
      return words.slice(0, 2).join(' ');
    default: {
      const i = words.findIndex((w) => w.length >= 7);
      if (i < 0) return name.toUpperCase();
      const w = words[i]!;
      const at = r.int(1, w.length - 2);
      words[i] = w.slice(0, at) + w.slice(at + 1);
      return words.join(' ');
    }
  }
}
