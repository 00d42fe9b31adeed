import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { buildMatchBook, matchCredit, type MatchBook, type MatchDecision } from '../src/domain/cash-matching/match';
import { importBankStatement } from '../src/services/import-bank-statement';
import { createBenchDatabase } from './bench/database';
import { generateMatchingData, type MatchingDataset } from './bench/matching-data';

// `npm run bench:matching`: a seeded book (BENCH_INVOICES open invoices over BENCH_CUSTOMERS
// customers) and a statement of BENCH_LINES credits with realistic noise, matched by the engine and,
// in the same run, by the baseline most tools start from (the exact invoice number and the exact
// amount). Then the whole import through Postgres. Prints shares, wrong postings and lines/s.

const CUSTOMERS = Number(process.env.BENCH_CUSTOMERS ?? 5_000);
const INVOICES = Number(process.env.BENCH_INVOICES ?? 100_000);
const LINES = Number(process.env.BENCH_LINES ?? 10_000);
const SEED = Number(process.env.BENCH_SEED ?? 42);

interface Score {
  auto: number;
  wrong: number;
  suggested: number;
  /** Suggested lines that pay an invoice (the others have no right suggestion). */
  suggestedPaying: number;
  suggestedRight: number;
  unmatched: number;
  seconds: number;
  wrongByScenario: Map<string, number>;
  autoByScenario: Map<string, { auto: number; of: number }>;
}

function score(
  data: MatchingDataset,
  decide: (line: MatchingDataset['lines'][number], spent: Map<string, number>) => MatchDecision,
): Score {
  const s: Score = {
    auto: 0,
    wrong: 0,
    suggested: 0,
    suggestedPaying: 0,
    suggestedRight: 0,
    unmatched: 0,
    seconds: 0,
    wrongByScenario: new Map(),
    autoByScenario: new Map(),
  };
  const spent = new Map<string, number>();
  const same = (ids: readonly string[], truth: readonly string[]) => ids.length === truth.length && ids.every((i) => truth.includes(i));
  const started = performance.now();
  for (const line of data.lines) {
    const d = decide(line, spent);
    const per = s.autoByScenario.get(line.scenario) ?? { auto: 0, of: 0 };
    per.of++;
    s.autoByScenario.set(line.scenario, per);
    if (d.kind === 'auto') {
      s.auto++;
      per.auto++;
      for (const a of d.proposal.allocations) spent.set(a.invoiceId, (spent.get(a.invoiceId) ?? 0) + a.amountCents);
      if (
        !same(
          d.proposal.allocations.map((a) => a.invoiceId),
          line.truth,
        ) ||
        line.truth.length === 0
      ) {
        s.wrong++;
        s.wrongByScenario.set(line.scenario, (s.wrongByScenario.get(line.scenario) ?? 0) + 1);
      }
    } else if (d.kind === 'suggested') {
      s.suggested++;
      if (line.truth.length > 0) s.suggestedPaying++;
      if (
        line.truth.length > 0 &&
        same(
          d.proposals[0]!.allocations.map((a) => a.invoiceId),
          line.truth,
        )
      )
        s.suggestedRight++;
    } else s.unmatched++;
  }
  s.seconds = (performance.now() - started) / 1000;
  return s;
}

/** The baseline: an invoice number written exactly as issued (`INV-000042`) and exactly its amount. */
function baseline(book: MatchBook) {
  return (line: MatchingDataset['lines'][number]): MatchDecision => {
    for (const m of line.remittance.matchAll(/INV-\d{6}/g)) {
      const item = book.byKey.get(`INV${Number(m[0].slice(4))}`)?.[0];
      if (item && item.amountDueCents === line.amountCents && item.currency === line.currency)
        return {
          kind: 'auto',
          proposal: {
            customerId: item.customerId,
            allocations: [{ invoiceId: item.invoiceId, number: item.number, amountCents: item.amountDueCents }],
            creditCents: 0,
            writeOffCents: 0,
            confidence: 1,
            rules: ['exact'],
          },
        };
    }
    return { kind: 'unmatched', why: 'no exact number and amount' };
  };
}

const pct = (n: number, of: number) => `${((100 * n) / Math.max(1, of)).toFixed(1)} %`;

function report(label: string, s: Score, lines: number): string[] {
  const withTruth = s.suggestedPaying;
  return [
    `  ${label}`,
    `    auto-applied        ${pct(s.auto, lines).padStart(8)}  (${s.auto} of ${lines})`,
    `    wrong postings      ${String(s.wrong).padStart(8)}  ${[...s.wrongByScenario].map(([k, v]) => `${k} ${v}`).join(', ')}`,
    `    suggested           ${pct(s.suggested, lines).padStart(8)}  top suggestion right ${pct(s.suggestedRight, withTruth)} of the ${withTruth} that pay an invoice`,
    `    unmatched           ${pct(s.unmatched, lines).padStart(8)}`,
    `    matching            ${(lines / s.seconds).toFixed(0).padStart(8)} lines/s (pure, in memory)`,
  ];
}

