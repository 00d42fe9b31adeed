import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Sql } from '../db/client';
import { countInvoices, findBalanceProblems, findUnappliedCashProblems, listStoredLedgers, type StoredLedger } from '../db/ledger-check';
import { identityProblems, ledgerDifferences, type LedgerProblem } from '../domain/ledger';
import { invoiceLedgerQuery, type InvoiceLedgerView } from '../../workflows/messages';

export interface LedgerDifference extends LedgerProblem {
  readonly invoiceId: string;
  readonly number: string;
}

export interface LedgerCheckPage {
  /** Invoices looked at on this page. */
  readonly checked: number;
  /** Of those, how many were compared with their workflow (the others have none, or none is asked). */
  readonly compared: number;
  readonly differences: readonly LedgerDifference[];
  /** Invoices whose workflow could not be compared, and why (e.g. its history is past retention). */
  readonly skipped: readonly { invoiceId: string; number: string; reason: string }[];
  /** Pass as `after` for the next page; null on the last. */
  readonly nextCursor: string | null;
}

export interface LedgerCheckDeps {
  readonly sql: Sql;
  /** Without a client only Postgres is checked against the identity. */
  readonly client?: Client | null;
  /** How long an invoice whose workflow is ahead of Postgres may take to catch up before it is reported. @default 5000 */
  readonly settleMs?: number;
  /** Workflow queries in flight at once. @default 8 */
  readonly concurrency?: number;
}

/**
 * The ledger invariant check, one page at a time: for every invoice, Postgres against the identity
 * `total + fees − payments + refunds − credit = due` (and the refund rules), and, with a Temporal
 * client, what its workflow believes (status, fees, every payment, refund and fee it applied)
 * against what Postgres holds.
 */
export async function checkLedgerPage(
  deps: LedgerCheckDeps,
  o: { after?: string; limit?: number; invoiceIds?: readonly string[] } = {},
): Promise<LedgerCheckPage> {
  const limit = o.limit ?? 200;
  const stored = await listStoredLedgers(deps.sql, {
    limit,
    ...(o.after ? { after: o.after } : {}),
    ...(o.invoiceIds ? { invoiceIds: o.invoiceIds } : {}),
  });
  const differences: LedgerDifference[] = [];
  const skipped: { invoiceId: string; number: string; reason: string }[] = [];
  let compared = 0;
  let next = 0;
  await Promise.all(
    Array.from({ length: deps.concurrency ?? 8 }, async () => {
      while (next < stored.length) {
        const row = stored[next++]!;
        const outcome = await checkOne(deps, row);
        if (outcome.compared) compared++;
        if (outcome.skipped) skipped.push({ invoiceId: row.invoiceId, number: row.number, reason: outcome.skipped });
        differences.push(...outcome.problems.map((p) => ({ ...p, invoiceId: row.invoiceId, number: row.number })));
      }
    }),
  );
  // Book-wide: unapplied cash counted once (checked with the first page).
  if (!o.after && !o.invoiceIds) {
    for (const p of await findUnappliedCashProblems(deps.sql)) {
      differences.push({
        check: 'identity',
        field: `unapplied.${p.source}:${p.id}`,
        message: p.message,
        invoiceId: p.invoiceId ?? '',
        number: `${p.source}:${p.id}`,
      });
    }
    for (const p of await findBalanceProblems(deps.sql)) {
      differences.push({ check: 'identity', field: p.ref, message: p.message, invoiceId: p.invoiceId ?? '', number: p.ref });
    }
  }
  differences.sort((a, b) => a.number.localeCompare(b.number) || a.field.localeCompare(b.field));
  return {
    checked: stored.length,
    compared,
    differences,
    skipped,
    nextCursor: !o.invoiceIds && stored.length === limit ? stored[stored.length - 1]!.invoiceId : null,
  };
}

/** Every page: the whole book. */
export async function checkLedger(
  deps: LedgerCheckDeps,
  o: { invoiceIds?: readonly string[]; onPage?: (done: number, total: number) => void } = {},
) {
  const total = o.invoiceIds ? o.invoiceIds.length : await countInvoices(deps.sql);
  let after: string | undefined;
  let checked = 0;
  let compared = 0;
  const differences: LedgerDifference[] = [];
  const skipped: LedgerCheckPage['skipped'][number][] = [];
  do {
    const page = await checkLedgerPage(deps, { ...(after ? { after } : {}), ...(o.invoiceIds ? { invoiceIds: o.invoiceIds } : {}) });
    checked += page.checked;
    compared += page.compared;
    differences.push(...page.differences);
    skipped.push(...page.skipped);
    o.onPage?.(checked, total);
    after = page.nextCursor ?? undefined;
  } while (after);
  return { checked, compared, differences, skipped };
}

async function checkOne(
  deps: LedgerCheckDeps,
  row: StoredLedger,
): Promise<{ problems: LedgerProblem[]; compared: boolean; skipped?: string }> {
  const problems: LedgerProblem[] = row.duplicates.map((d) => ({ check: 'identity', field: d, message: `ledger: ${d} is stored twice` }));
  problems.push(...identityProblems(row.facts, 'ledger'));
  if (!deps.client || !row.workflowStarted) return { problems, compared: false };

  const deadline = Date.now() + (deps.settleMs ?? 5_000);
  let current = row;
  for (;;) {
    let view: InvoiceLedgerView;
    try {
      view = await deps.client.workflow.getHandle(current.workflowId).query(invoiceLedgerQuery);
    } catch (err) {
      if (err instanceof WorkflowNotFoundError && current.facts.status !== 'open')
        return { problems, compared: false, skipped: 'workflow history no longer retained' };
      return {
        problems: [...problems, { check: 'workflow', field: 'workflow', message: `could not ask the workflow: ${(err as Error).message}` }],
        compared: false,
      };
    }
    const behind = view.facts.lastSeq > current.facts.lastSeq && !view.projectionFailure;
    if (behind && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      current = (await listStoredLedgers(deps.sql, { limit: 1, invoiceIds: [row.invoiceId] }))[0] ?? current;
      continue;
    }
    const found = [...identityProblems(view.facts, 'workflow'), ...ledgerDifferences(view.facts, current.facts)];
    if (view.projectionFailure) {
      found.push({
        check: 'projection',
        field: 'projection',
        message: `the projection refused event ${view.projectionFailure.seq}: ${view.projectionFailure.error}`,
      });
    }
    const identity =
      current === row
        ? problems
        : [
            ...current.duplicates.map((d) => ({ check: 'identity' as const, field: d, message: `ledger: ${d} is stored twice` })),
            ...identityProblems(current.facts, 'ledger'),
          ];
    return { problems: [...identity, ...found], compared: true };
  }
}
