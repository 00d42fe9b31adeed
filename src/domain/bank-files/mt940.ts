import {
  amountAt,
  collapse,
  currencyAt,
  dateAt,
  malformed,
  normalizeAccount,
  yymmddAt,
  type BankLine,
  type BankStatement,
} from './statement';

interface Field {
  readonly tag: string;
  value: string;
  readonly line: number;
}

/** `:61:` value date, entry date, mark, funds code, amount, type, customer reference, `//` bank reference, supplementary details. */
const STATEMENT_LINE = /^(\d{6})(\d{4})?(RC|RD|C|D)([A-Z])?(\d+,\d*)([NSF][A-Z0-9]{3})([^\n]*?)(?:\/\/([^\n]*))?(?:\n([\s\S]*))?$/;
const BALANCE = /^([CD])(\d{6})([A-Z]{3})(\d+,\d*)$/;

/**
 * Reads SWIFT MT940 customer statements (one or more per file, with or without the `{1:}{2:}{4:`
 * envelope). Each `:61:` line is a booked entry with its `:86:` information, read for the payer and
 * remittance in the layouts banks use: German `?20`–`?33` subfields (SEPA `EREF+`/`SVWZ+`), SWIFT
 * `/TAG/value` codes, or plain text. Amounts keep their decimal comma exactly (no floating point);
 * reversals (`RC`, `RD`) are kept as debits, never applied as payments. Written here rather than taken
 * from a package: the one maintained parser on npm returns floats and local-time dates.
 */
export function parseMt940(text: string): BankStatement[] {
  const statements: BankStatement[] = [];
  let fields: Field[] = [];
  const flush = () => {
    if (fields.length > 0) statements.push(readStatement(fields));
    fields = [];
  };
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.replace(/\s+$/, '');
    const tag = /^:(\d{2}[A-Z]?):(.*)$/.exec(line);
    if (tag) {
      if (tag[1] === '20') flush();
      fields.push({ tag: tag[1]!, value: tag[2]!, line: i + 1 });
    } else if (/^-}?$|^}$|^\{[1-5]:/.test(line) || line === '') {
      if (/^-/.test(line)) flush();
    } else if (fields.length > 0) {
      fields[fields.length - 1]!.value += `\n${line}`;
    } else {
      throw malformed(`line ${i + 1}`, 'text before the first field (:20:)');
    }
  });
  flush();
  if (statements.length === 0) throw malformed('file', 'holds no MT940 statement (no :20: field)');
  return statements;
}

function readStatement(fields: Field[]): BankStatement {
  const first = fields[0]!;
  const find = (...tags: string[]) => fields.find((f) => tags.includes(f.tag));
  const accountField = find('25');
  if (!accountField) throw malformed(`line ${first.line}`, 'statement without its account (:25:)');
  const opening = find('60F', '60M');
  if (!opening) throw malformed(`line ${first.line}`, 'statement without its opening balance (:60F:)');
  const open = balance(opening);
  const closingField = find('62F', '62M');
  const close = closingField ? balance(closingField) : null;
  const currency = open.currency;
  const lines: BankLine[] = [];
  fields.forEach((f, i) => {
    if (f.tag !== '61') return;
    const next = fields[i + 1];
    lines.push(statementLine(f, next?.tag === '86' ? next : null, currency));
  });
  return {
    // `BIC/account`, `bank code/account` or an IBAN: the account is what follows the last slash.
    account: normalizeAccount(accountField.value.split('/').pop())!,
    currency,
    statementId: find('28C', '28')?.value.trim() ?? null,
    from: open.date,
    to: close?.date ?? null,
    openingBalanceCents: open.cents,
    closingBalanceCents: close?.cents ?? null,
    lines,
  };
}

function balance(f: Field): { cents: number; date: string; currency: string } {
  const where = `line ${f.line} (:${f.tag}:)`;
  const m = BALANCE.exec(f.value.trim());
  if (!m) throw malformed(where, `"${f.value}" is not a balance (C|D, YYMMDD, currency, amount)`);
  const currency = currencyAt(where, m[3]);
  const cents = amountAt(where, m[4], currency, ',');
  return { cents: m[1] === 'D' ? -cents : cents, date: yymmddAt(where, m[2]!), currency };
}

