import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { z } from 'zod';
import type { Sql } from '../db/client';
import { findInvoiceOfPayment } from '../db/payments';
import { recordInvoiceNote } from '../db/invoice-notes';
import { findCustomer } from '../db/customers';
import { findInvoice } from '../db/invoices';
import { applyGatewayCustomerPayment } from './apply-customer-balance';
import { recordUnappliedPayment } from '../db/unapplied-payments';
import type { InboxRow, InboxStatus } from '../db/webhook-inbox';
import type { GatewayFact } from '../gateways/types';
import { reopenWithRefund } from '../temporal/start-invoice';
import { chargebackSignal, paymentFailedSignal, paymentReceivedSignal, paymentRefundedSignal } from '../../workflows/messages';

type Outcome = { status: Exclude<InboxStatus, 'pending'>; note?: string };

/**
 * Hands one stored gateway event to its invoice's workflow as a signal (the workflow applies each
 * payment and refund id at most once). Money for an unknown or closed invoice becomes unapplied
 * cash. Throws when Temporal cannot be reached, so the relay retries with backoff.
 */
export async function deliverGatewayEvent(deps: { sql: Sql; client: Client; taskQueue: string }, row: InboxRow): Promise<Outcome> {
  const { fact } = row;
  if (fact.kind === 'none') return { status: 'ignored' };
  const actor = `gateway:${row.gateway}`;
  const reason = `${row.gateway} event ${row.eventId} (${row.eventType})`;
  if (fact.kind === 'payment' && !fact.invoiceId && fact.customerId && (await findCustomer(deps.sql, fact.customerId))) {
    const { note } = await applyGatewayCustomerPayment(deps.sql, {
      gateway: row.gateway,
      paymentId: fact.paymentId,
      customerId: fact.customerId,
      amountCents: fact.amountCents,
      currency: fact.currency,
      receivedAt: row.receivedAt,
      ...(fact.method ? { method: fact.method } : {}),
      ...(fact.reference ? { reference: fact.reference } : {}),
    });
    return { status: 'delivered', note };
  }
  const invoiceId =
    fact.invoiceId ?? (fact.kind === 'chargeback' || fact.kind === 'refund' ? await findInvoiceOfPayment(deps.sql, fact.paymentId) : null);
  const invoice = invoiceId && z.uuid().safeParse(invoiceId).success ? await findInvoice(deps.sql, invoiceId) : undefined;

  const unapplied = async (why: string, invoiceId: string | null): Promise<Outcome> => {
    if (fact.kind !== 'payment') return { status: 'flagged', note: why };
    await recordUnappliedPayment(deps.sql, {
      source: row.gateway,
      id: fact.paymentId,
      hintInvoiceId: invoiceId,
      amountCents: fact.amountCents,
      currency: fact.currency,
      reason: why,
      receivedAt: row.receivedAt,
      ...(fact.method ? { method: fact.method } : {}),
      ...(fact.reference ? { reference: fact.reference } : {}),
    });
    return { status: 'unapplied', note: why };
  };
  if (!invoice) return unapplied(fact.invoiceId ? `no invoice ${fact.invoiceId}` : 'event names no invoice', null);
  if (!invoice.workflowStarted) throw new Error(`the workflow of invoice ${invoice.id} has not started yet`);

  const handle = deps.client.workflow.getHandle(invoice.workflowId);
  try {
    switch (fact.kind) {
      case 'payment':
        await handle.signal(paymentReceivedSignal, {
          paymentId: fact.paymentId,
          amountCents: fact.amountCents,
          currency: fact.currency,
          actor,
          reason,
          ...(fact.method ? { method: fact.method } : {}),
          ...(fact.reference ? { reference: fact.reference } : {}),
          ...(fact.writeOff ? { writeOff: fact.writeOff } : {}),
        });
        break;
      case 'payment_failed':
        await handle.signal(paymentFailedSignal, { paymentId: fact.paymentId, failure: fact.reason, actor, reason });
        break;
      case 'refund':
        await handle.signal(paymentRefundedSignal, refundSignal(fact, actor, reason, row.gateway));
        break;
      case 'chargeback':
        await handle.signal(chargebackSignal, {
          disputeId: fact.disputeId,
          paymentId: fact.paymentId,
          stage: fact.stage,
          amountCents: fact.amountCents,
          currency: fact.currency,
          actor,
          reason,
        });
        break;
    }
    return { status: 'delivered' };
  } catch (err) {
    if (!(err instanceof WorkflowNotFoundError)) throw err;
    // The invoice's workflow has completed. A refund of a paid invoice reopens it; money for a
    // closed invoice waits as unapplied cash for a human.
    if (fact.kind === 'refund' && invoice.status === 'paid') {
      await reopenWithRefund(deps.client, deps.taskQueue, invoice.workflowId, refundSignal(fact, actor, reason, row.gateway));
      return { status: 'delivered', note: 'reopened the paid invoice' };
    }
    if (fact.kind === 'chargeback') {
      if (fact.stage === 'lost' && invoice.status === 'paid') {
        await reopenWithRefund(deps.client, deps.taskQueue, invoice.workflowId, {
          paymentId: fact.paymentId,
          refundId: `${fact.disputeId}:lost`,
          amountCents: fact.amountCents,
          currency: fact.currency,
          actor,
          reason: `chargeback lost: ${reason}`,
        });
        return { status: 'delivered', note: 'chargeback lost: reopened the paid invoice' };
      }
      // Opened or won on a closed invoice: nothing to collect (yet), but finance must see it on the
      // invoice's trail; an opened one stays flagged in the inbox until a human or its outcome settles it.
      await recordInvoiceNote(deps.sql, {
        invoiceId: invoice.id,
        action: `invoice.chargeback_${fact.stage}`,
        key: `${fact.disputeId}:${fact.stage}`,
        actor,
        reason,
        data: {
          disputeId: fact.disputeId,
          paymentId: fact.paymentId,
          amountCents: fact.amountCents,
          currency: fact.currency,
          invoiceStatus: invoice.status,
        },
      });
      if (fact.stage === 'won') return { status: 'delivered', note: `chargeback won; invoice ${invoice.number} stays ${invoice.status}` };
      return {
        status: 'flagged',
        note: `chargeback opened on ${invoice.status} invoice ${invoice.number}; the amount reopens if it is lost`,
      };
    }
    return unapplied(`invoice ${invoice.number} is ${invoice.status}; its workflow has completed`, invoice.id);
  }
}

function refundSignal(fact: Extract<GatewayFact, { kind: 'refund' }>, actor: string, reason: string, gateway: string) {
  // Stripe reports the charge's refunded total; other gateways report each refund.
  return {
    paymentId: fact.paymentId,
    refundId: fact.refundId,
    amountCents: fact.amountCents,
    currency: fact.currency,
    actor,
    reason,
    ...(gateway === 'stripe' ? { cumulative: true } : {}),
  };
}
