import { ActivityFailure, ApplicationFailure, condition, proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { InvoiceEvent, InvoiceState } from '../src/domain/invoice';
import type { ProjectionFailure } from './messages';

/** How long a projection Postgres refused waits before it is tried again on its own (a retry signal is sooner). */
const POISON_RETRY = '1 hour';
/** Most events one projection activity carries (since 'continue-as-new'); a longer backlog takes several. */
const MAX_PROJECTION_BATCH = 500;

const { recordInvoiceEvents } = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
});

/**
 * The projection as a local activity: a short idempotent write that needs no task queue round trip,
 * so a payment costs the server one workflow task instead of two plus an activity task.
 */
const projectLocally = proxyLocalActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
}).recordInvoiceEvents;

/** The patches that shaped how an invoice's events reach Postgres (see `invoiceWorkflow`). */
export interface ProjectionRules {
  /** 'local-projection': signals' and timers' events by local activity. */
  readonly local: boolean;
  /** 'money-integrity': a command's events by regular activity; a refused projection surfaced, not retried forever. */
  readonly guarded: boolean;
  /** 'continue-as-new': every event by regular activity, in batches of at most 500. */
  readonly continues: boolean;
}

type Snapshot = Parameters<Activities['recordInvoiceEvents']>[0]['snapshot'];

/**
 * Writes an invoice's events to Postgres beside the ladder, so a slow email never delays a command's
 * reply: whatever the state holds beyond `persistedSeq`, in order, by the activity its patches say.
 * A ladder action's events wait for its end (one write for the step and its email) unless a command
 * needs them; a command waits for its own (`persisted`) to read its own writes.
 */
export class InvoiceProjection {
  /** Sequence number of the last event Postgres holds. */
  persistedSeq: number;
  /** Set while Postgres refuses this invoice's events (a poison event): the invoice needs a human. */
  failure: ProjectionFailure | null = null;
  /** Set while a ladder action runs ('batched-projection'). */
  acting = false;
  /** Set once the run continues as new: only a command waiting for its events is still projected. */
  closing = false;
  /** Set while a projection activity is under way. */
  projecting = false;
  private finished = false;
  private flushWanted = 0;
  private retryWanted = false;
  private running: Promise<void> = Promise.resolve();

  constructor(
    private readonly o: {
      readonly state: () => InvoiceState;
      readonly rules: ProjectionRules;
      /** The invoice row's fields the projection writes beside the events. */
      readonly snapshot: () => Snapshot;
      /** The failure appeared or cleared (NeedsAttention follows it). */
      readonly onFailureChanged: () => void;
    },
    persistedSeq: number,
  ) {
    this.persistedSeq = persistedSeq;
  }

  /** Events of this run Postgres does not hold yet. */
  unwritten(): InvoiceEvent[] {
    return this.o.state().events.filter((e) => e.seq > this.persistedSeq);
  }

  /**
   * Resolves once everything up to `seq` is in Postgres, so callers read their own writes. When
   * Postgres refuses the projection, the caller is answered at once (the events are kept and projected
   * once the cause is fixed) instead of waiting forever.
   */
  persisted(seq: number): Promise<void> {
    this.flushWanted = Math.max(this.flushWanted, seq);
    if (!this.o.rules.guarded) return condition(() => this.persistedSeq >= seq);
    return condition(() => this.persistedSeq >= seq || this.failure !== null).then(() => {
      if (this.persistedSeq < seq) throw ledgerWritePending();
    });
  }

  /** While Postgres refuses this invoice's events, commands are refused too: nothing more diverges. */
  assertProjecting(): void {
    if (this.o.rules.guarded && this.failure) throw ledgerWritePending();
  }

  /** Tries a refused projection again now (after its cause is fixed) instead of at the hourly retry. */
  retry(): void {
    this.retryWanted = true;
  }

  /** Starts the loop; it runs until `finish()` and everything is written. */
  start(): void {
    this.running = this.loop();
  }

  /** Writes what is left, then stops. */
  finish(): Promise<void> {
    this.finished = true;
    return this.running;
  }

  private async loop(): Promise<void> {
    const { rules } = this.o;
    for (;;) {
      await condition(
        () =>
          (this.o.state().books.lastSeq > this.persistedSeq &&
            (!this.acting || this.flushWanted > this.persistedSeq || this.failure !== null) &&
            (!this.closing || this.flushWanted > this.persistedSeq)) ||
          this.finished,
      );
      if (this.o.state().books.lastSeq <= this.persistedSeq) return;
      // Since 'continue-as-new', in batches that keep an activity's input (and its history event) small.
      const pending = rules.continues ? this.unwritten().slice(0, MAX_PROJECTION_BATCH) : this.unwritten();
      const target = pending[pending.length - 1]!.seq;
      // Events a command emitted are tentative until the workflow task that accepted the command is in
      // history: under a burst of updates that task can still be lost (a speculative task dropped, a
      // completion refused), and the next attempt may number other events the same. A local activity
      // would write them to Postgres within that task; a regular activity is scheduled with it, so it
      // only ever writes what history holds. Events of signals and timers are in history already.
      // Since 'continue-as-new' every event is: a local activity's write outlives a workflow task that
      // the server then fails (a storm of signals during a long task force-closes it), and a later
      // attempt may number events otherwise. Only what a completed task scheduled reaches Postgres.
      const tentative = rules.guarded && this.flushWanted > this.persistedSeq;
      const write = tentative || rules.continues || !rules.local ? recordInvoiceEvents : projectLocally;
      const state = this.o.state();
      this.projecting = true;
      try {
        await write({
          invoiceId: state.input.invoiceId,
          customerId: state.input.customerId,
          events: pending,
          snapshot: this.o.snapshot(),
          ...(this.failure ? { afterFailure: true } : {}),
          ...(rules.guarded ? { surfaceRefusal: true } : {}),
        });
      } catch (err) {
        if (!rules.guarded || !isPoison(err)) throw err;
        // Postgres refused these events (the activity recorded why): say so, then wait for a fix.
        const failure = err instanceof ActivityFailure ? err.cause : err;
        this.failure = { seq: pending[0]!.seq, error: (failure as Error).message, at: new Date().toISOString() };
        this.o.onFailureChanged();
        this.projecting = false; // while it waits for a fix, the run may still continue as new
        this.retryWanted = false;
        await condition(() => this.retryWanted, POISON_RETRY);
        continue;
      } finally {
        this.projecting = false;
      }
      this.persistedSeq = target;
      if (this.failure) {
        this.failure = null;
        this.o.onFailureChanged();
      }
    }
  }
}

/** The projection refused for good; a local activity's failure arrives unwrapped, a remote one as its cause. */
function isPoison(err: unknown): boolean {
  const failure = err instanceof ActivityFailure ? err.cause : err;
  return failure instanceof ApplicationFailure && failure.type === 'PROJECTION_REJECTED';
}

function ledgerWritePending(): ApplicationFailure {
  return ApplicationFailure.create({
    type: 'LEDGER_WRITE_PENDING',
    nonRetryable: true,
    message:
      "Postgres refused to record this invoice's events; it is flagged for ops (NeedsAttention = projection_failed) and catches up once the cause is fixed",
  });
}
