import fc from 'fast-check';
import { readStatementFacts } from '../../src/db/customer-statement';
import { agingByCustomer, kpis } from '../../src/db/receivables';
import { AGING_BUCKETS } from '../../src/domain/aging';
import { decideRefund, decideVoid } from '../../src/domain/commands';
import { addDays } from '../../src/domain/schedule';
import { buildStatement, type Statement } from '../../src/domain/statement';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { ledgerWriter, pay, type Fact, type LedgerWriter } from '../helpers/ledger';
import { expectLedgerConsistent } from '../helpers/ledger-check';

// A statement of account is built from the ledger in the domain; the aging and KPI reports derive the
// same figures in SQL. Over random ledgers (fees, partial, full and over-payments, refunds, voids,
// write-offs, customers in far-apart zones) and random periods, the two must agree to the cent.
let db: TestDatabase;
let ledger: LedgerWriter;
beforeAll(async () => {
  db = await createTestDatabase();
  ledger = ledgerWriter(db.sql);
});
afterAll(async () => {
  try {
    if (db) await expectLedgerConsistent(db.sql);
  } finally {
    await db?.drop();
  }
});

const START = '2026-01-01';
const ZONES = ['UTC', 'Europe/Berlin', 'America/Chicago', 'Pacific/Kiritimati'] as const;

type Step = { kind: 'fee' | 'pay' | 'refund'; afterDays: number; hour: number; cents: number };
type End = { kind: 'void' | 'handoff' | 'none'; afterDays: number };
const invoiceArb = fc.record({
  issueDay: fc.integer({ min: 0, max: 150 }),
  totalCents: fc.integer({ min: 1, max: 100_000 }),
  steps: fc.array(
    fc.record({
      kind: fc.constantFrom('fee', 'pay', 'pay', 'refund') as fc.Arbitrary<Step['kind']>,
      afterDays: fc.integer({ min: 0, max: 40 }),
      hour: fc.integer({ min: 0, max: 23 }),
      cents: fc.integer({ min: 1, max: 120_000 }),
    }),
    { maxLength: 4 },
  ),
  end: fc.record({
    kind: fc.constantFrom('void', 'handoff', 'none', 'none') as fc.Arbitrary<End['kind']>,
    afterDays: fc.integer({ min: 0, max: 60 }),
  }),
});
const customerArb = fc.record({ zone: fc.constantFrom(...ZONES), invoices: fc.array(invoiceArb, { minLength: 1, maxLength: 5 }) });
const periodArb = fc.tuple(fc.integer({ min: 0, max: 260 }), fc.integer({ min: 0, max: 120 })).map(([a, len]) => {
  const from = addDays(START, a);
  return { from, to: addDays(from, len) };
});

const at = (day: string, hour: number) => `${day}T${String(hour).padStart(2, '0')}:30:00Z`;

/** The facts of one generated invoice, each only where the engine would allow it. */
function factsOf(inv: typeof invoiceArb extends fc.Arbitrary<infer T> ? T : never, issueDate: string): Fact[] {
  let day = issueDate;
  const facts: Fact[] = [];
  for (const s of inv.steps) {
    day = addDays(day, s.afterDays);
    const n = facts.length;
    if (s.kind === 'pay') facts.push([at(day, s.hour), (st) => (st.status === 'open' || st.status === 'paid' ? pay(s.cents)(st) : [])]);
    if (s.kind === 'fee')
      facts.push([
        at(day, s.hour),
        (st) =>
          st.status === 'open' ? [{ type: 'late_fee_applied', stepIndex: n, amountCents: s.cents, currency: st.input.currency }] : [],
      ]);
    if (s.kind === 'refund')
      facts.push([
        at(day, s.hour),
        (st) =>
          st.paymentIds.length && st.status !== 'void' && st.status !== 'uncollectible'
            ? decideRefund(st, { paymentId: st.paymentIds[0]!, refundId: `r-${n}`, amountCents: s.cents, currency: st.input.currency })
            : [],
      ]);
  }
  day = addDays(day, inv.end.afterDays);
  if (inv.end.kind === 'void') facts.push([at(day, 12), (st) => (st.status === 'open' && st.ledger.paidCents === 0 ? decideVoid(st) : [])]);
  if (inv.end.kind === 'handoff') facts.push([at(day, 12), (st) => (st.status === 'open' ? [{ type: 'handed_off' }] : [])]);
  return facts;
}

