import { nextActionOf, scheduleFor } from '../src/domain/dunning';
import { openFlags } from '../src/domain/commands';
import { amountDue, type InvoiceState } from '../src/domain/invoice';
import { customerWorkflowId } from '../src/temporal/search-attributes';
import type { InvoiceView } from './messages';

/**
 * What the `state` query (and every command's reply) shows of an invoice: amounts, stage, what
 * happens next, each step of its policy with its status, and this run's timeline. The workflow adds
 * what only it knows to `needsAttention` (a refused projection, parked).
 */
export function viewOf(state: InvoiceState): InvoiceView {
  const { input, ledger } = state;
  // Step indices refer to the current policy version: the books count only what happened since the last migration.
  const superseded = state.books.supersededBelow;
  const skipped = new Set(state.books.skippedSteps);
  return {
    invoiceId: input.invoiceId,
    number: input.number,
    customerId: input.customerId,
    customerAccount: customerWorkflowId(input.customerId),
    queuedReminders: state.queuedReminders ?? [],
    status: state.status,
    currency: input.currency,
    totalCents: ledger.totalCents,
    feesCents: ledger.feesCents,
    amountPaidCents: ledger.paidCents - ledger.refundedCents,
    writtenOffCents: ledger.writtenOffCents ?? 0,
    amountDueCents: amountDue(ledger),
    dueAt: input.dueAt,
    timeZone: input.timeZone,
    dunningStage: state.dunningStage,
    disputed: state.disputed,
    promisedDate: state.promise?.date ?? null,
    creditHold: state.creditHold,
    policy: { name: input.policy.name, version: input.policy.version },
    nextAction: nextActionOf(state, Date.now()),
    needsAttention: openFlags(state)
      .map((f) => f.kind)
      .filter((k, i, all) => all.indexOf(k) === i),
    steps: scheduleFor(state, Date.now()).map((step) => ({
      ...step,
      status:
        step.index >= state.nextStepIndex
          ? 'pending'
          : step.index < superseded
            ? 'superseded'
            : skipped.has(step.index)
              ? 'skipped'
              : 'done',
    })),
    timeline: state.events,
  };
}
