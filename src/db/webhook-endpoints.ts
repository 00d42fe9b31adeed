import type { Sql } from './client';

export interface WebhookEndpointRow {
  id: string;
  url: string;
  secret: string;
  events: string[];
  description: string | null;
  createdAt: Date;
}

const COLUMNS = (sql: Sql) => sql`id, url, secret, events, description, created_at AS "createdAt"`;

export async function insertWebhookEndpoint(
  sql: Sql,
  e: Omit<WebhookEndpointRow, 'createdAt'>,
  actor: string,
): Promise<WebhookEndpointRow> {
  return sql.begin(async (tx) => {
    const [row] = await tx<WebhookEndpointRow[]>`
      INSERT INTO webhook_endpoints (id, url, secret, events, description)
      VALUES (${e.id}, ${e.url}, ${e.secret}, ${e.events}, ${e.description}) RETURNING ${COLUMNS(tx as unknown as Sql)}`;
    await tx`INSERT INTO audit_log (entity_type, entity_id, action, actor, data)
             VALUES ('webhook_endpoint', ${e.id}, 'webhook_endpoint.created', ${actor}, ${tx.json({ url: e.url, events: e.events })})`;
    return row!;
  });
}

export async function findWebhookEndpoint(sql: Sql, id: string): Promise<WebhookEndpointRow | undefined> {
  const [row] = await sql<WebhookEndpointRow[]>`SELECT ${COLUMNS(sql)} FROM webhook_endpoints WHERE id = ${id}`;
  return row;
}

export async function listWebhookEndpoints(sql: Sql): Promise<WebhookEndpointRow[]> {
  return sql<WebhookEndpointRow[]>`SELECT ${COLUMNS(sql)} FROM webhook_endpoints ORDER BY created_at`;
}

/** Deletes the endpoint and its deliveries (pending ones are never sent). */
export async function deleteWebhookEndpoint(sql: Sql, id: string, actor: string): Promise<boolean> {
  return sql.begin(async (tx) => {
    const deleted = await tx`DELETE FROM webhook_endpoints WHERE id = ${id} RETURNING url`;
    if (deleted.length === 0) return false;
    await tx`INSERT INTO audit_log (entity_type, entity_id, action, actor, data)
             VALUES ('webhook_endpoint', ${id}, 'webhook_endpoint.deleted', ${actor}, ${tx.json({ url: deleted[0]!.url })})`;
    return true;
  });
}
