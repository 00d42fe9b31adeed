import type { Sql } from '../db/client';
import { findInvoiceStandings } from '../db/invoice-standing';
import type { InvoiceRow } from '../db/invoices';
import { findPolicyVersion } from '../db/policies';
import { nextActionOf, type NextAction, type ScheduleFacts } from '../domain/dunning';
import type { PolicyVersion } from '../domain/policy';

/** What happens next to an invoice and what waits for a human, as its projection in Postgres says. */
export interface InvoiceOutlook {
  readonly nextAction: NextAction | null;
  readonly needsAttention: string[];
}

/**
 * Answers "what happens next" for invoice rows from Postgres and the one schedule function, so
 * reading an invoice needs no workflow query (a query replays the workflow when the worker's cache
 * does not hold it: seconds on a busy worker). The answer is the projection's: it trails the workflow
 * by the events not yet written, a moment in normal operation.
 *
 * `undefined` for an open invoice whose projection predates the schedule columns (written since the
 * 'parked-invoices' release): only its workflow can answer. An invoice whose workflow has written
 * nothing yet has no next action until it is issued (asking a workflow that has not run its first
 * task would wait for the worker).
 */
export function createInvoiceDescriber(deps: { sql: Sql; now: () => Date }) {
  // Policy versions never change once saved: each is read once per process.
  const policies = new Map<string, PolicyVersion>();
  const policy = async (name: string, version: number): Promise<PolicyVersion | undefined> => {
    const key = `${name}@${version}`;
    const known = policies.get(key);
    if (known) return known;
    const found = await findPolicyVersion(deps.sql, name, version);
    if (found) policies.set(key, found);
    return found;
  };

  return async function describe(rows: readonly InvoiceRow[]): Promise<Map<string, InvoiceOutlook | undefined>> {
    const standings = await findInvoiceStandings(
      deps.sql,
      rows.map((r) => r.id),
    );
    const nowMs = deps.now().getTime();
    const out = new Map<string, InvoiceOutlook | undefined>();
    // Invoices due the same day on the same policy share a schedule: each distinct one is worked out once.
    const actions = new Map<string, NextAction | null>();
    for (const row of rows) {
      const standing = standings.get(row.id);
      if (!standing) continue;
      if (row.status !== 'open' || row.lastEventSeq === 0) {
        out.set(row.id, { nextAction: null, needsAttention: standing.needsAttention });
        continue;
      }
      const pinned = row.nextStepIndex === null || row.pausedMs === null ? undefined : await policy(row.policyName, row.policyVersion);
      if (!pinned) {
        out.set(row.id, undefined);
        continue;
      }
      const facts: ScheduleFacts = {
        input: {
          policy: pinned,
          dueAt: row.dueAt.toISOString(),
          timeZone: standing.timeZone,
          ...(row.scheduleRules ? { scheduleRules: row.scheduleRules } : {}),
        },
        status: row.status,
        disputed: row.disputed,
        ...(row.promiseDeadline ? { promise: { deadline: row.promiseDeadline.toISOString() } } : {}),
        nextStepIndex: row.nextStepIndex!,
        pausedMs: row.pausedMs!,
      };
      const key = JSON.stringify({ ...facts, input: { ...facts.input, policy: `${pinned.name}@${pinned.version}` } });
      if (!actions.has(key)) actions.set(key, nextActionOf(facts, nowMs));
      out.set(row.id, { nextAction: actions.get(key)!, needsAttention: standing.needsAttention });
    }
    return out;
  };
}

export type InvoiceDescriber = ReturnType<typeof createInvoiceDescriber>;
