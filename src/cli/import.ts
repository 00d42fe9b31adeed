import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { parse } from 'csv-parse/sync';
import { DomainError, ErrorCode } from '../domain/errors';
import { parseMajorUnits } from '../domain/money';
import type { ApiClient } from './api-client';
import { progressBar, type ProgressStream } from './progress';
import { csvCell } from '../domain/csv';

/** One CSV column: the names an export may use for it (compared without case, spaces, `_` or `-`). */
interface Column {
  readonly field: string;
  readonly names: readonly string[];
  readonly required: boolean;
}

const CUSTOMER_COLUMNS: readonly Column[] = [
  { field: 'externalId', names: ['external_id', 'customer_id', 'id'], required: true },
  { field: 'name', names: ['name', 'customer_name', 'company'], required: true },
  { field: 'email', names: ['email', 'billing_email'], required: true },
  { field: 'timeZone', names: ['time_zone', 'timezone', 'tz'], required: true },
  { field: 'currency', names: ['currency'], required: true },
  { field: 'paymentTermsDays', names: ['payment_terms_days', 'terms_days', 'payment_terms'], required: false },
  { field: 'policy', names: ['policy', 'dunning_policy'], required: false },
  { field: 'locale', names: ['locale', 'language'], required: false },
  { field: 'ccEmails', names: ['cc_emails', 'cc'], required: false },
  { field: 'escalationEmail', names: ['escalation_email'], required: false },
  { field: 'escalateFrom', names: ['escalate_from'], required: false },
  { field: 'creditLimit', names: ['credit_limit'], required: false },
];
const INVOICE_COLUMNS: readonly Column[] = [
  { field: 'externalId', names: ['external_id', 'invoice_id', 'id'], required: true },
  { field: 'customerExternalId', names: ['customer_external_id', 'customer_id', 'customer'], required: true },
  { field: 'number', names: ['number', 'invoice_number', 'doc_number'], required: false },
  { field: 'currency', names: ['currency'], required: true },
  { field: 'issueDate', names: ['issue_date', 'invoice_date', 'date'], required: true },
  { field: 'dueDate', names: ['due_date'], required: true },
  { field: 'total', names: ['total', 'amount', 'total_amount'], required: true },
  { field: 'amountPaid', names: ['amount_paid', 'paid'], required: false },
  { field: 'description', names: ['description', 'memo'], required: false },
  { field: 'policy', names: ['policy', 'dunning_policy'], required: false },
  { field: 'catchUp', names: ['catch_up'], required: false },
];

const CHUNK = 100;
const normalize = (name: string) => name.toLowerCase().replace(/[\s_-]/g, '');

interface Row {
  readonly file: string;
  readonly line: number;
  readonly externalId: string;
  readonly body: Record<string, unknown> | null;
  readonly problem?: { field?: string; message: string };
}

export interface RowReport {
  file: string;
  line: number;
  externalId: string;
  status: 'created' | 'exists' | 'skipped' | 'error';
  id?: string | null;
  number?: string;
  field?: string;
  message?: string;
}

