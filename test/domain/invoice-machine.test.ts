import {
  decideOpenDispute,
  decidePayment,
  decidePromise,
  decideRefund,
  decideResolveDispute,
  decideVoid,
  checkPayment,
} from '../../src/domain/commands';
import { decideSteps, planNext } from '../../src/domain/dunning';
import { type DomainError } from '../../src/domain/errors';
import { amountDue, assertTransition, initialState, record, type InvoiceEventBody, type InvoiceState } from '../../src/domain/invoice';
import { EARLIER_STANDARD_POLICIES } from '../../src/domain/policy';

// The rules of these tests are the instant rules (invoices started before 'calendar-day-offsets'),
// on the windowless default of that time; the calendar rules are in schedule.test.ts and simulate.test.ts.
const STANDARD_POLICY = EARLIER_STANDARD_POLICIES[0]!;

const DUE = '2026-03-31T23:59:59.999Z';
const DAY = 86_400_000;
const at = (ms: number) => new Date(ms).toISOString();
const dueMs = Date.parse(DUE);

function fresh(totalCents = 100_000): InvoiceState {
  return initialState({
    invoiceId: 'inv-1',
    number: 'INV-000001',
    customerId: 'cus-1',
    timeZone: 'UTC',
    currency: 'USD',
    totalCents,
    issueDate: '2026-03-01',
    dueAt: DUE,
    policy: { ...STANDARD_POLICY, version: 1 },
  });
}
const apply = (s: InvoiceState, events: InvoiceEventBody[], nowMs = dueMs) => record(s, events, { at: at(nowMs), actor: 'test' });
function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    return (err as DomainError).code;
  }
  return 'no error';
}

describe('status transitions', () => {
  it('allows open → paid → open and refuses leaving void', () => {
    expect(() => assertTransition('open', 'paid')).not.toThrow();
    expect(() => assertTransition('paid', 'open')).not.toThrow();
    expect(codeOf(() => assertTransition('void', 'open'))).toBe('INVOICE_NOT_OPEN');
    expect(codeOf(() => assertTransition('paid', 'void'))).toBe('INVOICE_PAID');
  });
});

describe('payments', () => {
  it('partial then full payment: dunning continues on the rest, then the invoice is paid', () => {
    let s = apply(fresh(), decidePayment(fresh(), { paymentId: 'p1', amountCents: 40_000, currency: 'USD' }));
    expect(amountDue(s.ledger)).toBe(60_000);
    expect(s.status).toBe('open');
    expect(planNext(s, dueMs + 8 * DAY).kind).toBe('perform');
    s = apply(s, decidePayment(s, { paymentId: 'p2', amountCents: 60_000, currency: 'usd' }));
    expect(s.status).toBe('paid');
    expect(planNext(s, dueMs).kind).toBe('done');
  });

  it('records an overpayment as customer credit', () => {
    const events = decidePayment(fresh(), { paymentId: 'p1', amountCents: 120_000, currency: 'USD' });
    expect(events.map((e) => e.type)).toEqual(['payment_received', 'credit_recorded', 'paid']);
    expect(events[1]).toMatchObject({ amountCents: 20_000 });
  });

  it('applies a payment id at most once', () => {
    const s = apply(fresh(), decidePayment(fresh(), { paymentId: 'p1', amountCents: 10_000, currency: 'USD' }));
    expect(decidePayment(s, { paymentId: 'p1', amountCents: 10_000, currency: 'USD' })).toEqual([]);
    expect(codeOf(() => checkPayment(s, { paymentId: 'p1', amountCents: 10_000, currency: 'USD' }))).toBe('DUPLICATE_PAYMENT');
  });

  it('flags a payment in the wrong currency instead of applying it', () => {
    const events = decidePayment(fresh(), { paymentId: 'p1', amountCents: 100_000, currency: 'EUR' });
    expect(events).toEqual([expect.objectContaining({ type: 'payment_flagged', flag: 'currency_mismatch' })]);
    expect(codeOf(() => checkPayment(fresh(), { paymentId: 'p1', amountCents: 1, currency: 'EUR' }))).toBe('CURRENCY_MISMATCH');
  });

  it.each([0, -5, 1.5])('refuses a manual payment of %p', (amountCents) => {
    expect(codeOf(() => checkPayment(fresh(), { paymentId: 'p', amountCents, currency: 'USD' }))).toBe('INVALID_AMOUNT');
  });

  it('a refund reopens a paid invoice', () => {
    let s = apply(fresh(), decidePayment(fresh(), { paymentId: 'p1', amountCents: 100_000, currency: 'USD' }));
    s = apply(s, decideRefund(s, { paymentId: 'p1', refundId: 'r1', amountCents: 30_000, currency: 'USD' }));
    expect(s.status).toBe('open');
    expect(amountDue(s.ledger)).toBe(30_000);
  });
});

