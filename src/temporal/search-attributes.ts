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

/** The invoice's number (`INV-2026-0042`), set at start. */
export const InvoiceNumberKey = defineSearchAttributeKey('InvoiceNumber', SearchAttributeType.KEYWORD);
/** ISO currency of `AmountDueCents`: compare amounts only within one (`Currency = 'USD' AND AmountDueCents > 100000`). */
export const CurrencyKey = defineSearchAttributeKey('Currency', SearchAttributeType.KEYWORD);
/**
 * The customer's name, for full-text search. Personal data: set only where the operator allows it
 * (`CUSTOMER_NAME_SEARCH_ATTRIBUTE`; off by default once payloads are encrypted).
 */
export const CustomerNameKey = defineSearchAttributeKey('CustomerName', SearchAttributeType.TEXT);
/** Invoices started since the 'ops-visibility' patch keep the following current. */
export const DisputedKey = defineSearchAttributeKey('Disputed', SearchAttributeType.BOOL);
/** Start of the promised day on the customer's calendar; absent without a promise. */
export const PromisedDateKey = defineSearchAttributeKey('PromisedDate', SearchAttributeType.DATETIME);
/** When the workflow next acts on its own (a step, a promise deadline); absent when nothing is due to happen. */
export const NextActionAtKey = defineSearchAttributeKey('NextActionAt', SearchAttributeType.DATETIME);
/** The open invoice's aging bucket on the customer's calendar: `current`, `1-30`, `31-60`, `61-90`, `90+`; absent once closed. */
export const OverdueKey = defineSearchAttributeKey('Overdue', SearchAttributeType.KEYWORD);

/** Set by Temporal on workflows a Schedule starts: the firing's nominal time (a backfill's past time). */
export const ScheduledStartTimeKey = defineSearchAttributeKey('TemporalScheduledStartTime', SearchAttributeType.DATETIME);

/** Kept by each customer account workflow (`customer-<id>`), beside `CustomerId`. */
export const CreditHoldKey = defineSearchAttributeKey('CreditHold', SearchAttributeType.BOOL);
export const DunningPausedKey = defineSearchAttributeKey('DunningPaused', SearchAttributeType.BOOL);
/** The customer's overdue amount due, in its own currency's minor units. */
export const OverdueCentsKey = defineSearchAttributeKey('OverdueCents', SearchAttributeType.INT);

export const INVOICE_SEARCH_ATTRIBUTES = [
  CustomerIdKey,
  InvoiceStatusKey,
  DunningStageKey,
  AmountDueCentsKey,
  DueDateKey,
  PolicyNameKey,
  PolicyVersionKey,
  NeedsAttentionKey,
  InvoiceNumberKey,
  CurrencyKey,
  CustomerNameKey,
  DisputedKey,
  PromisedDateKey,
  NextActionAtKey,
  OverdueKey,
] as const;

export const CUSTOMER_SEARCH_ATTRIBUTES = [CustomerIdKey, CurrencyKey, CreditHoldKey, DunningPausedKey, OverdueCentsKey] as const;

/** Every search attribute the engine's workflows set: registered on start-up. */
export const SEARCH_ATTRIBUTES = [...INVOICE_SEARCH_ATTRIBUTES, CreditHoldKey, DunningPausedKey, OverdueCentsKey] as const;

export const invoiceWorkflowId = (invoiceId: string) => `invoice-${invoiceId}`;
export const customerWorkflowId = (customerId: string) => `customer-${customerId}`;
