import type { ImportCatchUp, InvoiceStatus } from '../domain/invoice';
import type { Sql } from './client';

export interface InvoiceRow {
  id: string;
  number: string;
  customerId: string;
  currency: string;
  totalCents: number;
  feesCents: number;
  paidCents: number;
  refundedCents: number;
  writtenOffCents: number;
  amountDueCents: number;
  status: InvoiceStatus;
  dunningStage: string;
  disputed: boolean;
  promisedDate: string | null;
  issueDate: string;
  dueAt: Date;
  policyName: string;
  policyVersion: number;
  workflowId: string;
  workflowStarted: boolean;
  idempotencyKey: string | null;
  requestHash: string | null;
  /** Set on invoices issued by a recurring plan, with the billing period (`2026-12`, `2026-W49`). */
  recurringPlanId: string | null;
  billingPeriod: string | null;
  /** Set on invoices imported from an ERP. */
  externalId: string | null;
  externalNumber: string | null;
  paidBeforeImportCents: number | null;
  /** How its schedule reads day offsets, once its workflow said (see `ScheduleRules`). */
  scheduleRules: 'instant' | 'calendar' | null;
  /** An import's choice for an invoice past every step (see `InvoiceWorkflowInput.imported`). */
  importCatchUp: ImportCatchUp | null;
  /** As its workflow last projected them (null before the 'parked-invoices' release wrote them). */
  nextStepIndex: number | null;
  pausedMs: number | null;
  promiseDeadline: Date | null;
  /** Since when it has been open with nothing more to do on its own; null when it is not parked. */
  parkedAt: Date | null;
  /** Sequence number of the last workflow event projected (0: its workflow has written nothing yet). */
  lastEventSeq: number;
  createdAt: Date;
}

export interface InvoiceLineRow {
  position: number;
  description: string;
  quantity: number;
  unitAmountCents: number;
  amountCents: number;
}

const COLUMNS = (sql: Sql) => sql`id, number, customer_id AS "customerId", currency, total_cents AS "totalCents", fees_cents AS "feesCents",
  paid_cents AS "paidCents", refunded_cents AS "refundedCents", written_off_cents AS "writtenOffCents", amount_due_cents AS "amountDueCents", status,
  dunning_stage AS "dunningStage", disputed, promised_date AS "promisedDate", issue_date AS "issueDate", due_at AS "dueAt",
  policy_name AS "policyName", policy_version AS "policyVersion", workflow_id AS "workflowId",
  workflow_started AS "workflowStarted", idempotency_key AS "idempotencyKey", request_hash AS "requestHash",
  recurring_plan_id AS "recurringPlanId", billing_period AS "billingPeriod", external_id AS "externalId",
  external_number AS "externalNumber", paid_before_import_cents AS "paidBeforeImportCents", schedule_rules AS "scheduleRules",
  import_catch_up AS "importCatchUp", next_step_index AS "nextStepIndex", paused_ms::float8 AS "pausedMs", promise_deadline AS "promiseDeadline",
  parked_at AS "parkedAt", last_event_seq AS "lastEventSeq", created_at AS "createdAt"`;

export interface NewInvoice {
  id: string;
  customerId: string;
  currency: string;
  totalCents: number;
  issueDate: string;
  dueAt: string;
  policyName: string;
  policyVersion: number;
  workflowId: string;
  idempotencyKey: string | null;
  requestHash: string;
  recurring?: { planId: string; billingPeriod: string };
  imported?: { externalId: string; externalNumber: string | null; paidBeforeCents: number; catchUp?: ImportCatchUp };
  lines: readonly Omit<InvoiceLineRow, 'position'>[];
}

/**
 * Inserts the invoice, its lines and an audit row in one transaction, numbering it from the
 * sequence. Returns `null` when the idempotency key is already taken (the caller loads that one).
 */