function statementLine(f: Field, info: Field | null, currency: string): BankLine {
  const where = `line ${f.line} (:61:)`;
  const m = STATEMENT_LINE.exec(f.value);
  if (!m) throw malformed(where, `"${f.value.split('\n')[0]}" is not a statement line (date, C|D, amount, type, reference)`);
  const [, valueDateText, entryDateText, mark, , amount, type, customerRef, bankRef, supplementary] = m;
  const valueDate = yymmddAt(where, valueDateText!);
  const bookingDate = entryDateText ? entryDate(where, valueDate, entryDateText) : valueDate;
  const details = info ? information(info.value) : { remittance: '', payerName: null, payerAccount: null, endToEndId: null };
  const reference = (customerRef ?? '').trim();
  return {
    direction: mark === 'C' ? 'credit' : 'debit',
    amountCents: amountAt(where, amount, currency, ','),
    currency,
    bookingDate,
    valueDate,
    bankReference: bankRef?.trim() || null,
    endToEndId: details.endToEndId ?? (reference && reference !== 'NONREF' ? reference : null),
    structuredReference: null,
    remittance: collapse([details.remittance, supplementary].filter(Boolean).join(' ')),
    payerName: details.payerName,
    payerAccount: details.payerAccount,
    typeCode: type!.slice(1),
    location: `line ${f.line}`,
  };
}

/** The entry date (MMDD) in the year that puts it nearest the value date (a line booked over New Year). */
function entryDate(where: string, valueDate: string, mmdd: string): string {
  const year = Number(valueDate.slice(0, 4));
  const candidates = [year - 1, year, year + 1].map((y) => dateAt(where, y, Number(mmdd.slice(0, 2)), Number(mmdd.slice(2))));
  const distance = (d: string) => Math.abs(Date.parse(d) - Date.parse(valueDate));
  return candidates.reduce((best, d) => (distance(d) < distance(best) ? d : best));
}

/** `:86:` in one of the layouts banks use. */
function information(value: string): {
  remittance: string;
  payerName: string | null;
  payerAccount: string | null;
  endToEndId: string | null;
} {
  const flat = value.replace(/\n/g, '');
  // German layout: a transaction code, then `?NN` (or `>NN`) subfields.
  if (/^\d{3}[?>]\d{2}/.test(flat)) {
    const sub = new Map<string, string>();
    for (const m of flat.matchAll(/[?>](\d{2})([^?>]*)/g)) sub.set(m[1]!, (sub.get(m[1]!) ?? '') + m[2]!);
    const purpose = ['20', '21', '22', '23', '24', '25', '26', '27', '28', '29', '60', '61', '62', '63']
      .map((k) => sub.get(k) ?? '')
      .join('');
    // SEPA keys inside the purpose: EREF+ end-to-end id, SVWZ+ the remittance text.
    const keyed = new Map<string, string>();
    for (const m of purpose.matchAll(
      /(EREF|KREF|MREF|CRED|DEBT|SVWZ|ABWA|ABWE)\+(.*?)(?=(?:EREF|KREF|MREF|CRED|DEBT|SVWZ|ABWA|ABWE)\+|$)/g,
    ))
      keyed.set(m[1]!, m[2]!.trim());
    const eref = keyed.get('EREF');
    return {
      remittance: collapse(keyed.get('SVWZ') ?? (keyed.size > 0 ? '' : purpose)),
      payerName: collapse(`${sub.get('32') ?? ''}${sub.get('33') ?? ''}`) || null,
      payerAccount: normalizeAccount(sub.get('31')),
      endToEndId: eref && eref !== 'NOTPROVIDED' ? eref : null,
    };
  }
  // SWIFT codes: `/REMI/…/ORDP/…/IBAN/…`.
  if (/^\/[A-Z]{2,4}\//.test(flat)) {
    const codes = new Map<string, string>();
    for (const m of flat.matchAll(/\/([A-Z]{2,4})\/(.*?)(?=\/[A-Z]{2,4}\/|$)/g)) codes.set(m[1]!, m[2]!.replace(/^\/+|\/+$/g, ''));
    const remittance = codes.get('REMI')?.replace(/^USTD\/\//, '') ?? '';
    const eref = codes.get('EREF');
    return {
      remittance: collapse(remittance),
      payerName: collapse((codes.get('ORDP') || codes.get('NAME') || '').replace(/^\/?ID\//, '')) || null,
      payerAccount: normalizeAccount(codes.get('IBAN') ?? codes.get('ACCW')),
      endToEndId: eref && eref !== 'NOTPROVIDED' ? eref : null,
    };
  }
  return { remittance: collapse(value), payerName: null, payerAccount: null, endToEndId: null };
}
