import fc from 'fast-check';
import { decideChargeback, decidePayment, decideRefund, normalizePayment } from '../../src/domain/commands';
import { checkWriteOff, decideWriteOff } from '../../src/domain/write-off';
import { decideSteps, planNext } from '../../src/domain/dunning';
import { DomainError, ErrorCode } from '../../src/domain/errors';
import { amountDue, initialState, record, type InvoiceEventBody, type InvoiceState } from '../../src/domain/invoice';
import { rebuildBooks } from '../../src/domain/books';
import { identityProblems, ledgerFactsOf } from '../../src/domain/ledger';
import { MAX_AMOUNT_MINOR } from '../../src/domain/money';
import { STANDARD_POLICY, STEP_TEMPLATES, type PolicyVersion } from '../../src/domain/policy';
import { parsePolicyDocument } from '../../src/domain/policy-schema';
import { endOfLocalDay } from '../../src/domain/schedule';
import { simulateDunning } from '../../src/domain/simulate';

// Properties of the money rules, over every sequence of facts fast-check can think of: the ledger
// identity holds after each, paid never goes negative, nothing is applied twice, and every policy the
// schema accepts runs on every invoice the API accepts.

const DAY = 86_400_000;
const ZONES = [
  'Pacific/Pago_Pago',
  'America/Los_Angeles',
  'America/Sao_Paulo',
  'UTC',
  'Europe/Berlin',
  'Asia/Kolkata',
  'Asia/Kathmandu',
  'Australia/Lord_Howe',
  'Pacific/Chatham',
  'Pacific/Kiritimati',
];

function invoice(
  totalCents: number,
  o: { currency?: string; timeZone?: string; dueAt?: string; policy?: PolicyVersion; scheduleRules?: 'instant' | 'calendar' } = {},
): InvoiceState {
  return initialState({
    invoiceId: 'inv',
    number: 'INV-1',
    customerId: 'cus',
    timeZone: o.timeZone ?? 'UTC',
    currency: o.currency ?? 'USD',
    totalCents,
    issueDate: '2026-01-01',
    dueAt: o.dueAt ?? '2026-01-31T23:59:59.999Z',
    policy: o.policy ?? { ...STANDARD_POLICY, version: 1 },
    ...(o.scheduleRules ? { scheduleRules: o.scheduleRules } : {}),
  });
}

type Fact =
  | { kind: 'pay'; id: number; amount: number; currency: string; writeOffUpTo?: number }
  | { kind: 'writeOff'; id: number; amount: number; currency: string }
  | { kind: 'refund'; payment: number; id: number; amount: number; currency: string; cumulative: boolean }
  | { kind: 'chargeback'; payment: number; id: number; stage: 'opened' | 'won' | 'lost'; amount: number }
  | { kind: 'time'; days: number };

const amount = fc.oneof(
  { weight: 8, arbitrary: fc.integer({ min: 1, max: 50_000 }) },
  { weight: 1, arbitrary: fc.constantFrom(0, -1, 0.5, 2 ** 60, Number.MAX_SAFE_INTEGER, Number.NaN) },
);
const currency = fc.constantFrom('USD', 'USD', 'USD', 'usd', 'EUR');
const fact: fc.Arbitrary<Fact> = fc.oneof(
  fc.record({ kind: fc.constant('pay' as const), id: fc.integer({ min: 0, max: 5 }), amount, currency }),
  // A short payment settling with a write-off (cash application), and a write-off by hand.
  fc.record({ kind: fc.constant('pay' as const), id: fc.integer({ min: 0, max: 5 }), amount, currency, writeOffUpTo: amount }),
  fc.record({ kind: fc.constant('writeOff' as const), id: fc.integer({ min: 0, max: 3 }), amount, currency }),
  fc.record({
    kind: fc.constant('refund' as const),
    payment: fc.integer({ min: 0, max: 7 }),
    id: fc.integer({ min: 0, max: 12 }),
    amount,
    currency,
    cumulative: fc.boolean(),
  }),
  fc.record({
    kind: fc.constant('chargeback' as const),
    payment: fc.integer({ min: 0, max: 5 }),
    id: fc.integer({ min: 0, max: 3 }),
    stage: fc.constantFrom('opened' as const, 'won' as const, 'lost' as const),
    amount,
  }),
  fc.record({ kind: fc.constant('time' as const), days: fc.integer({ min: 1, max: 40 }) }),
);

