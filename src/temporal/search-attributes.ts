import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** Typed search attributes kept current by every invoice workflow (see README for queries). */
export const CustomerIdKey = defineSearchAttributeKey('CustomerId', SearchAttributeType.KEYWORD);
export const InvoiceStatusKey = defineSearchAttributeKey('InvoiceStatus', SearchAttributeType.KEYWORD);
export const DunningStageKey = defineSearchAttributeKey('DunningStage', SearchAttributeType.KEYWORD);
export const AmountDueCentsKey = defineSearchAttributeKey('AmountDueCents', SearchAttributeType.INT);
export const DueDateKey = defineSearchAttributeKey('DueDate', SearchAttributeType.DATETIME);
export const PolicyNameKey = defineSearchAttributeKey('PolicyName', SearchAttributeType.KEYWORD);
/** Set at start and on every policy migration (invoices started before it existed lack it). */
export const PolicyVersionKey = defineSearchAttributeKey('PolicyVersion', SearchAttributeType.INT);
/**
 * Why an invoice needs a human (`projection_failed`, `payment_flagged`, `refund_flagged`); absent when
 * nothing does. Set by invoices started since the 'money-integrity' patch.
 */
export const NeedsAttentionKey = defineSearchAttributeKey('NeedsAttention', SearchAttributeType.KEYWORD_LIST);

/** Set by Temporal on workflows a Schedule starts: the firing's nominal time (a backfill's past time). */
export const ScheduledStartTimeKey = defineSearchAttributeKey('TemporalScheduledStartTime', SearchAttributeType.DATETIME);

export const INVOICE_SEARCH_ATTRIBUTES = [
  CustomerIdKey,
  InvoiceStatusKey,
  DunningStageKey,
  AmountDueCentsKey,
  DueDateKey,
  PolicyNameKey,
  PolicyVersionKey,
  NeedsAttentionKey,
] as const;

export const invoiceWorkflowId = (invoiceId: string) => `invoice-${invoiceId}`;
