import { csvMappingSchema, type CsvMapping } from '../domain/bank-files';
import type { Sql } from './client';

/** The account a statement is for: registered on its first statement, with the currency it came in. */
export async function ensureBankAccount(sql: Sql, account: string, currency: string): Promise<void> {
  await sql`INSERT INTO bank_accounts (account, currency) VALUES (${account}, ${currency}) ON CONFLICT (account) DO NOTHING`;
}

/** The saved column mapping of an account's CSV export, if any. */
export async function findBankAccountMapping(sql: Sql, account: string): Promise<CsvMapping | undefined> {
  const [row] = await sql<
    { mapping: unknown }[]
  >`SELECT csv_mapping AS mapping FROM bank_accounts WHERE account = ${account} AND csv_mapping IS NOT NULL`;
  return row ? csvMappingSchema.parse(row.mapping) : undefined;
}

/** Saves how an account's CSV export reads (registering the account with the mapping's currency, or EUR until its first statement says). */
export async function saveBankAccountMapping(sql: Sql, account: string, mapping: CsvMapping): Promise<void> {
  await sql`
    INSERT INTO bank_accounts (account, currency, csv_mapping) VALUES (${account}, ${mapping.currency ?? 'EUR'}, ${sql.json(mapping as never)})
    ON CONFLICT (account) DO UPDATE SET csv_mapping = EXCLUDED.csv_mapping`;
}
