import { severityOf } from './customer';
import { parseDuration } from './duration';
import type { SendWindow, StepTemplate } from './policy';
import { nextOpening } from './schedule';

/**
 * Reminders per customer: an invoice's step hands its reminder to the customer's account, which sends
 * the reminders that fall due close together as one email, at most one per minimum gap. Pure rules,
 * run by the customer account workflow and shown by its query.
 */

/** One invoice's reminder, waiting in its customer's account to go out. */
export interface ReminderItem {
  /** The invoice step's own key (`invoice-<id>/step-<n>`): one item per step, however often it is handed over. */
  readonly key: string;
  readonly invoiceId: string;
  readonly invoiceNumber: string;
  readonly template: StepTemplate;
  readonly stepIndex: number;
  /** When the step fell due. */
  readonly dueAt: string;
  /** Final and legal notices go out on their own, on time, with their document. */
  readonly sendAlone: boolean;
  readonly attachPdf: boolean;
  /** The invoice policy's business hours, in `timeZone` (the invoice's pinned zone). */
  readonly window: SendWindow | null;
  readonly timeZone: string;
}

/** How a customer's reminders are grouped and capped. */
export interface ReminderSettings {
  /** Reminders falling due within this long of the first one waiting go out together. */
  readonly groupingWindowMs: number;
  /** At least this long between two reminder emails to the customer. */
  readonly minGapMs: number;
}

export const DEFAULT_GROUPING_WINDOW = '1h';
export const DEFAULT_MIN_GAP = '2d';

/** The customer's settings, each falling back to the engine's default. */
export function reminderSettings(o: { groupingWindow: string | null; minGap: string | null }): ReminderSettings {
  return {
    groupingWindowMs: parseDuration(o.groupingWindow ?? DEFAULT_GROUPING_WINDOW),
    minGapMs: parseDuration(o.minGap ?? DEFAULT_MIN_GAP),
  };
}

/** What goes out next, and when. */
export type NextSend =
  | { readonly kind: 'alone'; readonly at: number; readonly item: ReminderItem }
  | { readonly kind: 'batch'; readonly at: number; readonly items: readonly ReminderItem[] };

/**
 * The next email of an account with `pending` reminders. A `sendAlone` item goes first, at its due
 * instant, outside grouping and gaps. Otherwise the batch closes a grouping window after the first
 * item waiting fell due, no sooner than the minimum gap after the last email, and waits for the next
 * opening of that item's business hours; it takes every item waiting by then.
 */
export function nextSend(pending: readonly ReminderItem[], lastSentAt: string | null, settings: ReminderSettings): NextSend | null {
  const alone = pending.find((i) => i.sendAlone);
  if (alone) return { kind: 'alone', at: Date.parse(alone.dueAt), item: alone };
  if (pending.length === 0) return null;
  const first = pending.reduce((a, b) => (Date.parse(b.dueAt) < Date.parse(a.dueAt) ? b : a));
  const close = Date.parse(first.dueAt) + settings.groupingWindowMs;
  const gapEnd = lastSentAt ? Date.parse(lastSentAt) + settings.minGapMs : -Infinity;
  const earliest = Math.max(close, gapEnd);
  const at = first.window ? nextOpening(earliest, first.window, first.timeZone) : earliest;
  return { kind: 'batch', at, items: pending };
}

/** What a reminder needs to know of its invoice when it goes out. */
export interface ReminderInvoiceFacts {
  readonly status: string;
  readonly amountDueCents: number;
  readonly disputed: boolean;
  readonly promisedDate: string | null;
  readonly promiseDeadline: Date | null;
}

/**
 * Why an invoice no longer wants a reminder (it was paid, voided, disputed, promised), or null while it
 * does. A notice that goes alone still goes to a handed-off invoice: it is what tells the customer.
 */
export function reminderNotWanted(
  invoice: ReminderInvoiceFacts | undefined,
  item: Pick<ReminderItem, 'sendAlone'>,
  nowMs: number,
): string | null {
  if (!invoice) return 'the invoice does not exist';
  if (invoice.status !== 'open' && !(invoice.status === 'uncollectible' && item.sendAlone)) return `the invoice is ${invoice.status}`;
  if (invoice.amountDueCents <= 0) return 'nothing is owed';
  if (invoice.disputed) return 'the invoice is disputed';
  if (invoice.promiseDeadline && invoice.promiseDeadline.getTime() > nowMs) return `payment is promised by ${invoice.promisedDate}`;
  return null;
}

/** The template whose tone a grouped email takes: its most severe item's. */
export function mostSevere(items: readonly Pick<ReminderItem, 'template'>[]): StepTemplate {
  return items.map((i) => i.template).reduce((a, b) => (severityOf(b) > severityOf(a) ? b : a));
}

/** Whether a step's reminder goes out on its own: as its policy says, else when it is a final notice or a hand-off. */
export function sendsAlone(
  policy: { readonly steps: readonly { readonly sendAlone?: boolean }[] },
  step: { readonly index: number; readonly finalNotice: boolean; readonly handOff: boolean },
): boolean {
  return policy.steps[step.index]?.sendAlone ?? (step.finalNotice || step.handOff);
}