describe('commands', () => {
  it('refuses void once paid, and once partly paid', () => {
    const paid = apply(fresh(), decidePayment(fresh(), { paymentId: 'p1', amountCents: 100_000, currency: 'USD' }));
    expect(codeOf(() => decideVoid(paid))).toBe('INVOICE_PAID');
    const partly = apply(fresh(), decidePayment(fresh(), { paymentId: 'p1', amountCents: 1, currency: 'USD' }));
    expect(codeOf(() => decideVoid(partly))).toBe('INVOICE_HAS_PAYMENTS');
    const voided = apply(fresh(), decideVoid(fresh()));
    expect(voided.status).toBe('void');
    expect(codeOf(() => decideVoid(voided))).toBe('INVOICE_NOT_OPEN');
  });

  it('pauses the ladder while disputed and pushes it back by the time paused', () => {
    let s = apply(fresh(), decideOpenDispute(fresh()), dueMs);
    expect(codeOf(() => decideOpenDispute(s))).toBe('ALREADY_DISPUTED');
    expect(planNext(s, dueMs + 10 * DAY)).toEqual({ kind: 'paused', reason: 'disputed' });
    s = apply(s, decideResolveDispute(s), dueMs + 5 * DAY);
    expect(codeOf(() => decideResolveDispute(s))).toBe('NOT_DISPUTED');
    expect(s.pausedMs).toBe(5 * DAY);
    const plan = planNext(s, dueMs + 5 * DAY);
    expect(plan).toMatchObject({ kind: 'perform' }); // -3d and 0d are overdue (not shifted past now)
  });

  it('defers reminders until the promised date and reports a broken promise', () => {
    const now = Date.parse('2026-03-20T12:00:00Z');
    expect(codeOf(() => decidePromise(fresh(), '2026-03-19', now))).toBe('INVALID_PROMISE_DATE');
    expect(codeOf(() => decidePromise(fresh(), '2027-03-19', now))).toBe('INVALID_PROMISE_DATE');
    expect(codeOf(() => decidePromise(fresh(), '03/19/2026', now))).toBe('VALIDATION');
    const s = apply(fresh(), decidePromise(fresh(), '2026-04-10', now), now);
    expect(planNext(s, dueMs)).toMatchObject({ kind: 'wait', next: { at: '2026-04-10T23:59:59.999Z', reason: 'promise_deadline' } });
    expect(planNext(s, Date.parse('2026-04-11T00:00:00Z'))).toEqual({ kind: 'promise_broken' });
    const kept = apply(s, decidePayment(s, { paymentId: 'p', amountCents: 100_000, currency: 'USD' }));
    expect(kept.events.map((e) => e.type)).toContain('promise_kept');
  });
});

