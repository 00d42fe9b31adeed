import type { MatchCustomer, OpenItem } from '../domain/cash-matching/match';
import type { Sql } from './client';

/**
 * What matching looks things up in, for credits in `currencies`: the open invoices with money due,
 * their customers, and the payer accounts learned from confirmed matches.
 */
export async function readMatchBookFacts(
  sql: Sql,
  currencies: readonly string[],
): Promise<{ items: OpenItem[]; customers: MatchCustomer[]; accounts: Map<string, string> }> {
  const [items, customers, accounts] = await Promise.all([
    sql<OpenItem[]>`
      SELECT id AS "invoiceId", number, external_number AS "externalNumber", customer_id AS "customerId", currency,
             amount_due_cents::int AS "amountDueCents", to_char(due_at, 'YYYY-MM-DD') AS "dueDate"
      FROM invoices
      WHERE status = 'open' AND amount_due_cents > 0 AND currency IN ${sql(currencies as string[])}`,
    sql<MatchCustomer[]>`SELECT id, name FROM customers`,
    sql<{ account: string; customerId: string }[]>`SELECT account, customer_id AS "customerId" FROM payer_accounts`,
  ]);
  return { items: [...items], customers: [...customers], accounts: new Map(accounts.map((a) => [a.account, a.customerId])) };
}
