import type { PolicyDocument, PolicyVersion } from '../domain/policy';
import type { Sql } from './client';

/** Stores `document` as the next version of its name; concurrent writers get distinct versions. */
export async function insertPolicyVersion(sql: Sql, document: PolicyDocument): Promise<PolicyVersion> {
  return sql.begin(async (tx) => {
    await tx`SELECT pg_advisory_xact_lock(hashtext(${'policy:' + document.name}))`;
    const [row] = await tx<{ version: number }[]>`
      SELECT coalesce(max(version), 0)::int + 1 AS version FROM policies WHERE name = ${document.name}`;
    const version = row!.version;
    await tx`INSERT INTO policies (name, version, document) VALUES (${document.name}, ${version}, ${tx.json(document as never)})`;
    await tx`INSERT INTO audit_log (entity_type, entity_id, action, actor, data)
             VALUES ('policy', ${document.name}, 'policy.version_created', 'api', ${tx.json({ version })})`;
    return { ...document, version };
  });
}

export async function findPolicyVersion(sql: Sql, name: string, version?: number): Promise<PolicyVersion | undefined> {
  const [row] = version === undefined
    ? await sql<{ document: PolicyDocument; version: number }[]>`SELECT document, version FROM policies WHERE name = ${name} ORDER BY version DESC LIMIT 1`
    : await sql<{ document: PolicyDocument; version: number }[]>`SELECT document, version FROM policies WHERE name = ${name} AND version = ${version}`;
  return row ? { ...row.document, version: row.version } : undefined;
}

export async function listPolicyVersions(sql: Sql, name: string): Promise<{ version: number; createdAt: Date }[]> {
  return sql<{ version: number; createdAt: Date }[]>`
    SELECT version, created_at AS "createdAt" FROM policies WHERE name = ${name} ORDER BY version`;
}

export interface PolicySummary {
  name: string;
  latestVersion: number;
  description: string | null;
  steps: number;
  updatedAt: Date;
}

/** Every policy with its latest version. */
export async function listPolicies(sql: Sql): Promise<PolicySummary[]> {
  return sql<PolicySummary[]>`
    SELECT DISTINCT ON (name) name, version AS "latestVersion", document->>'description' AS description,
           jsonb_array_length(document->'steps') AS steps, created_at AS "updatedAt"
    FROM policies ORDER BY name, version DESC`;
}

/** Creates version 1 of `document` when no version of that name exists (start-up seeding). */
export async function seedPolicy(sql: Sql, document: PolicyDocument): Promise<void> {
  await sql`INSERT INTO policies (name, version, document) VALUES (${document.name}, 1, ${sql.json(document as never)})
            ON CONFLICT DO NOTHING`;
}