describe('dunning steps', () => {
  it('waits for the first step, then performs it', () => {
    expect(planNext(fresh(), dueMs - 10 * DAY)).toMatchObject({
      kind: 'wait',
      next: { at: at(dueMs - 3 * DAY), step: { index: 0, template: 'reminder_upcoming' } },
    });
    const plan = planNext(fresh(), dueMs - 3 * DAY);
    expect(plan).toMatchObject({ kind: 'perform', steps: [{ index: 0 }] });
  });

  it('charges 1.5 % of the open amount at the 14-day step, rounded half up', () => {
    let s = apply(fresh(100_001), [
      { type: 'step_performed', stepIndex: 2, template: 'reminder_overdue', scheduledAt: DUE, sendAt: DUE, catchUp: false },
    ]);
    const plan = planNext(s, dueMs + 14 * DAY);
    if (plan.kind !== 'perform') throw new Error(plan.kind);
    const { events } = decideSteps(s, plan.steps, dueMs + 14 * DAY);
    expect(events).toContainEqual(expect.objectContaining({ type: 'late_fee_applied', amountCents: 1500, stepIndex: 3 })); // 1500.015 → 1500
    s = apply(s, events);
    expect(amountDue(s.ledger)).toBe(101_501);
    expect(s.dunningStage).toBe('late_fee_notice');
  });

  it('catches up after an outage: one email for the latest step, every due fee once, holds applied', () => {
    const now = dueMs + 31 * DAY; // steps 0..4 are all due
    const plan = planNext(fresh(), now);
    if (plan.kind !== 'perform') throw new Error(plan.kind);
    expect(plan.steps.map((s) => s.index)).toEqual([0, 1, 2, 3, 4]);
    const { events, emailStep } = decideSteps(fresh(), plan.steps, now);
    expect(emailStep.template).toBe('final_notice');
    expect(events.filter((e) => e.type === 'step_skipped')).toHaveLength(4);
    expect(events.filter((e) => e.type === 'late_fee_applied')).toHaveLength(1);
    expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(['credit_hold_placed', 'final_notice', 'step_performed']));
    const s = apply(fresh(), events, now);
    expect(s.nextStepIndex).toBe(5);
    expect(planNext(s, now)).toMatchObject({ kind: 'wait', next: { step: { index: 5 } } });
  });

  it('hands off at the last step: the invoice becomes uncollectible', () => {
    const now = dueMs + 46 * DAY;
    const plan = planNext(fresh(), now);
    if (plan.kind !== 'perform') throw new Error(plan.kind);
    const s = apply(fresh(), decideSteps(fresh(), plan.steps, now).events, now);
    expect(s.status).toBe('uncollectible');
    expect(planNext(s, now).kind).toBe('done');
  });

  it('skips a fixed fee in another currency and says why', () => {
    const s = initialState({
      ...fresh().input,
      policy: {
        name: 'f',
        version: 1,
        steps: [{ offset: '1d', template: 'late_fee_notice', lateFee: { amountCents: 500, currency: 'EUR' } }],
      },
    });
    const plan = planNext(s, dueMs + 2 * DAY);
    if (plan.kind !== 'perform') throw new Error(plan.kind);
    expect(decideSteps(s, plan.steps, dueMs + 2 * DAY).events[0]).toMatchObject({ type: 'late_fee_skipped' });
  });
});

describe('cumulative refunds (Stripe amount_refunded)', () => {
  const paid = () => apply(fresh(), decidePayment(fresh(), { paymentId: 'pi_1', amountCents: 100_000, currency: 'USD' }));
  const total = (n: number) => ({ paymentId: 'pi_1', refundId: `ch_1:refunded:${n}`, amountCents: n, currency: 'usd', cumulative: true });

  it('applies the increase of each total, whatever the order', () => {
    let inOrder = paid();
    for (const n of [30_000, 50_000]) inOrder = apply(inOrder, decideRefund(inOrder, total(n)));
    let outOfOrder = paid();
    for (const n of [50_000, 30_000]) outOfOrder = apply(outOfOrder, decideRefund(outOfOrder, total(n)));
    expect(inOrder.ledger.refundedCents).toBe(50_000);
    expect(outOfOrder.ledger.refundedCents).toBe(50_000);
    expect(amountDue(inOrder.ledger)).toBe(amountDue(outOfOrder.ledger));
    expect(outOfOrder.status).toBe('open');
  });

  it('ignores a repeated total', () => {
    const once = apply(paid(), decideRefund(paid(), total(30_000)));
    expect(decideRefund(once, total(30_000))).toEqual([]);
  });
});