/** What the workflow does with a fact: the same decide functions its handlers and ladder call. */
function happen(state: InvoiceState, f: Fact, nowMs: number): { state: InvoiceState; nowMs: number } {
  let events: InvoiceEventBody[] = [];
  switch (f.kind) {
    case 'pay':
      events = decidePayment(
        state,
        normalizePayment({
          paymentId: `p${f.id}`,
          amountCents: f.amount,
          currency: f.currency,
          ...(f.writeOffUpTo !== undefined ? { writeOff: { upToCents: f.writeOffUpTo, category: 'bank_charges' as const } } : {}),
        }),
      );
      break;
    case 'writeOff': {
      // As the update's validator does: a refused write-off never enters history.
      const request = { writeOffId: `w${f.id}`, amountCents: f.amount, currency: f.currency, category: 'goodwill' as const };
      try {
        checkWriteOff(state, request);
      } catch (err) {
        expect(err).toBeInstanceOf(DomainError);
        break;
      }
      events = decideWriteOff(state, request);
      break;
    }
    case 'refund':
      events = decideRefund(state, {
        paymentId: `p${f.payment}`,
        refundId: `r${f.id}${f.cumulative ? `:${f.amount}` : ''}`,
        amountCents: f.amount,
        currency: f.currency,
        ...(f.cumulative ? { cumulative: true } : {}),
      });
      break;
    case 'chargeback':
      events = decideChargeback(state, {
        disputeId: `dp${f.id}`,
        paymentId: `p${f.payment}`,
        stage: f.stage,
        amountCents: f.amount,
        currency: 'USD',
      });
      break;
    case 'time': {
      nowMs += f.days * DAY;
      const plan = planNext(state, nowMs);
      if (plan.kind === 'perform') events = decideSteps(state, plan.steps, nowMs).events;
      break;
    }
  }
  return { state: record(state, events, { at: new Date(nowMs).toISOString(), actor: 'property' }), nowMs };
}