/** Reads a CSV export into rows for the import API; a row that cannot be converted keeps its problem. */
async function readCsv(
  file: string,
  columns: readonly Column[],
  convert: (raw: Record<string, string>) => Record<string, unknown>,
): Promise<Row[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new DomainError(
      ErrorCode.VALIDATION,
      `${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`,
    );
  }
  let records: { record: Record<string, string>; info: { lines: number } }[];
  try {
    records = parse(text, { columns: true, bom: true, trim: true, skip_empty_lines: true, info: true }) as never;
  } catch (err) {
    throw new DomainError(ErrorCode.VALIDATION, `${file}: not a readable CSV file (${(err as Error).message})`);
  }
  const headers = Object.keys(records[0]?.record ?? {});
  const byColumn = new Map<string, string>();
  for (const column of columns) {
    const header = headers.find((h) => column.names.some((n) => normalize(n) === normalize(h)));
    if (header) byColumn.set(column.field, header);
  }
  const missing = columns.filter((c) => c.required && !byColumn.has(c.field)).map((c) => c.names[0]);
  if (records.length > 0 && missing.length > 0) {
    throw new DomainError(
      ErrorCode.VALIDATION,
      `${file}: missing column${missing.length > 1 ? 's' : ''} ${missing.join(', ')} (found ${headers.join(', ')})`,
    );
  }
  const base = path.basename(file);
  return records.map(({ record, info }) => {
    const raw: Record<string, string> = {};
    for (const [field, header] of byColumn) if (record[header] !== '' && record[header] !== undefined) raw[field] = record[header]!;
    const externalId = raw.externalId ?? '';
    try {
      return { file: base, line: info.lines, externalId, body: convert(raw) };
    } catch (err) {
      if (!(err instanceof DomainError)) throw err;
      const field = typeof err.details.field === 'string' ? err.details.field : undefined;
      return { file: base, line: info.lines, externalId, body: null, problem: { ...(field ? { field } : {}), message: err.message } };
    }
  });
}

/**
 * A customer row: CC addresses separated by `;` (or `,`), an escalation contact with the template
 * it is copied from (e.g. final_notice), a credit limit in major units of the customer's currency.
 */
function customerBody(raw: Record<string, string>): Record<string, unknown> {
  const { paymentTermsDays, ccEmails, escalationEmail, escalateFrom, creditLimit, ...rest } = raw;
  const body: Record<string, unknown> = { ...rest };
  if (paymentTermsDays !== undefined) {
    if (!/^\d+$/.test(paymentTermsDays))
      throw new DomainError(ErrorCode.VALIDATION, `"${paymentTermsDays}" is not a whole number of days`, { field: 'paymentTermsDays' });
    body.paymentTermsDays = Number(paymentTermsDays);
  }
  const contacts = [
    ...(ccEmails ?? '')
      .split(/[;,]/)
      .map((e) => e.trim())
      .filter(Boolean)
      .map((email) => ({ email, role: 'cc' })),
    ...(escalationEmail ? [{ email: escalationEmail, role: 'escalation', escalateFrom: escalateFrom ?? 'final_notice' }] : []),
  ];
  if (contacts.length > 0) body.contacts = contacts;
  if (creditLimit !== undefined) {
    const currency = (rest.currency ?? '').toUpperCase();
    try {
      body.creditLimits = [{ currency, limitCents: parseMajorUnits(creditLimit, currency) }];
    } catch (err) {
      throw new DomainError(ErrorCode.VALIDATION, (err as Error).message, { field: 'creditLimit' });
    }
  }
  return body;
}

function invoiceBody(raw: Record<string, string>): Record<string, unknown> {
  const { total, amountPaid, ...rest } = raw;
  const currency = (rest.currency ?? '').toUpperCase();
  const amount = (text: string, field: string) => {
    try {
      return parseMajorUnits(text, currency);
    } catch (err) {
      if (err instanceof DomainError)
        throw new DomainError(ErrorCode.VALIDATION, err.message, { field: rest.currency ? field : 'currency' });
      throw err;
    }
  };
  return {
    ...rest,
    totalCents: amount(total ?? '', 'total'),
    ...(amountPaid !== undefined ? { amountPaidCents: amount(amountPaid, 'amountPaid') } : {}),
  };
}