async function main(): Promise<void> {
  console.log(`bench:matching — ${INVOICES} open invoices, ${CUSTOMERS} customers, ${LINES} credit lines, seed ${SEED}`);
  const data = generateMatchingData({ seed: SEED, customers: CUSTOMERS, invoices: INVOICES, lines: LINES });
  const t0 = performance.now();
  const book = buildMatchBook(data);
  const bookSeconds = (performance.now() - t0) / 1000;
  const engine = score(data, (line, spent) => matchCredit(line, book, undefined, spent));
  const base = score(data, baseline(book));
  const out = [
    ...report('engine (default rules, threshold 0.9)', engine, LINES),
    ...report('baseline (exact number and amount)', base, LINES),
  ];
  out.push(`  book built in ${bookSeconds.toFixed(2)} s`);
  out.push('  auto-applied by scenario: ' + [...engine.autoByScenario].map(([k, v]) => `${k} ${pct(v.auto, v.of)}`).join(', '));
  console.log(out.join('\n'));

  // The whole import through Postgres: the book read, every line stored once, sure ones handed to the inbox.
  const db = await createBenchDatabase();
  try {
    const ids = new Map<string, string>();
    const uuid = (k: string) => ids.get(k) ?? ids.set(k, randomUUID()).get(k)!;
    const [{ version } = { version: 1 }] = await db.sql<
      { version: number }[]
    >`SELECT max(version) AS version FROM policies WHERE name = 'standard'`;
    for (let i = 0; i < data.customers.length; i += 1000) {
      const rows = data.customers.slice(i, i + 1000).map((c) => {
        const first = data.items.find((it) => it.customerId === c.id);
        return {
          id: uuid(c.id),
          name: c.name,
          email: `ap@${c.id}.test`,
          time_zone: 'Europe/Berlin',
          currency: first?.currency ?? 'EUR',
          payment_terms_days: 30,
        };
      });
      await db.sql`INSERT INTO customers ${db.sql(rows)}`;
    }
    for (let i = 0; i < data.items.length; i += 5000) {
      const rows = data.items.slice(i, i + 5000).map((it) => ({
        id: uuid(it.invoiceId),
        number: it.number,
        external_number: it.externalNumber,
        customer_id: uuid(it.customerId),
        currency: it.currency,
        total_cents: it.amountDueCents,
        amount_due_cents: it.amountDueCents,
        issue_date: '2026-01-01',
        due_at: `${it.dueDate}T22:59:59.999Z`,
        policy_name: 'standard',
        policy_version: version,
        workflow_id: `invoice-${uuid(it.invoiceId)}`,
      }));
      await db.sql`INSERT INTO invoices ${db.sql(rows)}`;
    }
    const accountRows = [...data.accounts].map(([account, customer]) => ({ account, customer_id: uuid(customer), confirmed_by: 'bench' }));
    for (let i = 0; i < accountRows.length; i += 2000) await db.sql`INSERT INTO payer_accounts ${db.sql(accountRows.slice(i, i + 2000))}`;
    const xml = camt(data);
    const started = performance.now();
    const result = await importBankStatement({ sql: db.sql }, xml, { actor: 'bench' });
    const seconds = (performance.now() - started) / 1000;
    const again = performance.now();
    const repeat = await importBankStatement({ sql: db.sql }, xml, { actor: 'bench' });
    const repeatSeconds = (performance.now() - again) / 1000;
    console.log(
      [
        `  import through Postgres (camt.053, ${(xml.length / 1e6).toFixed(1)} MB)`,
        `    ${result.lines} lines in ${seconds.toFixed(2)} s = ${(result.lines / seconds).toFixed(0)} lines/s (target ≥ 1,000): ${result.autoApplied} applied, ${result.suggested} suggested, ${result.unmatched} unmatched`,
        `    the same file again: ${repeat.duplicates} already imported, ${repeat.autoApplied} applied, in ${repeatSeconds.toFixed(2)} s`,
      ].join('\n'),
    );
  } finally {
    await db.drop();
  }
}

/** The statement as a camt.053 file, one entry per line. */
function camt(data: MatchingDataset): string {
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const entries = data.lines.map((l, i) => {
    const major = `${Math.floor(l.amountCents / 100)}.${String(l.amountCents % 100).padStart(2, '0')}`;
    return `<Ntry><Amt Ccy="${l.currency}">${major}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts><BookgDt><Dt>2026-12-01</Dt></BookgDt><AcctSvcrRef>B${i}</AcctSvcrRef><NtryDtls><TxDtls><RltdPties>${l.payerName ? `<Dbtr><Nm>${esc(l.payerName)}</Nm></Dbtr>` : ''}${l.payerAccount ? `<DbtrAcct><Id><IBAN>${l.payerAccount}</IBAN></Id></DbtrAcct>` : ''}</RltdPties><RmtInf><Ustrd>${esc(l.remittance)}</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>`;
  });
  return `<?xml version="1.0"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt><Stmt><Id>BENCH</Id><Acct><Id><IBAN>DE89370400440532013000</IBAN></Id><Ccy>EUR</Ccy></Acct>${entries.join('')}</Stmt></BkToCstmrStmt></Document>`;
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
