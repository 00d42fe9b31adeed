import type { Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { SEARCH_ATTRIBUTES } from './search-attributes';

const INDEXED: Record<string, temporal.api.enums.v1.IndexedValueType> = {
  KEYWORD: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  TEXT: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_TEXT,
  INT: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_INT,
  DATETIME: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
  KEYWORD_LIST: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST,
  BOOL: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
};

/**
 * Registers the engine's search attributes on a self-hosted server or test server (idempotent).
 * Temporal Cloud registers them through its console or `tcld`; there this reports what is missing.
 */
export async function registerSearchAttributes(connection: Connection, namespace: string): Promise<{ added: string[]; missing: string[] }> {
  const wanted = Object.fromEntries(SEARCH_ATTRIBUTES.map((k) => [k.name, INDEXED[k.type]!]));
  let existing: Record<string, unknown> = {};
  try {
    const listed = await connection.operatorService.listSearchAttributes({ namespace });
    existing = { ...listed.customAttributes };
  } catch {
    // Some servers (Cloud) do not expose the operator service to API keys; fall through.
  }
  const toAdd = Object.fromEntries(Object.entries(wanted).filter(([name]) => !(name in existing)));
  if (Object.keys(toAdd).length === 0) return { added: [], missing: [] };
  try {
    await connection.operatorService.addSearchAttributes({ namespace, searchAttributes: toAdd });
    return { added: Object.keys(toAdd), missing: [] };
  } catch (err) {
    if (/already exists/i.test(String((err as Error).message))) return { added: [], missing: [] };
    return { added: [], missing: Object.keys(toAdd) };
  }
}
