/**
 * Dunning policy documents: the data finance leads edit. Types only plus tiny helpers, so this module
 * can enter the workflow bundle; the zod schema that validates documents lives in `policy-schema.ts`.
 */

/** Email templates a policy step may use; `invoice_issued` is sent on issue, not by steps. */
export const STEP_TEMPLATES = [
  'reminder_upcoming',
  'reminder_due_today',
  'reminder_overdue',
  'reminder_firm',
  'late_fee_notice',
  'final_notice',
  'handoff_notice',
] as const;
export type StepTemplate = (typeof STEP_TEMPLATES)[number];

/** Each step's email in words, for people reading a timeline (portal, Temporal UI). */
export const STEP_TEMPLATE_NAMES: Readonly<Record<StepTemplate, string>> = {
  reminder_upcoming: 'a reminder that payment is coming due',
  reminder_due_today: 'a reminder that payment is due today',
  reminder_overdue: 'an overdue reminder',
  reminder_firm: 'a firm reminder',
  late_fee_notice: 'a late-fee notice',
  final_notice: 'a final notice',
  handoff_notice: 'a referral to collections',
};
export type EmailTemplate = StepTemplate | 'invoice_issued';

export type LateFee = { readonly percent: number } | { readonly amountCents: number; readonly currency: string };

export interface PolicyStep {
  /** Offset from the due instant, e.g. `-3d`, `0d`, `14d`, `30s`. */
  readonly offset: string;
  readonly template: StepTemplate;
  readonly lateFee?: LateFee;
  readonly creditHold?: boolean;
  readonly finalNotice?: boolean;
  readonly handOff?: boolean;
  /**
   * Sent on its own, on time, with its document, instead of grouped with the customer's other
   * reminders. @default true for a final notice or a hand-off, else false
   */
  readonly sendAlone?: boolean;
}

export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/** Business hours in the customer's time zone; steps falling outside wait for the next opening. */
export interface SendWindow {
  readonly days: readonly Weekday[];
  /** `HH:MM`, inclusive. */
  readonly start: string;
  /** `HH:MM`, exclusive. */
  readonly end: string;
}

export interface PolicyDocument {
  readonly name: string;
  readonly description?: string;
  readonly steps: readonly PolicyStep[];
  readonly sendWindow?: SendWindow;
  /**
   * Endless reminders: after the last step, the same reminder again every this long (`7d`, `2w`), for
   * as long as the invoice stays open. Each repetition acts once; after an outage only the latest one
   * due does. Not for a policy whose last step hands off.
   */
  readonly repeatEvery?: string;
  /** The template repetitions send. @default the last step's template */
  readonly repeatTemplate?: StepTemplate;
}

/** A stored policy: the document plus its immutable version number. */
export interface PolicyVersion extends PolicyDocument {
  readonly version: number;
}

/** Basis points of a percent fee (1.5 % → 150). Documents are validated to two decimals. */
export function percentToBasisPoints(percent: number): number {
  return Math.round(percent * 100);
}

const STANDARD_STEPS: PolicyDocument['steps'] = [
  { offset: '-3d', template: 'reminder_upcoming' },
  { offset: '0d', template: 'reminder_due_today' },
  { offset: '7d', template: 'reminder_overdue' },
  { offset: '14d', template: 'late_fee_notice', lateFee: { percent: 1.5 } },
  { offset: '30d', template: 'final_notice', finalNotice: true, creditHold: true },
  { offset: '45d', template: 'handoff_notice', handOff: true },
];

/**
 * The seeded default policy (-3d reminder … 45d hand-off), sent in business hours in the customer's
 * zone (Monday to Friday, 09:00–17:00).
 */
export const STANDARD_POLICY: PolicyDocument = {
  name: 'standard',
  description: 'Friendly reminder before due, escalating to a late fee, final notice with credit hold, then hand-off; in business hours.',
  steps: STANDARD_STEPS,
  sendWindow: { days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '09:00', end: '17:00' },
};

/** Default policies seeded by earlier releases: an install still on one gets the current one as its next version. */
export const EARLIER_STANDARD_POLICIES: readonly PolicyDocument[] = [
  {
    name: 'standard',
    description: 'Friendly reminder before due, escalating to a late fee, final notice with credit hold, then hand-off.',
    steps: STANDARD_STEPS,
  },
];
