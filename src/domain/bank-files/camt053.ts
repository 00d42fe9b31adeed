import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { amountAt, collapse, currencyAt, malformed, normalizeAccount, type BankLine, type BankStatement } from './statement';

/** Elements that repeat: always arrays, so one entry and many read alike. */
const REPEATED = new Set(['Stmt', 'Ntry', 'NtryDtls', 'TxDtls', 'Ustrd', 'Strd', 'Bal']);

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  removeNSPrefix: true,
  // Values stay text: an amount is never read as a float.
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  isArray: (name) => REPEATED.has(name),
});

type Node = Record<string, unknown>;
const node = (v: unknown): Node | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Node) : undefined);
const list = (v: unknown): Node[] => (Array.isArray(v) ? v.map(node).filter((n): n is Node => n !== undefined) : []);
/** The text of an element, whether it has attributes or not. */
const text = (v: unknown): string | null => {
  if (typeof v === 'string') return v;
  const n = node(v);
  return n && typeof n['#text'] === 'string' ? n['#text'] : null;
};
const at = (root: unknown, ...path: string[]): unknown => path.reduce<unknown>((n, key) => node(n)?.[key], root);

/**
 * Reads an ISO 20022 bank-to-customer statement (camt.053, versions .001.02 to .001.13): every
 * statement of the file, every booked entry, one line per transaction of a batch entry. Debtor names
 * and accounts, end-to-end ids, unstructured and structured remittance (creditor references) are
 * kept. A file that is not well-formed XML, or not a camt.053 document, is refused with its line.
 */
export function parseCamt053(xml: string): BankStatement[] {
  if (/<!(DOCTYPE|ENTITY)/i.test(xml)) throw malformed('file', 'a document type declaration is not allowed in a camt.053 file');
  const valid = XMLValidator.validate(xml);
  if (valid !== true) throw malformed(`line ${valid.err.line}`, `not well-formed XML (${valid.err.msg})`);
  const doc: unknown = parser.parse(xml);
  const root = node(at(doc, 'Document', 'BkToCstmrStmt'));
  if (!root) throw malformed('Document', 'not a camt.053 statement (no Document/BkToCstmrStmt)');
  const statements = list(root.Stmt);
  if (statements.length === 0) throw malformed('BkToCstmrStmt', 'holds no Stmt');
  return statements.map((stmt, s) => readStatement(stmt, `Stmt ${s + 1}`));
}

function readStatement(stmt: Node, where: string): BankStatement {
  const account = normalizeAccount(text(at(stmt, 'Acct', 'Id', 'IBAN')) ?? text(at(stmt, 'Acct', 'Id', 'Othr', 'Id')));
  if (!account) throw malformed(`${where} / Acct`, 'names no account (Id/IBAN or Id/Othr/Id)');
  const balances = list(stmt.Bal);
  const currency = currencyAt(`${where} / Acct / Ccy`, text(at(stmt, 'Acct', 'Ccy')) ?? text(node(balances[0]?.Amt)?.['@_Ccy']) ?? null);
  const balance = (codes: string[]) => {
    const found = balances.find((b) => codes.includes(text(at(b, 'Tp', 'CdOrPrtry', 'Cd')) ?? ''));
    if (!found) return null;
    const cents = amountAt(`${where} / Bal`, text(found.Amt), currency);
    return text(found.CdtDbtInd) === 'DBIT' ? -cents : cents;
  };
  const lines = list(stmt.Ntry).flatMap((entry, n) => readEntry(entry, `${where} / Ntry ${n + 1}`, currency));
  return {
    account,
    currency,
    statementId: text(stmt.Id) ?? text(stmt.ElctrncSeqNb),
    from: dateOf(text(at(stmt, 'FrToDt', 'FrDtTm'))),
    to: dateOf(text(at(stmt, 'FrToDt', 'ToDtTm'))),
    openingBalanceCents: balance(['OPBD', 'PRCD']),
    closingBalanceCents: balance(['CLBD']),
    lines,
  };
}

