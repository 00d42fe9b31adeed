import { DateTime } from 'luxon';
import type { AgingBucket } from '../src/domain/aging';
import type { NextAction } from '../src/domain/dunning';
import { amountDue, type InvoiceState } from '../src/domain/invoice';
import { keyedEntries } from '../src/domain/keyed';
import { formatMoney } from '../src/domain/money';
import { STEP_TEMPLATE_NAMES, type StepTemplate } from '../src/domain/policy';
import { zoneOf } from '../src/domain/zones';
import type { CustomerAccountView } from './messages';

/** What an ops engineer reads first about an invoice: its state now, besides what the workflow needs. */
export interface InvoiceDetailsFacts {
  readonly state: InvoiceState;
  readonly next: NextAction | null;
  readonly aging: { readonly daysPastDue: number; readonly bucket: AgingBucket };
  readonly needsAttention: readonly string[];
  readonly nowMs: number;
}

const NEEDS_ATTENTION_NAMES: Readonly<Record<string, string>> = {
  projection_failed: 'Postgres refused an event (see the ledger query); the invoice waits for a fix',
  payment_flagged: 'a payment was not applied and waits for a human',
  refund_flagged: 'a refund was not applied and waits for a human',
  parked: 'past the last step of its policy with money owed: nothing more happens on its own',
};

/**
 * The workflow's current details (Markdown, shown in the Temporal UI beside the static summary):
 * the amount due now, the stage, the next action and when on the customer's clock, a dispute or a
 * promise, the last payment, what needs a human and a link to the invoice's page.
 */
export function invoiceDetails(f: InvoiceDetailsFacts): string {
  const { state } = f;
  const { input, ledger } = state;
  const money = (cents: number) => formatMoney(cents, input.currency);
  const due = amountDue(ledger);
  const lines: string[] = [];
  const billed = ledger.totalCents + ledger.feesCents;
  const writtenOff = ledger.writtenOffCents ?? 0;
  const of = [
    ...(ledger.feesCents > 0 ? [`fees ${money(ledger.feesCents)}`] : []),
    ...(writtenOff > 0 ? [`written off ${money(writtenOff)}`] : []),
  ];
  switch (state.status) {
    case 'open':
      lines.push(
        `**${money(due)} due** of ${money(billed)}${of.length > 0 ? ` (${of.join(', ')})` : ''} · ${agingInWords(f, input.dueAt, input.timeZone)}`,
      );
      break;
    case 'paid':
      lines.push(`**Paid** · ${money(billed)} settled${writtenOff > 0 ? ` (${money(writtenOff)} of it written off)` : ''}`);
      break;
    case 'void':
      lines.push(`**Void** · nothing is owed`);
      break;
    case 'uncollectible':
      lines.push(`**Handed off to collections** · ${money(due)} uncollectible`);
      break;
  }
  lines.push(
    `Stage: **${state.dunningStage === 'none' ? 'no reminder yet' : stepName(state.dunningStage)}** · policy ${input.policy.name}@${input.policy.version}`,
  );
  if (state.disputed)
    lines.push(`**Disputed**${state.disputedSince ? ` since ${when(state.disputedSince, input.timeZone)}` : ''}: reminders are paused`);
  if (state.promise) lines.push(`**Promised** to pay by ${state.promise.date}: reminders wait until then`);
  if (state.creditHold) lines.push('**Credit hold** on the customer');
  if (f.next) lines.push(`Next: ${nextActionInWords(f.next, input.timeZone)}`);
  const payment = lastPayment(state);
  if (payment)
    lines.push(
      `Last payment: ${money(payment.amountCents)} (\`${payment.id}\`)${payment.at ? ` on ${when(payment.at, input.timeZone)}` : ''}`,
    );
  for (const kind of f.needsAttention) lines.push(`⚠ **Needs attention**: ${NEEDS_ATTENTION_NAMES[kind] ?? kind}`);
  if (input.links?.invoice) lines.push(`[Open invoice ${input.number}](${input.links.invoice})`);
  return lines.join('\n\n');
}

