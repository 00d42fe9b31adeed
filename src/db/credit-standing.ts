import { creditChange, overLimit, type CreditFacts, type CreditHoldSource, type Exposure } from '../domain/customer';
import type { OutboundEvent, OutboundEventType } from '../domain/outbound-events';
import type { Sql } from './client';
import { enqueueOutboundEvents } from './outbound-events';

/**
 * A customer's credit hold: placed by a policy step, through the API or by the credit limit, released
 * through the API or by itself (see `creditChange`). Each change is one conditional update, so
 * concurrent projections place or release a hold once; the winner writes the audit row and the
 * outbound events in the caller's transaction.
 */

/** Open and overdue amounts due per currency on the customer's open invoices, as of `now`. */
export async function exposureOf(sql: Sql, customerId: string, now: Date): Promise<Exposure[]> {
  const rows = await sql<{ currency: string; openCents: string; overdueCents: string; handedOffCents: string }[]>`
    SELECT currency,
           coalesce(sum(amount_due_cents) FILTER (WHERE status = 'open'), 0) AS "openCents",
           coalesce(sum(amount_due_cents) FILTER (WHERE status = 'open' AND due_at < ${now}), 0) AS "overdueCents",
           coalesce(sum(amount_due_cents) FILTER (WHERE status = 'uncollectible'), 0) AS "handedOffCents"
    FROM invoices WHERE customer_id = ${customerId} AND status IN ('open', 'uncollectible') AND amount_due_cents > 0
    GROUP BY currency ORDER BY currency`;
  return rows.map((r) => ({
    currency: r.currency,
    openCents: Number(r.openCents),
    overdueCents: Number(r.overdueCents),
    handedOffCents: Number(r.handedOffCents),
  }));
}

/** Everything the credit rules read about a customer; null when it does not exist. */
export async function readCreditFacts(sql: Sql, customerId: string, now: Date): Promise<CreditFacts | null> {
  const [customer] = await sql<{ creditHold: boolean; source: CreditHoldSource | null; reason: string | null; autoRelease: boolean }[]>`
    SELECT credit_hold AS "creditHold", credit_hold_source AS source, credit_hold_reason AS reason, credit_hold_auto_release AS "autoRelease"
    FROM customers WHERE id = ${customerId}`;
  if (!customer) return null;
  const limits = await sql<{ currency: string; limitCents: string }[]>`
    SELECT currency, limit_cents AS "limitCents" FROM customer_credit_limits WHERE customer_id = ${customerId}`;
  return {
    hold: customer.creditHold ? { source: customer.source ?? 'policy', reason: customer.reason ?? '' } : null,
    autoRelease: customer.autoRelease,
    limits: limits.map((l) => ({ currency: l.currency, limitCents: Number(l.limitCents) })),
    exposure: await exposureOf(sql, customerId, now),
  };
}

interface Change {
  readonly actor: string;
  readonly reason: string;
  readonly at: Date;
  /** The invoice whose step or projection caused it. */
  readonly invoiceId?: string;
}

/** Places a hold unless one is in place; true when this call placed it. */
export async function placeCreditHold(tx: Sql, customerId: string, source: CreditHoldSource, c: Change): Promise<boolean> {
  const [placed] = await tx<{ name: string }[]>`
    UPDATE customers SET credit_hold = true, credit_hold_source = ${source}, credit_hold_reason = ${c.reason},
                         credit_hold_at = ${c.at}, updated_at = now()
    WHERE id = ${customerId} AND NOT credit_hold
    RETURNING name`;
  if (!placed) return false;
  const facts = await readCreditFacts(tx, customerId, c.at);
  const data = { source, ...(c.invoiceId ? { invoiceId: c.invoiceId } : {}) };
  const id = await audit(tx, customerId, 'customer.credit_hold_placed', c, data);
  const customer = { id: customerId, name: placed.name };
  const events = [outbound(id, 'customer.credit_hold_placed', c, { customer, hold: { source, reason: c.reason }, ...data })];
  if (source === 'limit' && facts) {
    events.push(outbound(id, 'customer.credit_limit_exceeded', c, { customer, over: overLimit(facts), exposure: facts.exposure }));
  }
  await enqueueOutboundEvents(tx, null, events);
  return true;
}

/** Releases the hold if there is one; true when this call released it. */
export async function releaseCreditHold(tx: Sql, customerId: string, c: Change): Promise<boolean> {
  const [released] = await tx<{ name: string; source: CreditHoldSource }[]>`
    SELECT name, credit_hold_source AS source FROM customers WHERE id = ${customerId} AND credit_hold FOR UPDATE`;
  if (!released) return false;
  await tx`UPDATE customers SET credit_hold = false, credit_hold_source = NULL, credit_hold_reason = NULL, credit_hold_at = NULL,
                                updated_at = now()
           WHERE id = ${customerId}`;
  const id = await audit(tx, customerId, 'customer.credit_hold_released', c, { placedBy: released.source });
  await enqueueOutboundEvents(tx, null, [
    outbound(id, 'customer.credit_hold_released', c, { customer: { id: customerId, name: released.name }, placedBy: released.source }),
  ]);
  return true;
}

/**
 * Applies what the customer's standing asks for now (see `creditChange`): called wherever exposure or
 * limits change (a projection, a new invoice, a change of limits). Cheap for a customer with no hold
 * and no limit: one indexed read.
 */
export async function settleCreditStanding(tx: Sql, customerId: string, o: { actor: string; now: Date; invoiceId?: string }) {
  const [quick] = await tx<{ relevant: boolean }[]>`
    SELECT credit_hold OR EXISTS (SELECT 1 FROM customer_credit_limits WHERE customer_id = ${customerId}) AS relevant
    FROM customers WHERE id = ${customerId}`;
  if (!quick?.relevant) return;
  const facts = await readCreditFacts(tx, customerId, o.now);
  const change = facts && creditChange(facts);
  if (!change) return;
  const c = { actor: o.actor, reason: change.reason, at: o.now, ...(o.invoiceId ? { invoiceId: o.invoiceId } : {}) };
  if (change.kind === 'place') await placeCreditHold(tx, customerId, change.source, c);
  else await releaseCreditHold(tx, customerId, c);
}

/** An invoice issued on credit the rules refused, and who took responsibility for it. */
export async function recordCreditOverride(
  sql: Sql,
  o: { invoiceId: string; actor: string; reason: string; refused: { code: string; message: string }; at: Date },
): Promise<void> {
  await sql`INSERT INTO audit_log (entity_type, entity_id, action, actor, reason, data, at)
            VALUES ('invoice', ${o.invoiceId}, 'invoice.credit_override', ${o.actor}, ${o.reason}, ${sql.json(o.refused)}, ${o.at})`;
}

async function audit(tx: Sql, customerId: string, action: string, c: Change, data: Record<string, unknown>): Promise<string> {
  const [row] = await tx<{ id: string }[]>`
    INSERT INTO audit_log (entity_type, entity_id, action, actor, reason, data, at)
    VALUES ('customer', ${customerId}, ${action}, ${c.actor}, ${c.reason}, ${tx.json(data as never)}, ${c.at})
    RETURNING id`;
  return row!.id;
}

/** Stable per audit row, so a retried transaction announces the fact once. */
function outbound(auditId: string, type: OutboundEventType, c: Change, data: Record<string, unknown>): OutboundEvent {
  return {
    id: `evt_customer_${auditId}_${type.slice('customer.'.length)}`,
    type,
    createdAt: c.at.toISOString(),
    data: { ...data, actor: c.actor, reason: c.reason },
  };
}
