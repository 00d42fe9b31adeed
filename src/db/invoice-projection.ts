import type { InvoiceEvent, InvoiceSnapshot } from '../domain/invoice';
import { outboundEventsOf } from '../domain/outbound-events';
import type { Sql } from './client';
import { enqueueOutboundEvents } from './outbound-events';

export type { InvoiceSnapshot } from '../domain/invoice';

/**
 * Writes workflow events to the audit log and their side tables (payments, fees, credits, customer
 * holds) and stores the snapshot, in one transaction. Events at or below the stored sequence number
 * are skipped, so a retried activity changes nothing twice.
 */
export async function projectInvoiceEvents(
  sql: Sql,
  input: { invoiceId: string; customerId: string; events: readonly InvoiceEvent[]; snapshot: InvoiceSnapshot },
): Promise<{ applied: number }> {
  const { invoiceId, customerId, snapshot } = input;
  return sql.begin(async (tx) => {
    const [current] = await tx<{ lastEventSeq: number; number: string; currency: string; totalCents: string; dueAt: Date }[]>`
      SELECT last_event_seq AS "lastEventSeq", number, currency, total_cents AS "totalCents", due_at AS "dueAt"
      FROM invoices WHERE id = ${invoiceId} FOR UPDATE`;
    if (!current) throw new Error(`invoice ${invoiceId} does not exist`);
    const events = input.events.filter((e) => e.seq > current.lastEventSeq).sort((a, b) => a.seq - b.seq);
    if (events.length === 0) return { applied: 0 };

    for (const event of events) {
      const { seq, at, actor, reason, type, ...data } = event;
      await tx`INSERT INTO audit_log (entity_type, entity_id, seq, action, actor, reason, data, at)
               VALUES ('invoice', ${invoiceId}, ${seq}, ${'invoice.' + type}, ${actor}, ${reason ?? null}, ${tx.json(data as never)}, ${at})
               ON CONFLICT DO NOTHING`;
      switch (event.type) {
        case 'payment_received':
        case 'payment_flagged':
          await tx`INSERT INTO payments (kind, id, invoice_id, amount_cents, currency, status, flag_reason, method, reference, actor, received_at)
                   VALUES ('payment', ${event.paymentId}, ${invoiceId}, ${event.amountCents}, ${event.currency},
                           ${event.type === 'payment_received' ? 'applied' : 'flagged'},
                           ${event.type === 'payment_flagged' ? event.flag : null},
                           ${event.method ?? null}, ${event.reference ?? null}, ${actor}, ${at})
                   ON CONFLICT (kind, id) DO UPDATE SET invoice_id = EXCLUDED.invoice_id, status = EXCLUDED.status, flag_reason = NULL
                   WHERE payments.status = 'unapplied'`;
          break;
        case 'payment_refunded':
          await tx`INSERT INTO payments (kind, id, invoice_id, payment_id, amount_cents, currency, status, actor, received_at)
                   VALUES ('refund', ${event.refundId}, ${invoiceId}, ${event.paymentId}, ${event.amountCents}, ${event.currency}, 'applied', ${actor}, ${at})
                   ON CONFLICT DO NOTHING`;
          break;
        case 'late_fee_applied':
          await tx`INSERT INTO late_fees (invoice_id, policy_generation, step_index, amount_cents, currency, applied_at)
                   VALUES (${invoiceId}, ${event.generation ?? 0}, ${event.stepIndex}, ${event.amountCents}, ${event.currency}, ${at})
                   ON CONFLICT DO NOTHING`;
          break;
        case 'credit_recorded':
          await tx`INSERT INTO customer_credits (payment_id, customer_id, invoice_id, amount_cents, currency)
                   VALUES (${event.paymentId}, ${customerId}, ${invoiceId}, ${event.amountCents}, ${event.currency})
                   ON CONFLICT DO NOTHING`;
          break;
        case 'imported':
          // What the ERP saw paid before the take-over, booked when it was taken over.
          if (event.paidBeforeCents > 0) {
            await tx`INSERT INTO payments (kind, id, invoice_id, amount_cents, currency, status, method, reference, actor, received_at)
                     VALUES ('payment', ${'erp-import:' + event.externalId}, ${invoiceId}, ${event.paidBeforeCents}, ${event.currency},
                             'applied', 'erp_import', 'paid before import', ${actor}, ${at})
                     ON CONFLICT DO NOTHING`;
          }
          break;
        case 'policy_migrated':
          await tx`UPDATE invoices SET policy_name = ${event.policy.name}, policy_version = ${event.policy.version} WHERE id = ${invoiceId}`;
          break;
        case 'credit_hold_placed':
          await tx`UPDATE customers SET credit_hold = true, updated_at = now() WHERE id = ${customerId}`;
          await tx`INSERT INTO audit_log (entity_type, entity_id, action, actor, reason, data, at)
                   VALUES ('customer', ${customerId}, 'customer.credit_hold_placed', ${actor}, ${'dunning policy step'}, ${tx.json({ invoiceId })}, ${at})`;
          break;
      }
    }

    // Announced to subscribed endpoints only if these facts commit (transactional outbox).
    const invoice = { id: invoiceId, number: current.number, customerId, currency: current.currency, totalCents: Number(current.totalCents), dueAt: current.dueAt.toISOString() };
    await enqueueOutboundEvents(tx as unknown as Sql, invoiceId, outboundEventsOf(invoice, events, snapshot));

    const last = events[events.length - 1]!;
    const at = (type: InvoiceEvent['type']) => events.find((e) => e.type === type)?.at ?? null;
    const closedAt = at('voided') ?? at('handed_off');
    await tx`
      UPDATE invoices SET
        status = ${snapshot.status}, fees_cents = ${snapshot.feesCents}, paid_cents = ${snapshot.paidCents},
        refunded_cents = ${snapshot.refundedCents}, amount_due_cents = ${snapshot.amountDueCents},
        dunning_stage = ${snapshot.dunningStage}, disputed = ${snapshot.disputed}, promised_date = ${snapshot.promisedDate},
        last_event_seq = ${last.seq},
        paid_at = CASE WHEN ${snapshot.status} = 'paid' THEN coalesce(${at('paid')}::timestamptz, paid_at) END,
        closed_at = coalesce(${closedAt}::timestamptz, closed_at),
        workflow_started = true,
        updated_at = now()
      WHERE id = ${invoiceId}`;
    return { applied: events.length };
  });
}