describe('the money rules, over any sequence of payments, refunds, chargebacks and ladder steps', () => {
  it('keep the ledger identity, never pay below zero, never apply an id twice', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 100_000 }), fc.array(fact, { maxLength: 40 }), (total, facts) => {
        let state = invoice(total);
        let nowMs = Date.parse('2026-01-01T12:00:00Z');
        for (const f of facts) {
          ({ state, nowMs } = happen(state, f, nowMs));
          const ledger = ledgerFactsOf(state);
          expect(identityProblems(ledger, 'workflow')).toEqual([]);
          expect(state.ledger.paidCents - state.ledger.refundedCents).toBeGreaterThanOrEqual(0);
          expect(amountDue(state.ledger)).toBeGreaterThanOrEqual(0);
          if (state.status === 'paid') expect(amountDue(state.ledger)).toBe(0);
          const applied = state.events
            .filter((e) => e.type === 'payment_received')
            .map((e) => e.type === 'payment_received' && e.paymentId);
          expect(new Set(applied).size).toBe(applied.length);
          const refunds = state.events.filter((e) => e.type === 'payment_refunded').map((e) => e.type === 'payment_refunded' && e.refundId);
          expect(new Set(refunds).size).toBe(refunds.length);
          // Whatever enters the ledger is a positive whole amount (flags may keep what could not).
          for (const e of state.events) {
            if (
              [
                'payment_received',
                'payment_refunded',
                'late_fee_applied',
                'credit_recorded',
                'credit_reversed',
                'written_off',
                'write_off_reversed',
              ].includes(e.type) &&
              'amountCents' in e
            ) {
              expect(Number.isSafeInteger(e.amountCents) && e.amountCents > 0).toBe(true);
            }
          }
        }
      }),
      { numRuns: 1_000 },
    );
  });

  it('decide the same after a continue-as-new at any point, carrying the books and none of the events', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 100_000 }), fc.array(fact, { maxLength: 40 }), fc.nat(40), (total, facts, cut) => {
        let whole = invoice(total);
        let nowMs = Date.parse('2026-01-01T12:00:00Z');
        facts.slice(0, cut).forEach((f) => ({ state: whole, nowMs } = happen(whole, f, nowMs)));
        let continued = initialState({ ...whole.input, resume: { ...whole, events: [], persistedThrough: whole.books.lastSeq } });
        let continuedNow = nowMs;
        for (const f of facts.slice(cut)) {
          ({ state: whole, nowMs } = happen(whole, f, nowMs));
          ({ state: continued, nowMs: continuedNow } = happen(continued, f, continuedNow));
        }
        const { events: all, ...wholeRest } = whole;
        const { events: since, ...continuedRest } = continued;
        expect({ ...continuedRest, persistedThrough: undefined }).toEqual({ ...wholeRest, persistedThrough: undefined });
        expect(since).toEqual(all.filter((e) => e.seq > all.length - since.length));
        expect(ledgerFactsOf(continued)).toEqual(ledgerFactsOf(whole));
        // The books are what the events add up to, however they were reached.
        expect(rebuildBooks(all)).toEqual(whole.books);
      }),
      { numRuns: 500 },
    );
  });

  it('charge every late fee exactly once, however the clock jumps (catch-up)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: MAX_AMOUNT_MINOR }),
        fc.array(fc.integer({ min: 0, max: 80 }), { minLength: 1, maxLength: 12 }),
        (total, jumps) => {
          let state = invoice(total);
          let nowMs = Date.parse('2026-01-01T12:00:00Z');
          for (const days of jumps) ({ state, nowMs } = happen(state, { kind: 'time', days }, nowMs));
          const fees = state.events.filter((e) => e.type === 'late_fee_applied');
          expect(new Set(fees.map((e) => e.type === 'late_fee_applied' && e.stepIndex)).size).toBe(fees.length);
          expect(fees.length).toBeLessThanOrEqual(STANDARD_POLICY.steps.filter((s) => s.lateFee).length);
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('policies', () => {
  const offset = fc.oneof(
    fc
      .tuple(fc.constantFrom('-', ''), fc.integer({ min: 0, max: 5_000 }), fc.constantFrom('d', 'h', 'm', 's'))
      .map(([sign, n, unit]) => `${sign}${n}${unit}`),
    fc.constantFrom('99999999d', '3650d', '-3650d', '3651d', '87600h', '1d12h', '0d'),
  );
  const lateFee = fc.oneof(
    fc.record({ percent: fc.integer({ min: 1, max: 20_000 }).map((bp) => bp / 100) }),
    fc.record({
      amountCents: fc.oneof(fc.integer({ min: 1, max: 1_000_000 }), fc.constant(MAX_AMOUNT_MINOR), fc.constant(Number.MAX_SAFE_INTEGER)),
      currency: fc.constantFrom('USD', 'JPY'),
    }),
  );
  const step = fc.record(
    {
      offset,
      template: fc.constantFrom(...STEP_TEMPLATES),
      lateFee: fc.option(lateFee, { nil: undefined }),
      creditHold: fc.option(fc.boolean(), { nil: undefined }),
      finalNotice: fc.option(fc.boolean(), { nil: undefined }),
    },
    { requiredKeys: ['offset', 'template'] },
  );
  const document = fc
    .record({
      name: fc.constant('prop'),
      steps: fc
        .array(step, { minLength: 1, maxLength: 50 })
        .map((steps) => steps.map((s) => Object.fromEntries(Object.entries(s).filter(([, v]) => v !== undefined)))),
      sendWindow: fc.option(
        fc.record({
          days: fc.uniqueArray(fc.constantFrom('mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'), { minLength: 1 }),
          start: fc.constant('09:00'),
          end: fc.constant('17:00'),
        }),
        { nil: undefined },
      ),
    })
    .map((d) => (d.sendWindow ? d : { name: d.name, steps: d.steps }));

  it('every policy the schema accepts runs on every invoice the API accepts; others are refused with INVALID_POLICY', () => {
    fc.assert(
      fc.property(
        document,
        fc.integer({ min: 1, max: MAX_AMOUNT_MINOR }),
        fc.constantFrom(...ZONES),
        fc.integer({ min: 0, max: 3_650 }),
        fc.date({ min: new Date('2020-01-01'), max: new Date('2035-12-31'), noInvalidDate: true }),
        fc.constantFrom('instant' as const, 'calendar' as const),
        (doc, total, timeZone, dueInDays, issuedAt, scheduleRules) => {
          let policy: PolicyVersion;
          try {
            policy = { ...parsePolicyDocument(doc), version: 1 };
          } catch (err) {
            expect(err).toBeInstanceOf(DomainError);
            expect((err as DomainError).code).toBe(ErrorCode.INVALID_POLICY);
            return;
          }
          const dueDate = new Date(issuedAt.getTime() + dueInDays * DAY).toISOString().slice(0, 10);
          const state = invoice(total, { timeZone, dueAt: endOfLocalDay(dueDate, timeZone), policy, scheduleRules });
          const { actions, final } = simulateDunning(state, issuedAt.getTime());
          for (const a of actions) {
            expect(Number.isNaN(Date.parse(a.actsAt))).toBe(false);
            expect(a.actsAt.startsWith('+') || a.actsAt.startsWith('-')).toBe(false);
            expect(Number.isSafeInteger(a.amountDueCents)).toBe(true);
          }
          // Within a 64-bit search attribute and far within safe integers: fees at most double a bill, plus fixed fees.
          expect(final.amountDueCents).toBeLessThanOrEqual(3 * MAX_AMOUNT_MINOR);
        },
      ),
      { numRuns: 400 },
    );
  });

  it.each([
    ['an offset of 99999999 days', [{ offset: '99999999d', template: 'reminder_overdue' }]],
    ['an offset beyond ten years', [{ offset: '3651d', template: 'reminder_overdue' }]],
    [
      '12 fees of 100 %',
      Array.from({ length: 12 }, (_, i) => ({ offset: `${i + 1}d`, template: 'late_fee_notice', lateFee: { percent: 100 } })),
    ],
    [
      'percent fees adding up past 100 %',
      Array.from({ length: 5 }, (_, i) => ({ offset: `${i + 1}d`, template: 'late_fee_notice', lateFee: { percent: 20 } })),
    ],
    [
      'a fixed fee beyond any invoice',
      [{ offset: '1d', template: 'late_fee_notice', lateFee: { amountCents: Number.MAX_SAFE_INTEGER, currency: 'USD' } }],
    ],
  ])('refuses %s', (_label, steps) => {
    expect(() => parsePolicyDocument({ name: 'bounded', steps })).toThrow(expect.objectContaining({ code: 'INVALID_POLICY' }));
  });
});