const customers: string[] = [];
async function statementOf(customerId: string, period: { from: string; to: string }): Promise<Statement> {
  const facts = await readStatementFacts(db.sql, customerId, period.to);
  return buildStatement({ ...period, invoices: facts.invoices, entries: facts.entries });
}

it('agrees with the aging and KPI reports on every customer, currency and period', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(customerArb, { minLength: 1, maxLength: 3 }), periodArb, async (generated, period) => {
      for (const [k, c] of generated.entries()) {
        const currency = k % 2 === 0 ? 'USD' : 'JPY';
        const id = await ledger.customer(`Customer ${customers.length}`, c.zone, currency);
        customers.push(id);
        for (const inv of c.invoices) {
          const issueDate = addDays(START, inv.issueDay);
          await ledger.invoice(id, currency, inv.totalCents, issueDate, `${addDays(issueDate, 30)}T12:00:00Z`, factsOf(inv, issueDate));
        }
      }
      const [openingAging, closingAging, flows] = await Promise.all([
        agingByCustomer(db.sql, addDays(period.from, -1)),
        agingByCustomer(db.sql, period.to),
        kpis(db.sql, period.from, period.to),
      ]);
      const sums = new Map<string, Record<string, number>>();
      for (const id of customers) {
        const s = await statementOf(id, period);
        for (const c of s.currencies) {
          // The running balance adds up, and the closing balance is what is owed less credit.
          const moved = c.lines.reduce((sum, l) => sum + l.amountCents, 0);
          expect(c.opening.balanceCents + moved).toBe(c.closing.balanceCents);
          expect(c.lines.at(-1)?.balanceCents ?? c.opening.balanceCents).toBe(c.closing.balanceCents);
          expect(c.closing.balanceCents).toBe(c.closing.owedCents - c.closing.creditCents);
          // Owed at both ends, and by bucket, is the aging report's.
          const aged = (rows: typeof closingAging) => rows.filter((r) => r.customerId === id && r.currency === c.currency);
          expect(c.opening.owedCents).toBe(aged(openingAging).reduce((sum, r) => sum + r.amountCents, 0));
          expect(c.closing.owedCents).toBe(aged(closingAging).reduce((sum, r) => sum + r.amountCents, 0));
          for (const b of AGING_BUCKETS)
            expect([b, c.aging[b]]).toEqual([b, aged(closingAging).find((r) => r.bucket === b)?.amountCents ?? 0]);
          const t = sums.get(c.currency) ?? {};
          for (const [kind, cents] of Object.entries(c.totals)) t[kind] = (t[kind] ?? 0) + cents;
          sums.set(c.currency, t);
        }
        // A customer whose statement is empty owes nothing at either end.
        if (s.currencies.length === 0) expect([...openingAging, ...closingAging].filter((r) => r.customerId === id)).toEqual([]);
      }
      // What moved in the period, over every customer, is the KPI report's flows.
      for (const k of flows.currencies) {
        const t = sums.get(k.currency) ?? {};
        expect({
          invoiced: t.invoice ?? 0,
          fees: t.fee ?? 0,
          payments: 0 - (t.payment ?? 0),
          refunds: t.refund ?? 0,
          voided: 0 - (t.void ?? 0),
          writtenOff: 0 - (t.write_off ?? 0),
        }).toEqual({
          invoiced: k.invoicedCents,
          fees: k.lateFeesCents,
          payments: k.paymentsCents,
          refunds: k.refundsCents,
          voided: k.voidedCents,
          writtenOff: k.writtenOffCents,
        });
      }
    }),
    { numRuns: 40 },
  );
});

it("holds the ledger's customer credit at the end of the last day", async () => {
  const today = '2026-12-31';
  for (const id of customers) {
    const s = await statementOf(id, { from: START, to: today });
    const credits = await db.sql<{ currency: string; cents: number }[]>`
      SELECT currency, sum(amount_cents)::bigint AS cents FROM customer_credits WHERE customer_id = ${id} GROUP BY currency`;
    for (const c of s.currencies)
      expect([id, c.closing.creditCents]).toEqual([id, credits.find((r) => r.currency === c.currency)?.cents ?? 0]);
  }
});