/** A customer account workflow's current details: what waits, when it goes out, pauses and holds. */
export function accountDetails(view: CustomerAccountView, timeZone: string | null): string {
  const zone = timeZone ?? 'UTC';
  const lines: string[] = [];
  if (view.currency)
    lines.push(`**${formatMoney(view.overdueCents, view.currency)} overdue**${view.creditHold ? ' · **credit hold**' : ''}`);
  if (view.paused) {
    lines.push(
      `**Dunning paused** ${view.paused.until ? `until ${when(view.paused.until, zone)}` : 'until resumed'}: ${view.paused.reason} (${view.paused.actor})`,
    );
  }
  if (view.pending.length === 0) lines.push('No reminder waiting');
  else {
    const numbers = [...new Set(view.pending.map((p) => p.invoiceNumber))];
    lines.push(
      `${view.pending.length} reminder${view.pending.length === 1 ? '' : 's'} waiting, for ${numbers.slice(0, 10).join(', ')}${numbers.length > 10 ? ', …' : ''}`,
    );
  }
  if (view.nextContact) {
    lines.push(
      `Next email: ${view.nextContact.kind === 'alone' ? 'one notice on its own' : `one email for ${view.nextContact.items} reminders`} on ${when(view.nextContact.at, zone)}`,
    );
  }
  const last = view.recent[view.recent.length - 1];
  if (last)
    lines.push(
      `Last email: ${last.outcome.replace('_', ' ')} on ${when(last.at, zone)}${last.items.length > 0 ? ` (${last.items.map((i) => i.invoiceNumber).join(', ')})` : ''}`,
    );
  return lines.join('\n\n');
}

function agingInWords(f: InvoiceDetailsFacts, dueAt: string, timeZone: string): string {
  const { daysPastDue, bucket } = f.aging;
  if (daysPastDue > 0) return `**${daysPastDue} day${daysPastDue === 1 ? '' : 's'} overdue** (${bucket})`;
  const date = DateTime.fromISO(dueAt, { zone: zoneOf(timeZone) })
    .setLocale('en-GB')
    .toFormat('ccc d LLL yyyy');
  return daysPastDue === 0 ? `due today, ${date}` : `due ${date}, in ${-daysPastDue} day${daysPastDue === -1 ? '' : 's'}`;
}

/** What the invoice does next on its own, and when on the customer's clock, in words (the details, the dashboard). */
export function nextActionInWords(next: NextAction, timeZone: string): string {
  if (next.reason === 'disputed') return 'nothing until the dispute is resolved';
  if (next.at === null) return 'nothing on its own (the policy has no step left)';
  const step = next.step
    ? `${stepName(next.step.template)} (step ${next.step.index}${next.step.repetition ? `, repetition ${next.step.repetition}` : ''})`
    : null;
  if (next.reason === 'promise_deadline') return `the promise is checked on ${when(next.at, timeZone)}${step ? `; then ${step}` : ''}`;
  return `${step ?? 'a step'} on ${when(next.at, timeZone)}`;
}

function stepName(template: string): string {
  return STEP_TEMPLATE_NAMES[template as StepTemplate] ?? template;
}

/** An instant on the customer's clock, with the zone named (`Tue 15 Dec 2026, 09:00 Europe/Berlin`). */
function when(iso: string, timeZone: string): string {
  return `${DateTime.fromISO(iso, { zone: zoneOf(timeZone) })
    .setLocale('en-GB')
    .toFormat('ccc d LLL yyyy, HH:mm')} ${timeZone}`;
}

function lastPayment(state: InvoiceState): { id: string; amountCents: number; at: string | null } | null {
  for (let i = state.events.length - 1; i >= 0; i--) {
    const e = state.events[i]!;
    if (e.type === 'payment_received') return { id: e.paymentId, amountCents: e.amountCents, at: e.receivedAt || e.at };
  }
  // Continued as new: the books still name the payments (the events are in Postgres).
  const entries = keyedEntries(state.books.payments);
  const last = entries[entries.length - 1];
  return last ? { id: last[0], amountCents: last[1].amountCents, at: null } : null;
}
