import type { Contact, CreditHoldSource, CreditLimit } from '../domain/customer';
import type { Sql } from './client';

export interface CustomerRow {
  id: string;
  name: string;
  /** The primary billing contact's address (the first billing contact). */
  email: string;
  timeZone: string;
  currency: string;
  paymentTermsDays: number;
  policyName: string | null;
  locale: string;
  creditHold: boolean;
  creditHoldSource: CreditHoldSource | null;
  creditHoldReason: string | null;
  creditHoldAt: Date | null;
  /** A hold placed by a policy step or the limit clears itself once nothing is overdue. */
  creditHoldAutoRelease: boolean;
  /** Durations such as `1h`, `2d`; null: the engine's defaults. */
  reminderGroupingWindow: string | null;
  reminderMinGap: string | null;
  /** The day of the month (1–28, the customer's calendar) a monthly statement goes out; null: on demand only. */
  statementDay: number | null;
  /** The customer's id in the ERP it was imported from. */
  externalId: string | null;
  createdAt: Date;
  updatedAt: Date;
}

/** What a customer is made of besides its row: its contacts (the primary first) and credit limits. */
export interface CustomerDetails {
  readonly contacts: readonly Contact[];
  readonly creditLimits: readonly CreditLimit[];
}

export const CUSTOMER_COLUMNS = (
  sql: Sql,
) => sql`id, name, email, time_zone AS "timeZone", currency, payment_terms_days AS "paymentTermsDays",
  policy_name AS "policyName", locale, credit_hold AS "creditHold", credit_hold_source AS "creditHoldSource",
  credit_hold_reason AS "creditHoldReason", credit_hold_at AS "creditHoldAt", credit_hold_auto_release AS "creditHoldAutoRelease",
  reminder_grouping_window AS "reminderGroupingWindow", reminder_min_gap AS "reminderMinGap",
  statement_day AS "statementDay", external_id AS "externalId", created_at AS "createdAt", updated_at AS "updatedAt"`;

export type NewCustomer = Pick<CustomerRow, 'id' | 'name' | 'timeZone' | 'currency' | 'paymentTermsDays' | 'policyName'> &
  Partial<Pick<CustomerRow, 'locale' | 'creditHoldAutoRelease' | 'reminderGroupingWindow' | 'reminderMinGap'>> & {
    /** The primary billing contact. */
    email: string;
    externalId?: string;
    /** Further contacts, after the primary one. */
    contacts?: readonly Contact[];
    creditLimits?: readonly CreditLimit[];
  };

/** Inserts the customer, its contacts and limits and its audit row in one transaction; null when the external id is taken. */
export async function insertCustomer(sql: Sql, c: NewCustomer, actor: string): Promise<CustomerRow | null> {
  return sql.begin(async (tx) => {
    const [row] = await tx<CustomerRow[]>`
      INSERT INTO customers (id, name, email, time_zone, currency, payment_terms_days, policy_name, external_id, locale,
                             credit_hold_auto_release, reminder_grouping_window, reminder_min_gap)
      VALUES (${c.id}, ${c.name}, ${c.email}, ${c.timeZone}, ${c.currency}, ${c.paymentTermsDays}, ${c.policyName}, ${c.externalId ?? null},
              ${c.locale ?? 'en'}, ${c.creditHoldAutoRelease ?? true}, ${c.reminderGroupingWindow ?? null}, ${c.reminderMinGap ?? null})
      ON CONFLICT (external_id) DO NOTHING
      RETURNING ${CUSTOMER_COLUMNS(tx as unknown as Sql)}`;
    if (!row) return null;
    const contacts: Contact[] = [{ email: c.email, name: null, role: 'billing', escalateFrom: null }, ...(c.contacts ?? [])];
    await writeDetails(tx as unknown as Sql, c.id, { contacts, creditLimits: c.creditLimits ?? [] });
    await tx`INSERT INTO audit_log (entity_type, entity_id, action, actor, data)
             VALUES ('customer', ${c.id}, 'customer.created', ${actor},
                     ${tx.json({ name: c.name, currency: c.currency, policy: c.policyName, externalId: c.externalId ?? null, contacts: contacts.length } as never)})`;
    return row;
  });
}

