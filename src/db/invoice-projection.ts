import type { InvoiceEvent, InvoiceSnapshot } from '../domain/invoice';
import { outboundEventsOf } from '../domain/outbound-events';
import type { Sql } from './client';
import { enqueueOutboundEvents } from './outbound-events';
import { importPaymentId } from '../domain/ledger';
import { markUnappliedApplied } from './unapplied-payments';
import { placeCreditHold, settleCreditStanding } from './credit-standing';

/** A flagged amount as a bigint column can hold it (a flag keeps amounts no ledger could, as unknown). */
const storableAmount = (amount: number) => (Number.isSafeInteger(amount) && Math.abs(amount) <= Number.MAX_SAFE_INTEGER ? amount : null);

export type { InvoiceSnapshot } from '../domain/invoice';

/**
 * Writes workflow events to the audit log and their side tables (payments, fees, credits, flags,
 * customer holds) and stores the snapshot, in one transaction. Events at or below the stored sequence
 * number are skipped, so a retried activity changes nothing twice; beyond that nothing is ignored: a
 * ledger row that cannot be written as the workflow applied it fails the transaction (and the
 * workflow surfaces it), instead of being dropped.
 */
export async function projectInvoiceEvents(
  sql: Sql,
  input: {
    invoiceId: string;
    customerId: string;
    events: readonly InvoiceEvent[];
    snapshot: InvoiceSnapshot;
    afterFailure?: boolean;
    surfaceRefusal?: boolean;
  },
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
          await tx`INSERT INTO payments (kind, id, invoice_id, amount_cents, currency, status, method, reference, actor, received_at, gateway)
                   VALUES ('payment', ${event.paymentId}, ${invoiceId}, ${event.amountCents}, ${event.currency}, 'applied',
                           ${event.method ?? null}, ${event.reference ?? null}, ${actor}, ${event.receivedAt ?? at}, ${event.unappliedSource ?? null})`;
          if (event.unappliedSource)
            await markUnappliedApplied(tx as unknown as Sql, { source: event.unappliedSource, id: event.paymentId, invoiceId, at });
          break;
        case 'payment_flagged':
          await tx`INSERT INTO ledger_flags (invoice_id, flag_id, kind, reason, ref_id, amount_cents, currency, actor, flagged_at)
                   VALUES (${invoiceId}, ${'payment:' + event.paymentId}, 'payment_flagged', ${event.flag}, ${event.paymentId},
                           ${storableAmount(event.amountCents)}, ${event.currency}, ${actor}, ${at})`;
          break;
        case 'refund_flagged':
          await tx`INSERT INTO ledger_flags (invoice_id, flag_id, kind, reason, ref_id, payment_id, amount_cents, currency, actor, flagged_at)
                   VALUES (${invoiceId}, ${'refund:' + event.refundId}, 'refund_flagged', ${event.flag}, ${event.refundId}, ${event.paymentId},
                           ${storableAmount(event.amountCents)}, ${event.currency}, ${actor}, ${at})`;
          break;
        case 'flag_resolved':
          await tx`UPDATE ledger_flags SET resolved_at = ${at}, resolved_by = ${actor}, resolution = ${event.resolution}
                   WHERE invoice_id = ${invoiceId} AND flag_id = ${event.flagId}`;
          break;
        case 'payment_refunded':
          await tx`INSERT INTO payments (kind, id, invoice_id, payment_id, amount_cents, currency, status, actor, received_at)
                   VALUES ('refund', ${event.refundId}, ${invoiceId}, ${event.paymentId}, ${event.amountCents}, ${event.currency}, 'applied', ${actor}, ${at})`;
          break;
        case 'written_off':
          await tx`INSERT INTO write_offs (invoice_id, id, amount_cents, currency, category, reason, actor, written_off_at)
                   VALUES (${invoiceId}, ${event.writeOffId}, ${event.amountCents}, ${event.currency}, ${event.category},
                           ${reason ?? null}, ${actor}, ${at})`;
          break;
        case 'write_off_reversed': {
          const reversed = await tx`UPDATE write_offs SET reversed_at = ${at}, reversed_by = ${actor}
                                    WHERE invoice_id = ${invoiceId} AND id = ${event.writeOffId} AND reversed_at IS NULL RETURNING 1`;
          if (reversed.length !== 1) throw new Error(`write-off ${event.writeOffId} of invoice ${invoiceId} is not in force`);
          break;
        }
        case 'late_fee_applied':
          await tx`INSERT INTO late_fees (invoice_id, policy_generation, step_index, amount_cents, currency, applied_at)
                   VALUES (${invoiceId}, ${event.generation ?? 0}, ${event.stepIndex}, ${event.amountCents}, ${event.currency}, ${at})`;
          break;
        case 'credit_recorded':
          await tx`INSERT INTO customer_credits (entry_id, payment_id, customer_id, invoice_id, amount_cents, currency)
                   VALUES (${'payment:' + event.paymentId}, ${event.paymentId}, ${customerId}, ${invoiceId}, ${event.amountCents}, ${event.currency})`;
          break;
        case 'credit_reversed':
          await tx`INSERT INTO customer_credits (entry_id, refund_id, customer_id, invoice_id, amount_cents, currency)
                   VALUES (${'refund:' + event.refundId}, ${event.refundId}, ${customerId}, ${invoiceId}, ${-event.amountCents}, ${event.currency})`;
          break;
        case 'imported':
          // What the ERP saw paid before the take-over, booked when it was taken over.
          if (event.paidBeforeCents > 0) {
            await tx`INSERT INTO payments (kind, id, invoice_id, amount_cents, currency, status, method, reference, actor, received_at)
                     VALUES ('payment', ${importPaymentId(event.externalId)}, ${invoiceId}, ${event.paidBeforeCents}, ${event.currency},
                             'applied', 'erp_import', 'paid before import', ${actor}, ${at})`;
          }
          break;
        case 'policy_migrated':
          await tx`UPDATE invoices SET policy_name = ${event.policy.name}, policy_version = ${event.policy.version} WHERE id = ${invoiceId}`;
          break;
        case 'credit_hold_placed':
          await placeCreditHold(tx as unknown as Sql, customerId, 'policy', {
            actor,
            reason: `dunning policy step of invoice ${current.number}`,
            at: new Date(at),
            invoiceId,
          });
          break;
      }
    }

    // Announced to subscribed endpoints only if these facts commit (transactional outbox).
    const invoice = {
      id: invoiceId,
      number: current.number,
      customerId,
      currency: current.currency,
      totalCents: Number(current.totalCents),
      dueAt: current.dueAt.toISOString(),
    };
    await enqueueOutboundEvents(tx as unknown as Sql, invoiceId, outboundEventsOf(invoice, events, snapshot));

    // Whatever refused earlier events has been fixed: they are stored now.
    // (Workflows started before 'money-integrity' retry a refusal without saying so: checked every time.)
    if (input.afterFailure || !input.surfaceRefusal)
      await tx`UPDATE projection_failures SET resolved_at = now() WHERE invoice_id = ${invoiceId} AND resolved_at IS NULL`;

    const last = events[events.length - 1]!;
    // The last of its kind: an invoice paid, reopened by a refund and paid again in one batch was paid the second time.
    const at = (type: InvoiceEvent['type']) => [...events].reverse().find((e) => e.type === type)?.at ?? null;
    const closedAt = at('voided') ?? at('handed_off');
    await tx`
      UPDATE invoices SET
        status = ${snapshot.status}, fees_cents = ${snapshot.feesCents}, paid_cents = ${snapshot.paidCents},
        refunded_cents = ${snapshot.refundedCents}, amount_due_cents = ${snapshot.amountDueCents},
        written_off_cents = ${snapshot.writtenOffCents ?? 0},
        dunning_stage = ${snapshot.dunningStage}, disputed = ${snapshot.disputed}, promised_date = ${snapshot.promisedDate},
        schedule_rules = coalesce(${snapshot.scheduleRules ?? null}, schedule_rules),
        next_step_index = ${snapshot.nextStepIndex ?? null}, paused_ms = ${snapshot.pausedMs ?? null},
        promise_deadline = ${snapshot.promiseDeadline ?? null}::timestamptz,
        parked_at = CASE WHEN ${snapshot.parked ?? false}::boolean THEN coalesce(parked_at, ${last.at}::timestamptz) END,
        last_event_seq = ${last.seq},
        paid_at = CASE WHEN ${snapshot.status} = 'paid' THEN coalesce(${at('paid')}::timestamptz, paid_at) END,
        closed_at = coalesce(${closedAt}::timestamptz, closed_at),
        workflow_started = true,
        updated_at = now()
      WHERE id = ${invoiceId}`;
    // A payment may clear what held the customer; a fee may take it past its limit.
    await settleCreditStanding(tx as unknown as Sql, customerId, { actor: last.actor, now: new Date(last.at), invoiceId });
    return { applied: events.length };
  });
}