/** Sends rows in batches, advancing `onProgress`; rows that failed conversion are reported without a request. */
async function importRows(api: ApiClient, route: string, rows: readonly Row[], onProgress: (n: number) => void): Promise<RowReport[]> {
  const reports: RowReport[] = [];
  for (let i = 0; i < rows.length; i += CHUNK) {
    const chunk = rows.slice(i, i + CHUNK);
    const sendable = chunk.filter((r) => r.body !== null);
    const { results } = sendable.length
      ? await api.call<{
          results: {
            status: RowReport['status'];
            id?: string | null;
            number?: string;
            note?: string;
            error?: { field?: string; message: string };
          }[];
        }>('POST', route, { rows: sendable.map((r) => r.body) })
      : { results: [] };
    let next = 0;
    for (const row of chunk) {
      const where = { file: row.file, line: row.line, externalId: row.externalId };
      if (!row.body) {
        reports.push({
          ...where,
          status: 'error',
          ...(row.problem!.field ? { field: row.problem!.field } : {}),
          message: row.problem!.message,
        });
        continue;
      }
      const r = results[next++]!;
      reports.push({
        ...where,
        status: r.status,
        ...(r.id !== undefined ? { id: r.id } : {}),
        ...(r.number ? { number: r.number } : {}),
        ...(r.error?.field ? { field: r.error.field } : {}),
        ...(r.error ? { message: r.error.message } : r.note ? { message: r.note } : {}),
      });
    }
    onProgress(chunk.length);
  }
  return reports;
}

/** `import <customers.csv> [invoices.csv]`: an ERP export in, a per-row report out. */
export function registerImport(
  program: Command,
  api: () => ApiClient,
  io: { out: (t: string) => void; progress?: ProgressStream; pollMs?: number },
  fail: (code: number) => never,
): void {
  program
    .command('import <customers> [invoices]')
    .description('import customers and open invoices from an accounting/ERP CSV export (safe to re-run)')
    .option('--report <file>', "write every row's outcome to a CSV file")
    .option('--json', 'print JSON')
    .action(async (customersFile: string, invoicesFile: string | undefined, o: { report?: string; json?: boolean }) => {
      const customers = await readCsv(customersFile, CUSTOMER_COLUMNS, customerBody);
      const invoices = invoicesFile ? await readCsv(invoicesFile, INVOICE_COLUMNS, invoiceBody) : [];
      const total = customers.length + invoices.length;
      const bar = progressBar(io.progress, 'import', io.pollMs ?? 2_000);
      let done = 0;
      const advance = (n: number) => bar.update((done += n), total);
      let reports: RowReport[];
      try {
        bar.update(0, total);
        reports = [
          ...(await importRows(api(), '/api/imports/customers', customers, advance)),
          ...(await importRows(api(), '/api/imports/invoices', invoices, advance)),
        ];
      } finally {
        bar.stop();
      }
      if (o.report) {
        const header = 'file,line,external_id,status,id,number,field,message';
        await writeFile(
          o.report,
          [
            header,
            ...reports.map((r) => [r.file, r.line, r.externalId, r.status, r.id, r.number, r.field, r.message].map(csvCell).join(',')),
          ].join('\n') + '\n',
        );
      }
      const summary = (file: string) => {
        const of = reports.filter((r) => r.file === path.basename(file));
        const n = (s: RowReport['status']) => of.filter((r) => r.status === s).length;
        return {
          file: path.basename(file),
          rows: of.length,
          created: n('created'),
          exists: n('exists'),
          skipped: n('skipped'),
          errors: n('error'),
        };
      };
      const files = [customersFile, ...(invoicesFile ? [invoicesFile] : [])].map(summary);
      const problems = reports.filter((r) => r.status === 'error' || r.status === 'skipped');
      if (o.json) io.out(JSON.stringify({ files, rows: reports }, null, 2));
      else {
        io.out(
          [
            ...files.map(
              (f) =>
                `${f.file}: ${f.rows} rows — ${f.created} imported, ${f.exists} already imported, ${f.skipped} skipped, ${f.errors} with errors`,
            ),
            ...(problems.length
              ? [
                  '',
                  ...problems.map(
                    (r) =>
                      `${r.file} line ${r.line}${r.externalId ? ` (${r.externalId})` : ''}: ${r.status === 'skipped' ? 'skipped — ' : ''}${r.field ? `${r.field}: ` : ''}${r.message}`,
                  ),
                ]
              : []),
            ...(o.report ? ['', `report written to ${o.report}`] : []),
          ].join('\n'),
        );
      }
      if (files.some((f) => f.errors > 0)) fail(1);
    });
}
