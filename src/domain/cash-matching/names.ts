/**
 * How alike a payer's name on a bank line is to a customer's name, from 0 to 1: words compared after
 * dropping case, accents, punctuation and legal forms (`GmbH`, `Inc.`, `S.A.R.L.`), so `GLOBEX GMBH`,
 * `Globex` and `Globex Corporation` are the same payer, and `Globex` and `Globe Express` are not.
 */

const LEGAL_FORMS = new Set([
  'AB',
  'AG',
  'AS',
  'BV',
  'CO',
  'CORP',
  'CORPORATION',
  'COMPANY',
  'GMBH',
  'INC',
  'INCORPORATED',
  'KG',
  'LLC',
  'LLP',
  'LP',
  'LTD',
  'LIMITED',
  'NV',
  'OY',
  'PLC',
  'PTY',
  'SA',
  'SARL',
  'SAS',
  'SL',
  'SPA',
  'SRL',
  'UG',
  'OHG',
  'EV',
  'THE',
  'AND',
  'ET',
  'UND',
]);

/** The words of a name that tell payers apart. */
export function nameWords(name: string): string[] {
  const plain = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toUpperCase()
    // `S.A.R.L.`, `G.m.b.H.` → `SARL`, `GMBH` before splitting.
    .replace(/\b(?:[A-Z]\.){2,}[A-Z]?\.?/g, (m) => m.replace(/\./g, ''))
    .replace(/[^A-Z0-9]+/g, ' ');
  return plain.split(' ').filter((w) => w.length > 0 && !LEGAL_FORMS.has(w));
}

/**
 * Similarity of two names: the share of words they have in common (Dice), a word matching when equal
 * or, from six letters on, one typo apart. 1 for the same words, 0 for none in common or an empty name.
 */
export function nameSimilarity(a: string, b: string): number {
  return wordsSimilarity(nameWords(a), nameWords(b));
}

/** `nameSimilarity` of names already split into their words (`nameWords`). */
export function wordsSimilarity(x: readonly string[], y: readonly string[]): number {
  if (x.length === 0 || y.length === 0) return 0;
  const unused = [...y];
  let common = 0;
  for (const w of x) {
    const i = unused.findIndex((v) => v === w || (w.length >= 6 && v.length >= 6 && editDistanceAtMostOne(w, v)));
    if (i >= 0) {
      common++;
      unused.splice(i, 1);
    }
  }
  return (2 * common) / (x.length + y.length);
}

function editDistanceAtMostOne(a: string, b: string): boolean {
  if (a === b) return true;
  if (Math.abs(a.length - b.length) > 1) return false;
  let i = 0;
  let j = 0;
  let edits = 0;
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) {
      i++;
      j++;
      continue;
    }
    if (++edits > 1) return false;
    if (a.length > b.length) i++;
    else if (b.length > a.length) j++;
    else {
      i++;
      j++;
    }
  }
  return edits + (a.length - i) + (b.length - j) <= 1;
}
