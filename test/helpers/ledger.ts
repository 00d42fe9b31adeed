import { randomUUID } from 'node:crypto';
import type { Sql } from '../../src/db/client';
import { projectInvoiceEvents } from '../../src/db/invoice-projection';
import { decidePayment, decideRefund, decideVoid } from '../../src/domain/commands';
import { initialState, record, snapshotOf, type InvoiceEventBody, type InvoiceState } from '../../src/domain/invoice';
import { STANDARD_POLICY } from '../../src/domain/policy';

/** What happened to an invoice, and when: each entry turns the invoice's state into events. */
export type Fact = readonly [at: string, decide: (state: InvoiceState) => InvoiceEventBody[]];

export const pay =
  (amountCents: number, paymentId: string = randomUUID(), o: { receivedAt?: string; unappliedSource?: string } = {}): Fact[1] =>
  (s) =>
    decidePayment(s, { paymentId, amountCents, currency: s.input.currency, ...o });
export const refund =
  (amountCents: number): Fact[1] =>
  (s) =>
    decideRefund(s, { paymentId: s.paymentIds[0]!, refundId: randomUUID(), amountCents, currency: s.input.currency });
export const fee =
  (amountCents: number): Fact[1] =>
  (s) => [{ type: 'late_fee_applied', stepIndex: 3, amountCents, currency: s.input.currency }];
export const voided: Fact[1] = (s) => decideVoid(s);
export const handedOff: Fact[1] = () => [{ type: 'handed_off' }];

export interface LedgerWriter {
  customer(name: string, timeZone: string, currency: string, id?: string): Promise<string>;
  /** An invoice and its history up to now; returns its id. */
  invoice(customerId: string, currency: string, totalCents: number, issueDate: string, dueAt: string, facts?: Fact[]): Promise<string>;
  /** Later history of an invoice written by `invoice`. */
  happen(invoiceId: string, facts: Fact[]): Promise<void>;
}

/**
 * Writes customers and invoices the way the engine does: the domain decides each fact's events and
 * the real projection stores them (audit log, payments, fees, the invoice row's ledger and status),
 * with the booking-date triggers of the database doing the rest.
 */
/** Invoice numbers, unique across the writers of one test file. */
let n = 0;

export function ledgerWriter(sql: Sql): LedgerWriter {
  const zones = new Map<string, string>();
  const states = new Map<string, InvoiceState>();

  async function happen(invoiceId: string, facts: Fact[]): Promise<void> {
    let state = states.get(invoiceId)!;
    for (const [at, decide] of facts) state = record(state, decide(state), { at, actor: 'test' });
    states.set(invoiceId, state);
    if (state.events.length)
      await projectInvoiceEvents(sql, { invoiceId, customerId: state.input.customerId, events: state.events, snapshot: snapshotOf(state) });
  }

  return {
    async customer(name, timeZone, currency, id = randomUUID()) {
      zones.set(id, timeZone);
      await sql`INSERT INTO customers (id, name, email, time_zone, currency, payment_terms_days) VALUES (${id}, ${name}, 'ap@x.test', ${timeZone}, ${currency}, 30)`;
      return id;
    },
    async invoice(customerId, currency, totalCents, issueDate, dueAt, facts = []) {
      const id = randomUUID();
      const number = `T-${++n}`;
      await sql`INSERT INTO invoices (id, number, customer_id, currency, total_cents, amount_due_cents, issue_date, due_at, policy_name, policy_version, workflow_id)
                VALUES (${id}, ${number}, ${customerId}, ${currency}, ${totalCents}, ${totalCents}, ${issueDate}, ${dueAt}, 'standard', 1, ${`invoice-${id}`})`;
      states.set(
        id,
        initialState({
          invoiceId: id,
          number,
          customerId,
          timeZone: zones.get(customerId)!,
          currency,
          totalCents,
          issueDate,
          dueAt,
          policy: { ...STANDARD_POLICY, version: 1 },
        }),
      );
      await happen(id, facts);
      return id;
    },
    happen,
  };
}
