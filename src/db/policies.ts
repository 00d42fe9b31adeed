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
  const [row] =
    version === undefined
      ? await sql<
          { document: PolicyDocument; version: number }[]
        >`SELECT document, version FROM policies WHERE name = ${name} ORDER BY version DESC LIMIT 1`
      : await sql<
          { document: PolicyDocument; version: number }[]
        >`SELECT document, version FROM policies WHERE name = ${name} AND version = ${version}`;
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

/**
 * Start-up seeding: version 1 of `document` when no version of that name exists, or its next
 * version when the latest one is exactly what an earlier release seeded (a policy someone edited is
 * left as it is). Running invoices stay on the version they started with.
 */
export async function seedPolicy(sql: Sql, document: PolicyDocument, earlier: readonly PolicyDocument[] = []): Promise<void> {
  await sql.begin(async (tx) => {
    await tx`SELECT pg_advisory_xact_lock(hashtext(${'policy:' + document.name}))`;
    const [latest] = await tx<{ version: number; document: PolicyDocument }[]>`
      SELECT version, document FROM policies WHERE name = ${document.name} ORDER BY version DESC LIMIT 1`;
    if (latest && !earlier.some((e) => sameDocument(e, latest.document))) return;
    const version = (latest?.version ?? 0) + 1;
    await tx`INSERT INTO policies (name, version, document) VALUES (${document.name}, ${version}, ${tx.json(document as never)})`;
    if (latest) {
      await tx`INSERT INTO audit_log (entity_type, entity_id, action, actor, reason, data)
               VALUES ('policy', ${document.name}, 'policy.version_created', 'seed', 'the default policy of this release', ${tx.json({ version })})`;
    }
  });
}

/** Documents equal as JSON values (Postgres' jsonb orders keys its own way). */
function sameDocument(a: PolicyDocument, b: PolicyDocument): boolean {
  const canonical = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(canonical)
      : v && typeof v === 'object'
        ? Object.fromEntries(
            Object.entries(v)
              .sort(([x], [y]) => x.localeCompare(y))
              .map(([k, x]) => [k, canonical(x)]),
          )
        : v;
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}