/** Replaces a customer's contacts and credit limits (inside the caller's transaction). */
export async function writeDetails(tx: Sql, customerId: string, d: Partial<CustomerDetails>): Promise<void> {
  if (d.contacts) {
    await tx`DELETE FROM customer_contacts WHERE customer_id = ${customerId}`;
    const rows = d.contacts.map((c, position) => ({
      customer_id: customerId,
      position,
      email: c.email,
      name: c.name,
      role: c.role,
      escalate_from: c.escalateFrom,
    }));
    if (rows.length > 0) await tx`INSERT INTO customer_contacts ${tx(rows)}`;
  }
  if (d.creditLimits) {
    await tx`DELETE FROM customer_credit_limits WHERE customer_id = ${customerId}`;
    const rows = d.creditLimits.map((l) => ({ customer_id: customerId, currency: l.currency, limit_cents: l.limitCents }));
    if (rows.length > 0) await tx`INSERT INTO customer_credit_limits ${tx(rows)}`;
  }
}

export async function findCustomer(sql: Sql, id: string): Promise<CustomerRow | undefined> {
  const [row] = await sql<CustomerRow[]>`SELECT ${CUSTOMER_COLUMNS(sql)} FROM customers WHERE id = ${id}`;
  return row;
}

export async function findCustomerByExternalId(sql: Sql, externalId: string): Promise<CustomerRow | undefined> {
  const [row] = await sql<CustomerRow[]>`SELECT ${CUSTOMER_COLUMNS(sql)} FROM customers WHERE external_id = ${externalId}`;
  return row;
}

/** A customer's contacts (the primary billing contact first) and credit limits. */
export async function findCustomerDetails(sql: Sql, customerId: string): Promise<CustomerDetails> {
  const [contacts, creditLimits] = await Promise.all([
    sql<Contact[]>`SELECT email, name, role, escalate_from AS "escalateFrom"
                   FROM customer_contacts WHERE customer_id = ${customerId} ORDER BY position`,
    sql<{ currency: string; limitCents: string }[]>`SELECT currency, limit_cents AS "limitCents"
                   FROM customer_credit_limits WHERE customer_id = ${customerId} ORDER BY currency`,
  ]);
  return { contacts, creditLimits: creditLimits.map((l) => ({ currency: l.currency, limitCents: Number(l.limitCents) })) };
}

/** Where a page of the customer list starts: after this name and id. */
export interface CustomerCursor {
  readonly name: string;
  readonly id: string;
}

/**
 * Customers by name (then id), optionally those whose name, a contact's address or the external id
 * contains `query` (case-insensitive); `limit + 1` rows are read to tell whether a next page exists.
 */
export async function listCustomers(
  sql: Sql,
  o: { query?: string; limit: number; after?: CustomerCursor },
): Promise<{ customers: CustomerRow[]; next: CustomerCursor | null }> {
  const like = o.query ? `%${o.query.replace(/[\\%_]/g, (m) => `\\${m}`)}%` : null;
  const rows = await sql<CustomerRow[]>`
    SELECT ${CUSTOMER_COLUMNS(sql)} FROM customers c
    WHERE (${like}::text IS NULL
           OR c.name ILIKE ${like} OR c.external_id ILIKE ${like}
           OR EXISTS (SELECT 1 FROM customer_contacts k WHERE k.customer_id = c.id AND k.email ILIKE ${like}))
      AND (${o.after?.name ?? null}::text IS NULL OR (lower(c.name), c.id) > (lower(${o.after?.name ?? ''}), ${o.after?.id ?? null}::uuid))
    ORDER BY lower(c.name), c.id
    LIMIT ${o.limit + 1}`;
  const customers = rows.slice(0, o.limit);
  const last = customers[customers.length - 1];
  return { customers, next: rows.length > o.limit && last ? { name: last.name, id: last.id } : null };
}

/** Whether the customer has any invoice (its currency is then fixed). */
export async function customerHasInvoices(sql: Sql, customerId: string): Promise<boolean> {
  const [row] = await sql<{ any: boolean }[]>`SELECT EXISTS (SELECT 1 FROM invoices WHERE customer_id = ${customerId}) AS any`;
  return row!.any;
}

