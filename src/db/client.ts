import postgres from 'postgres';

export type Sql = postgres.Sql<Record<string, never>>;

/**
 * A postgres.js client whose bigint columns come back as numbers (amounts are validated to stay
 * within the safe-integer range) and whose `date` columns stay `YYYY-MM-DD` strings.
 */
export function createSql(url: string, options: { max?: number } = {}): Sql {
  return postgres(url, {
    max: options.max ?? 10,
    onnotice: () => undefined,
    types: {
      bigint: { to: 20, from: [20], serialize: (v: number) => String(v), parse: (v: string) => Number(v) },
      date: { to: 1082, from: [1082], serialize: (v: string) => v, parse: (v: string) => v },
    },
    transform: { undefined: null },
  }) as unknown as Sql;
}
