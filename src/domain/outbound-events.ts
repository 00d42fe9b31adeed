import type { InvoiceEvent, InvoiceSnapshot } from './invoice';

/** The event types an endpoint can subscribe to. */
export const OUTBOUND_EVENT_TYPES = [
  'invoice.issued',
  'invoice.reminder_sent',
  'invoice.paid',
  'invoice.disputed',
  'invoice.uncollectible',
  'invoice.voided',
  /** Part of what the invoice owed was written off (or such a write-off undone, with a negative amount), for the books of record. */
  'invoice.written_off',
  'customer.credit_hold_placed',
  'customer.credit_hold_released',
  'customer.credit_limit_exceeded',
  /** Part of a customer's balance (unapplied cash, credit) was paid back to them. */
  'customer.balance_refunded',
] as const;
export type OutboundEventType = (typeof OUTBOUND_EVENT_TYPES)[number];

/** The invoice as the event announces it (amounts in minor units). */
export interface OutboundInvoice {
  readonly id: string;
  readonly number: string;
  readonly customerId: string;
  readonly currency: string;
  readonly totalCents: number;
  readonly dueAt: string;
}

export interface OutboundEvent {
  /** Stable per invoice fact: a retried projection or delivery carries the same id. */
  readonly id: string;
  readonly type: OutboundEventType;
  readonly createdAt: string;
  readonly data: Record<string, unknown>;
}

/** Which invoice facts are announced outside, and with what. Everything else stays internal. */
function typeOf(event: InvoiceEvent): { type: OutboundEventType; detail: Record<string, unknown> } | null {
  switch (event.type) {
    case 'issued':
      return { type: 'invoice.issued', detail: { policy: event.policy } };
    case 'email_sent':
      return event.stepIndex === null
        ? null
        : { type: 'invoice.reminder_sent', detail: { template: event.template, stepIndex: event.stepIndex } };
    case 'paid':
      return { type: 'invoice.paid', detail: {} };
    case 'dispute_opened':
      return { type: 'invoice.disputed', detail: {} };
    case 'handed_off':
      return { type: 'invoice.uncollectible', detail: { reason: 'handed_off' } };
    case 'voided':
      return { type: 'invoice.voided', detail: {} };
    case 'written_off':
      return {
        type: 'invoice.written_off',
        detail: { writeOffId: event.writeOffId, amountCents: event.amountCents, currency: event.currency, category: event.category },
      };
    case 'write_off_reversed':
      return {
        type: 'invoice.written_off',
        detail: { writeOffId: event.writeOffId, amountCents: -event.amountCents, currency: event.currency, reversed: true },
      };
    default:
      return null;
  }
}

/** The outbound events of a batch of invoice events, as the projection stores them. */
export function outboundEventsOf(invoice: OutboundInvoice, events: readonly InvoiceEvent[], snapshot: InvoiceSnapshot): OutboundEvent[] {
  return events.flatMap((event) => {
    const mapped = typeOf(event);
    if (!mapped) return [];
    return [
      {
        id: `evt_${invoice.id.replaceAll('-', '')}_${event.seq}`,
        type: mapped.type,
        createdAt: event.at,
        data: {
          invoice: { ...invoice, status: snapshot.status, amountDueCents: snapshot.amountDueCents, dunningStage: snapshot.dunningStage },
          actor: event.actor,
          ...(event.reason ? { reason: event.reason } : {}),
          ...mapped.detail,
        },
      },
    ];
  });
}