/** The columns a PATCH may change, by their API names. */
export type CustomerChanges = Partial<
  Pick<
    CustomerRow,
    | 'name'
    | 'timeZone'
    | 'currency'
    | 'paymentTermsDays'
    | 'policyName'
    | 'locale'
    | 'creditHoldAutoRelease'
    | 'reminderGroupingWindow'
    | 'reminderMinGap'
    | 'statementDay'
  >
> &
  Partial<CustomerDetails>;

/**
 * Applies changes to a customer under a row lock and audits them with before and after values, in
 * one transaction; `check` runs first under the lock: it throws to refuse and change nothing, or
 * returns changes derived from the current values (a new address for the primary contact). Only
 * fields whose value changes are written and audited. Returns the row and whether anything changed.
 */
export async function updateCustomer(
  sql: Sql,
  id: string,
  requested: CustomerChanges,
  o: {
    actor: string;
    reason?: string;
    check?: (tx: Sql, before: CustomerRow & CustomerDetails) => Promise<CustomerChanges | void>;
    /** Runs after the write, in its transaction, with what changed: throws to undo it all (a schedule that could not follow). */
    afterWrite?: (tx: Sql, row: CustomerRow, changed: readonly string[]) => Promise<void>;
  },
): Promise<{ row: CustomerRow; changed: string[] } | null> {
  return sql.begin(async (t) => {
    const tx = t as unknown as Sql;
    const [current] = await tx<CustomerRow[]>`SELECT ${CUSTOMER_COLUMNS(tx)} FROM customers WHERE id = ${id} FOR UPDATE`;
    if (!current) return null;
    const before = { ...current, ...(await findCustomerDetails(tx, id)) };
    const changes = { ...requested, ...(await o.check?.(tx, before)) };
    const changed = (Object.keys(changes) as (keyof CustomerChanges)[]).filter(
      (k) => changes[k] !== undefined && JSON.stringify(changes[k]) !== JSON.stringify(before[k]),
    );
    if (changed.length === 0) return { row: current, changed };
    const pick = (source: Record<string, unknown>) => Object.fromEntries(changed.map((k) => [k, source[k]]));
    const { contacts, creditLimits, ...columns } = changes;
    const next = { ...current, ...columns };
    // The primary billing contact's address is kept on the row, for the pages and documents that show one.
    const email = contacts?.find((c) => c.role === 'billing')?.email ?? current.email;
    const [row] = await tx<CustomerRow[]>`
      UPDATE customers SET
        name = ${next.name}, email = ${email}, time_zone = ${next.timeZone}, currency = ${next.currency},
        payment_terms_days = ${next.paymentTermsDays}, policy_name = ${next.policyName}, locale = ${next.locale},
        credit_hold_auto_release = ${next.creditHoldAutoRelease}, reminder_grouping_window = ${next.reminderGroupingWindow},
        reminder_min_gap = ${next.reminderMinGap}, statement_day = ${next.statementDay}, updated_at = now()
      WHERE id = ${id}
      RETURNING ${CUSTOMER_COLUMNS(tx)}`;
    await writeDetails(tx, id, { ...(contacts ? { contacts } : {}), ...(creditLimits ? { creditLimits } : {}) });
    await tx`INSERT INTO audit_log (entity_type, entity_id, action, actor, reason, data)
             VALUES ('customer', ${id}, 'customer.updated', ${o.actor}, ${o.reason ?? null},
                     ${tx.json({ before: pick(before), after: pick({ ...before, ...changes }) } as never)})`;
    await o.afterWrite?.(tx, row!, changed);
    return { row: row!, changed };
  });
}

/** An audit row for a customer (a pause, a resume: facts whose state lives in the account workflow). */
export async function auditCustomer(
  sql: Sql,
  o: { customerId: string; action: string; actor: string; reason: string | null; data: Record<string, unknown> },
): Promise<void> {
  await sql`INSERT INTO audit_log (entity_type, entity_id, action, actor, reason, data)
            VALUES ('customer', ${o.customerId}, ${o.action}, ${o.actor}, ${o.reason}, ${sql.json(o.data as never)})`;
}
