import { collapse, currencyAt, malformed, normalizeAccount, yymmddAt, type BankLine, type BankStatement } from './statement';

interface BaiRecord {
  readonly code: string;
  readonly fields: string[];
  /** Physical line the record starts on (1-based), for errors. */
  readonly line: number;
}

/**
 * Reads a BAI2 cash-management file (US banks): each group's as-of date, each account (03 … 49) with
 * its transaction details (16, continued by 88 records). Amounts are whole minor units without a
 * decimal point; type codes 100–399 are credits, everything else is kept as a debit (money out,
 * loans, bank-specific codes), so only credits are ever applied. A file cut short (no 49 after an
 * account, no 99 at the end) or with a field that cannot be read is refused with its line.
 */
export function parseBai2(text: string): BankStatement[] {
  const records = logicalRecords(text);
  if (records[0]?.code !== '01') throw malformed('line 1', 'a BAI2 file starts with a 01 file header');
  if (records[records.length - 1]?.code !== '99')
    throw malformed(`line ${records[records.length - 1]?.line ?? 1}`, 'the file ends without its 99 trailer (cut short?)');
  const statements: BankStatement[] = [];
  let asOf: string | null = null;
  let groupCurrency = 'USD';
  let account: { number: string; currency: string; lines: BankLine[]; line: number } | null = null;
  for (const r of records) {
    const where = `line ${r.line}`;
    switch (r.code) {
      case '01':
        break;
      case '02':
        asOf = yymmddAt(`${where} (02 as-of date)`, r.fields[3] ?? '');
        if (r.fields[5]) groupCurrency = currencyAt(`${where} (02 currency)`, r.fields[5]);
        break;
      case '03': {
        if (account) throw malformed(where, 'a new account (03) before the previous one ended (49)');
        const number = normalizeAccount(r.fields[0]);
        if (!number) throw malformed(`${where} (03 account number)`, 'is empty');
        account = {
          number,
          currency: r.fields[1] ? currencyAt(`${where} (03 currency)`, r.fields[1]) : groupCurrency,
          lines: [],
          line: r.line,
        };
        break;
      }
      case '16': {
        if (!account || !asOf) throw malformed(where, 'a transaction (16) outside an account (03) of a group (02)');
        account.lines.push(detail(r, where, account.currency, asOf));
        break;
      }
      case '49':
        if (!account) throw malformed(where, 'an account trailer (49) without its account (03)');
        statements.push({
          account: account.number,
          currency: account.currency,
          statementId: null,
          from: asOf,
          to: asOf,
          openingBalanceCents: null,
          closingBalanceCents: null,
          lines: account.lines,
        });
        account = null;
        break;
      case '98':
      case '99':
        if (account) throw malformed(where, `account ${account.number} (line ${account.line}) has no 49 trailer`);
        break;
      default:
        throw malformed(where, `"${r.code}" is not a BAI2 record type`);
    }
  }
  return statements;
}

/** A 16 record: type code, amount, funds type with its own fields, bank and customer references, text. */
function detail(r: BaiRecord, where: string, currency: string, asOf: string): BankLine {
  const [typeCode = '', amount = '', fundsType = '', ...rest] = r.fields;
  if (!/^\d{3}$/.test(typeCode)) throw malformed(`${where} (16 type code)`, `"${typeCode}" is not a three-digit type code`);
  const code = Number(typeCode);
  const skip = fundsFields(fundsType.toUpperCase(), rest, where);
  const [bankReference = '', customerReference = '', ...textParts] = rest.slice(skip.count);
  if (!/^\d+$/.test(amount)) throw malformed(`${where} (16 amount)`, `"${amount}" is not an amount in minor units`);
  return {
    direction: code >= 100 && code < 400 ? 'credit' : 'debit',
    amountCents: Number(amount),
    currency,
    bookingDate: asOf,
    valueDate: skip.valueDate,
    bankReference: bankReference.trim() || null,
    endToEndId: customerReference.trim() || null,
    structuredReference: null,
    remittance: collapse(textParts.join(',').replace(/\/$/, '')),
    payerName: null,
    payerAccount: null,
    typeCode,
    location: where,
  };
}

/** How many fields follow the funds type, and the value date when it gives one (`V`). */
function fundsFields(type: string, rest: string[], where: string): { count: number; valueDate: string | null } {
  switch (type) {
    case '':
    case '0':
    case '1':
    case '2':
    case 'Z':
      return { count: 0, valueDate: null };
    case 'V':
      return { count: 2, valueDate: rest[0] ? yymmddAt(`${where} (16 value date)`, rest[0]) : null };
    case 'S':
      return { count: 3, valueDate: null };
    case 'D': {
      const n = Number(rest[0]);
      if (!Number.isInteger(n) || n < 0) throw malformed(`${where} (16 distributions)`, `"${rest[0] ?? ''}" is not a count`);
      return { count: 1 + 2 * n, valueDate: null };
    }
    default:
      throw malformed(`${where} (16 funds type)`, `"${type}" is not a BAI2 funds type`);
  }
}

/**
 * Physical lines into records: an 88 continues the record before it. Fields are comma-separated and
 * a record ends with `/`, except a 16's text, which runs to the end of the record and may hold both.
 */
function logicalRecords(text: string): BaiRecord[] {
  const records: { code: string; body: string; line: number }[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '') return;
    const comma = line.indexOf(',');
    const code = comma === -1 ? line.replace(/\/$/, '') : line.slice(0, comma);
    const body = comma === -1 ? '' : line.slice(comma + 1);
    if (code === '88') {
      const previous = records[records.length - 1];
      if (!previous) throw malformed(`line ${i + 1}`, 'a continuation (88) with nothing to continue');
      // The record before ended with `/` (or, for a 16, its text simply goes on).
      previous.body = `${previous.body.replace(/\/$/, '')},${body}`;
      return;
    }
    records.push({ code, body, line: i + 1 });
  });
  return records.map(({ code, body, line }) => ({
    code,
    line,
    fields: code === '16' ? body.split(',') : body.replace(/\/$/, '').split(','),
  }));
}
