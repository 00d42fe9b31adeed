import type { Sql } from './client';

export interface CustomerRow {
  id: string;
  name: string;
  email: string;
  timeZone: string;
  currency: string;
  paymentTermsDays: number;
  policyName: string | null;
  creditHold: boolean;
  /** The customer's id in the ERP it was imported from. */
  externalId: string | null;
  createdAt: Date;
}

const COLUMNS = (sql: Sql) => sql`id, name, email, time_zone AS "timeZone", currency, payment_terms_days AS "paymentTermsDays",
  policy_name AS "policyName", credit_hold AS "creditHold", external_id AS "externalId", created_at AS "createdAt"`;

/** Inserts the customer and its audit row in one transaction. */
export async function insertCustomer(
  sql: Sql,
  c: Omit<CustomerRow, 'creditHold' | 'createdAt' | 'externalId'> & { externalId?: string },
  actor: string,
): Promise<CustomerRow | null> {
  return sql.begin(async (tx) => {
    const [row] = await tx<CustomerRow[]>`
      INSERT INTO customers (id, name, email, time_zone, currency, payment_terms_days, policy_name, external_id)
      VALUES (${c.id}, ${c.name}, ${c.email}, ${c.timeZone}, ${c.currency}, ${c.paymentTermsDays}, ${c.policyName}, ${c.externalId ?? null})
      ON CONFLICT (external_id) DO NOTHING
      RETURNING ${COLUMNS(tx as unknown as Sql)}`;
    if (!row) return null;
    await tx`INSERT INTO audit_log (entity_type, entity_id, action, actor, data)
             VALUES ('customer', ${c.id}, 'customer.created', ${actor}, ${tx.json({ name: c.name, currency: c.currency, policy: c.policyName, externalId: c.externalId ?? null })})`;
    return row;
  });
}

export async function findCustomer(sql: Sql, id: string): Promise<CustomerRow | undefined> {
  const [row] = await sql<CustomerRow[]>`SELECT ${COLUMNS(sql)} FROM customers WHERE id = ${id}`;
  return row;
}

export async function findCustomerByExternalId(sql: Sql, externalId: string): Promise<CustomerRow | undefined> {
  const [row] = await sql<CustomerRow[]>`SELECT ${COLUMNS(sql)} FROM customers WHERE external_id = ${externalId}`;
  return row;
}
