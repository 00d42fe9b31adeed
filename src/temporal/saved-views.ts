import { addDays, localDate, startOfLocalDay } from '../domain/schedule';

/** A list of workflows an ops engineer opens in the Temporal UI: a visibility query with a name. */
export interface SavedView {
  readonly id: string;
  readonly title: string;
  readonly query: string;
}

const OPEN_INVOICES = `WorkflowType = 'invoiceWorkflow' AND ExecutionStatus = 'Running'`;

/**
 * The views the README links to and the dashboard lists (with this week's dates), each answering a
 * question ops engineers ask. Every one runs against the dev server in the tests.
 */
export function savedViews(o: { nowMs: number; timeZone?: string; customerName?: string }): SavedView[] {
  const zone = o.timeZone ?? 'UTC';
  const today = localDate(o.nowMs, zone);
  // Monday to Monday on the given calendar.
  const weekday = new Date(`${today}T00:00:00Z`).getUTCDay() || 7;
  const monday = addDays(today, 1 - weekday);
  const weekStart = new Date(startOfLocalDay(monday, zone)).toISOString();
  const weekEnd = new Date(startOfLocalDay(addDays(monday, 7), zone)).toISOString();
  return [
    { id: 'overdue-30', title: 'Overdue more than 30 days', query: `${OPEN_INVOICES} AND Overdue IN ('31-60', '61-90', '90+')` },
    { id: 'disputed', title: 'Disputed', query: `${OPEN_INVOICES} AND Disputed = true` },
    {
      id: 'disputed-usd-over-1000',
      title: 'Disputed, in USD, over $1,000 due',
      query: `${OPEN_INVOICES} AND Disputed = true AND Currency = 'USD' AND AmountDueCents > 100000`,
    },
    {
      id: 'promised-this-week',
      title: 'Promised to pay this week',
      query: `${OPEN_INVOICES} AND PromisedDate >= '${weekStart}' AND PromisedDate < '${weekEnd}'`,
    },
    {
      id: 'needs-attention',
      title: 'Stuck or needing attention',
      // TemporalReportedProblems: set by the server after repeated workflow task failures (a non-determinism,
      // a crash in workflow code).
      query: `ExecutionStatus = 'Running' AND (NeedsAttention IS NOT NULL OR TemporalReportedProblems IS NOT NULL)`,
    },
    {
      id: 'by-customer',
      title: `Open invoices of ${o.customerName ?? 'a customer'}`,
      query: `${OPEN_INVOICES} AND CustomerName = '${(o.customerName ?? 'Globex Corp').replace(/'/g, "\\'")}'`,
    },
  ];
}

/** The Temporal UI's list of workflows matching `query`. */
export function savedViewUrl(uiUrl: string, namespace: string, query: string): string {
  // Parentheses and quotes encoded too: the URL stays one token in Markdown and in a terminal.
  const q = encodeURIComponent(query).replace(/[()']/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `${uiUrl}/namespaces/${encodeURIComponent(namespace)}/workflows?query=${q}`;
}
