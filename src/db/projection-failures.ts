import postgres from 'postgres';
import type { Sql } from './client';
import { UnappliedClaimError } from './unapplied-payments';

/** SQLSTATE classes that say the write itself is wrong (data, constraints, schema), not that Postgres is away. */
const PERMANENT_CLASSES = ['22', '23', '2B', '2F', '39', '42', '44', 'P0'];

/**
 * Whether Postgres refused a projection for good (retrying the same write cannot help), with a
 * message that names the constraint or problem but carries no row values. Connection loss,
 * deadlocks, serialization failures and overload are not refusals: those are retried.
 */
export function refusalOf(err: unknown): { message: string; sqlState: string | null } | null {
  if (err instanceof postgres.PostgresError) {
    const code = String(err.code ?? '');
    if (!PERMANENT_CLASSES.some((c) => code.startsWith(c))) return null;
    const where = [err.table_name, err.column_name].filter(Boolean).join('.');
    const message = err.constraint_name
      ? `Postgres ${code}: ${where || 'a row'} violates constraint ${err.constraint_name}`
      : `Postgres ${code}: ${err.message.replace(/: ".*"$/s, '')}${where ? ` (${where})` : ''}`;
    return { message, sqlState: code };
  }
  if (err instanceof UnappliedClaimError) return { message: err.message, sqlState: null };
  if (err instanceof TypeError || err instanceof RangeError || err instanceof SyntaxError)
    return { message: `${err.name}: ${err.message}`, sqlState: null };
  return null;
}

/** Records (once per event) that Postgres refused an invoice's events from `seq` on. */
export async function recordProjectionFailure(
  sql: Sql,
  f: { invoiceId: string; seq: number; error: string; sqlState: string | null },
): Promise<void> {
  await sql`INSERT INTO projection_failures (invoice_id, seq, error, sql_state) VALUES (${f.invoiceId}, ${f.seq}, ${f.error}, ${f.sqlState})
            ON CONFLICT (invoice_id, seq) DO UPDATE SET error = EXCLUDED.error, sql_state = EXCLUDED.sql_state, failed_at = now(), resolved_at = NULL`;
}