export async function insertInvoice(sql: Sql, inv: NewInvoice, actor: string): Promise<InvoiceRow | null> {
  return sql.begin(async (tx) => {
    const [row] = await tx<InvoiceRow[]>`
      INSERT INTO invoices (id, number, customer_id, currency, total_cents, amount_due_cents, issue_date, due_at,
                            policy_name, policy_version, workflow_id, idempotency_key, request_hash,
                            recurring_plan_id, billing_period, external_id, external_number, paid_before_import_cents, import_catch_up)
      VALUES (${inv.id}, 'INV-' || lpad(nextval('invoice_number_seq')::text, 6, '0'), ${inv.customerId}, ${inv.currency},
              ${inv.totalCents}, ${inv.totalCents}, ${inv.issueDate}, ${inv.dueAt}, ${inv.policyName}, ${inv.policyVersion},
              ${inv.workflowId}, ${inv.idempotencyKey}, ${inv.requestHash},
              ${inv.recurring?.planId ?? null}, ${inv.recurring?.billingPeriod ?? null},
              ${inv.imported?.externalId ?? null}, ${inv.imported?.externalNumber ?? null}, ${inv.imported?.paidBeforeCents ?? null}, ${inv.imported?.catchUp ?? null})
      ON CONFLICT DO NOTHING
      RETURNING ${COLUMNS(tx as unknown as Sql)}`;
    if (!row) return null;
    const lines = inv.lines.map((l, i) => ({
      invoice_id: inv.id,
      position: i + 1,
      description: l.description,
      quantity: l.quantity,
      unit_amount_cents: l.unitAmountCents,
      amount_cents: l.amountCents,
    }));
    await tx`INSERT INTO invoice_lines ${tx(lines)}`;
    await tx`INSERT INTO audit_log (entity_type, entity_id, seq, action, actor, data)
             VALUES ('invoice', ${inv.id}, 0, 'invoice.created', ${actor},
                     ${tx.json({ number: row.number, totalCents: inv.totalCents, currency: inv.currency, dueAt: inv.dueAt, policy: `${inv.policyName}@${inv.policyVersion}` })})`;
    return row;
  });
}

export async function findInvoice(sql: Sql, id: string): Promise<InvoiceRow | undefined> {
  const [row] = await sql<InvoiceRow[]>`SELECT ${COLUMNS(sql)} FROM invoices WHERE id = ${id}`;
  return row;
}

export async function findInvoiceByIdempotencyKey(sql: Sql, key: string): Promise<InvoiceRow | undefined> {
  const [row] = await sql<InvoiceRow[]>`SELECT ${COLUMNS(sql)} FROM invoices WHERE idempotency_key = ${key}`;
  return row;
}

export async function listInvoices(
  sql: Sql,
  filter: {
    status?: InvoiceStatus;
    customerId?: string;
    recurringPlanId?: string;
    limit: number;
    /** `created` (newest first, the default) or `issued` (latest issue date first, as a customer reads them). */
    order?: 'created' | 'issued';
  },
): Promise<InvoiceRow[]> {
  return sql<InvoiceRow[]>`
    SELECT ${COLUMNS(sql)} FROM invoices
    WHERE ${filter.status ? sql`status = ${filter.status}` : sql`true`}
      AND ${filter.customerId ? sql`customer_id = ${filter.customerId}` : sql`true`}
      AND ${filter.recurringPlanId ? sql`recurring_plan_id = ${filter.recurringPlanId}` : sql`true`}
    ORDER BY ${filter.order === 'issued' ? sql`issue_date DESC` : sql`created_at DESC`}, number DESC
    LIMIT ${filter.limit}`;
}

export async function findInvoiceLines(sql: Sql, invoiceId: string): Promise<InvoiceLineRow[]> {
  return sql<InvoiceLineRow[]>`
    SELECT position, description, quantity, unit_amount_cents AS "unitAmountCents", amount_cents AS "amountCents"
    FROM invoice_lines WHERE invoice_id = ${invoiceId} ORDER BY position`;
}

export async function markWorkflowStarted(sql: Sql, invoiceId: string): Promise<void> {
  await sql`UPDATE invoices SET workflow_started = true WHERE id = ${invoiceId} AND NOT workflow_started`;
}

/** Invoices whose workflow start was not confirmed (e.g. Temporal was down when they were created). */
export async function findUnstartedInvoiceIds(sql: Sql, olderThan: Date): Promise<string[]> {
  const rows = await sql<{ id: string }[]>`
    SELECT id FROM invoices WHERE NOT workflow_started AND created_at < ${olderThan} ORDER BY created_at LIMIT 500`;
  return rows.map((r) => r.id);
}

export async function findInvoiceByExternalId(sql: Sql, externalId: string): Promise<InvoiceRow | undefined> {
  const [row] = await sql<InvoiceRow[]>`SELECT ${COLUMNS(sql)} FROM invoices WHERE external_id = ${externalId}`;
  return row;
}