function readEntry(entry: Node, where: string, accountCurrency: string): BankLine[] {
  // Status is `<Sts>BOOK</Sts>` before version .08 and `<Sts><Cd>BOOK</Cd></Sts>` from it.
  const status = text(entry.Sts) ?? text(at(entry, 'Sts', 'Cd'));
  if (status && status !== 'BOOK') return [];
  const direction = directionAt(`${where} / CdtDbtInd`, text(entry.CdtDbtInd));
  const currency = currencyAt(`${where} / Amt`, text(node(entry.Amt)?.['@_Ccy']) ?? accountCurrency);
  const bookingDate = dateOf(text(at(entry, 'BookgDt', 'Dt')) ?? text(at(entry, 'BookgDt', 'DtTm')));
  if (!bookingDate) throw malformed(`${where} / BookgDt`, 'has no booking date');
  const valueDate = dateOf(text(at(entry, 'ValDt', 'Dt')) ?? text(at(entry, 'ValDt', 'DtTm')));
  const entryRef = text(entry.AcctSvcrRef);
  const typeCode = text(at(entry, 'BkTxCd', 'Domn', 'Fmly', 'SubFmlyCd')) ?? text(at(entry, 'BkTxCd', 'Prtry', 'Cd'));
  const transactions = list(entry.NtryDtls).flatMap((d) => list(d.TxDtls));
  const base = { direction, currency, bookingDate, valueDate, typeCode };
  // A batch entry with an amount per transaction: one line each (a collection of several payers).
  const perTransaction =
    transactions.length > 1 && transactions.every((t) => text(at(t, 'AmtDtls', 'TxAmt', 'Amt')) !== null || text(t.Amt) !== null);
  if (perTransaction) {
    return transactions.map((t, i) => {
      const location = `${where} / TxDtls ${i + 1}`;
      const amount = text(t.Amt) ?? text(at(t, 'AmtDtls', 'TxAmt', 'Amt'));
      const txDirection = text(t.CdtDbtInd) ? directionAt(`${location} / CdtDbtInd`, text(t.CdtDbtInd)) : direction;
      return {
        ...base,
        ...details(t),
        direction: txDirection,
        amountCents: amountAt(`${location} / Amt`, amount, currency),
        bankReference: text(at(t, 'Refs', 'AcctSvcrRef')) ?? (entryRef ? `${entryRef}/${i + 1}` : null),
        location,
      };
    });
  }
  return [
    {
      ...base,
      ...details(transactions[0]),
      amountCents: amountAt(`${where} / Amt`, text(entry.Amt), currency),
      bankReference: entryRef ?? text(at(transactions[0], 'Refs', 'AcctSvcrRef')),
      location: where,
    },
  ];
}

/** Who paid and why, from a transaction's details (absent on a bare entry). */
function details(tx: Node | undefined) {
  const parties = node(tx?.RltdPties);
  const endToEnd = text(at(tx, 'Refs', 'EndToEndId'));
  const remittance = node(tx?.RmtInf);
  const unstructured = (Array.isArray(remittance?.Ustrd) ? remittance.Ustrd : []).map(text).filter(Boolean).join(' ');
  const structured = list(remittance?.Strd)
    .map((s) => text(at(s, 'CdtrRefInf', 'Ref')))
    .find((r): r is string => Boolean(r));
  const additional = text(tx?.AddtlTxInf);
  return {
    // The debtor is `Dbtr/Nm` before version .08 and `Dbtr/Pty/Nm` from it; the ultimate debtor when it is all there is.
    payerName:
      collapse(text(at(parties, 'Dbtr', 'Nm')) ?? text(at(parties, 'Dbtr', 'Pty', 'Nm')) ?? text(at(parties, 'UltmtDbtr', 'Nm'))) || null,
    payerAccount: normalizeAccount(text(at(parties, 'DbtrAcct', 'Id', 'IBAN')) ?? text(at(parties, 'DbtrAcct', 'Id', 'Othr', 'Id'))),
    endToEndId: endToEnd && endToEnd !== 'NOTPROVIDED' ? endToEnd : null,
    structuredReference: structured ?? null,
    remittance: collapse([unstructured, additional].filter(Boolean).join(' ')),
  };
}

function directionAt(location: string, indicator: string | null): 'credit' | 'debit' {
  if (indicator === 'CRDT') return 'credit';
  if (indicator === 'DBIT') return 'debit';
  throw malformed(location, `"${indicator ?? ''}" is neither CRDT nor DBIT`);
}

/** The date part of an ISO date or date-time (`2026-12-01`, `2026-12-01T10:00:00+01:00`). */
function dateOf(value: string | null): string | null {
  const match = value ? /^(\d{4}-\d{2}-\d{2})/.exec(value) : null;
  return match ? match[1]! : null;
}
