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

export const INVOICE_SEARCH_ATTRIBUTES = [CustomerIdKey, InvoiceStatusKey, DunningStageKey, AmountDueCentsKey, DueDateKey, PolicyNameKey, PolicyVersionKey] as const;

export const invoiceWorkflowId = (invoiceId: string) => `invoice-${invoiceId}`;
