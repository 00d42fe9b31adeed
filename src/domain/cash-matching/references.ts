/**
 * Invoice numbers as payers write them in remittance text: `INV-000042`, `inv 42`, `Inv.42`,
 * `INV000042`, `Rechnung INV-42 und 43`. A number is compared by its key: the letters of its prefix
 * and its digits without leading zeros (`INV42`), so separators, case and padding never matter.
 */

/** The key of an invoice number (ours or the ERP's): prefix letters and digits, leading zeros dropped. */
export function referenceKey(number: string): string | null {
  const compact = number.toUpperCase().replace(/[^A-Z0-9]/g, '');
  const m = /^([A-Z]*)0*(\d+)$/.exec(compact);
  if (!m) return compact.length >= 3 ? compact : null;
  return `${m[1]}${m[2]}`;
}

/** A reference found in the text: its key, and the key's prefix and digits (for typo matching). */
export interface FoundReference {
  readonly key: string;
  readonly prefix: string;
  readonly digits: string;
  /** As written. */
  readonly text: string;
}

const SEPARATOR = String.raw`[\s\-_./#:]*`;
// Compared with the text upper-cased.
const LIST_JOIN = String.raw`\s*(?:,|;|&|\+|/|AND|UND|ET|Y|E)\s*`;

/**
 * Every invoice-number-like reference in `text` for the given prefixes (`INV`, the ERP's `QB`, …), and
 * bare digit runs of at least `minBareDigits` (ERP numbers without a prefix). A list after one prefix
 * (`INV 61 and 62`, `Facture inv 43, 44`) gives each number the prefix.
 */
export function findReferences(text: string, prefixes: readonly string[], o: { minBareDigits?: number } = {}): FoundReference[] {
  const found = new Map<string, FoundReference>();
  const upper = text.toUpperCase();
  const add = (prefix: string, digits: string, written: string) => {
    const d = digits.replace(/^0+(?=\d)/, '');
    const key = `${prefix}${d}`;
    if (!found.has(key)) found.set(key, { key, prefix, digits: d, text: written.trim() });
  };
  const listed = referencePattern(prefixes);
  if (listed) {
    for (const m of upper.matchAll(listed)) {
      const prefix = m[1]!;
      add(prefix, m[2]!, m[0]);
      for (const more of (m[3] ?? '').matchAll(/\d{1,12}/g)) add(prefix, more[0], more[0]);
    }
  }
  const bare = o.minBareDigits ?? 0;
  if (bare > 0) {
    for (const m of upper.matchAll(new RegExp(String.raw`(?<![A-Z0-9.,])\d{${bare},12}(?![0-9]|[.,]\d)`, 'g'))) add('', m[0], m[0]);
  }
  return [...found.values()];
}

const patterns = new Map<string, RegExp | null>();
/** The pattern of references with these prefixes, made once per set of prefixes. */
function referencePattern(prefixes: readonly string[]): RegExp | null {
  const id = prefixes.join('|');
  let pattern = patterns.get(id);
  if (pattern === undefined) {
    const known = [...new Set(prefixes.map((p) => p.toUpperCase().replace(/[^A-Z]/g, '')).filter(Boolean))].sort(
      (a, b) => b.length - a.length,
    );
    pattern =
      known.length === 0
        ? null
        : new RegExp(
            String.raw`(?<![A-Z])(${known.join('|')})${SEPARATOR}(\d{1,12})((?:${LIST_JOIN}(?:\1${SEPARATOR})?\d{1,12}(?!\d))*)`,
            'g',
          );
    if (patterns.size > 100) patterns.clear();
    patterns.set(id, pattern);
  }
  if (pattern) pattern.lastIndex = 0;
  return pattern;
}

/**
 * Whether two digit strings differ by one typo: one digit changed, added, dropped, or two neighbours
 * swapped (Damerau–Levenshtein distance 1). Equal strings are not a typo.
 */
export function oneTypoApart(a: string, b: string): boolean {
  if (a === b) return false;
  if (Math.abs(a.length - b.length) > 1) return false;
  if (a.length === b.length) {
    const diff = [...a].map((c, i) => (c === b[i] ? -1 : i)).filter((i) => i >= 0);
    if (diff.length === 1) return true;
    return diff.length === 2 && diff[1] === diff[0]! + 1 && a[diff[0]!] === b[diff[1]!] && a[diff[1]!] === b[diff[0]!];
  }
  const [short, long] = a.length < b.length ? [a, b] : [b, a];
  for (let i = 0; i < long.length; i++) if (long.slice(0, i) + long.slice(i + 1) === short) return true;
  return false;
}
