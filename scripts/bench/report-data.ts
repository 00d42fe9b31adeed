import type { Sql } from '../../src/db/client';

/**
 * Loads a realistic receivables book in SQL (generate_series, deterministic): `customers` customers in
 * eight time zones and three currencies, `invoices` invoices issued evenly over the two years before
 * `today`, on 30-day terms. 92 % are paid within 0–74 days of issue (a fifth of them in two
 * instalments), 3 % voided, 3 % handed off as uncollectible 45 days past due, 2 % stay open for good
 * (disputed); with those not yet paid, about 7 % are open (a seventh of them part-paid). Overdue ones
 * carry a 1.5 % late fee from 14 days past due. Each invoice row's ledger (fees, paid, amount due, paid_at, closed_at) agrees with its payment
 * and fee rows, as the projection keeps it.
 */
export async function loadReceivables(sql: Sql, o: { customers: number; invoices: number; today: string }): Promise<void> {
  await sql`
    INSERT INTO customers (id, name, email, time_zone, currency, payment_terms_days)
    SELECT md5('c' || g)::uuid, 'Customer ' || g, 'ap' || g || '@bench.test',
           (ARRAY['UTC','Europe/Berlin','America/Chicago','America/New_York','Asia/Tokyo','Australia/Sydney','Europe/London','America/Los_Angeles'])[1 + g % 8],
           (ARRAY['USD','USD','EUR','GBP'])[1 + (g / 8) % 4], 30
    FROM generate_series(1, ${o.customers}::int) g`;
  await sql`
    CREATE UNLOGGED TABLE bench_gen AS
    WITH base AS (
      SELECT g AS n, md5('i' || g)::uuid AS id, md5('c' || (1 + (g::bigint * 7919) % ${o.customers}::int))::uuid AS customer_id,
             ${o.today}::date - (g % 730) AS issue_date,
             1000 + (g::bigint * 104729) % 500000 AS total,
             (g::bigint * 2654435761) % 100 AS h,
             (g::bigint * 40503) % 75 AS pay_days
      FROM generate_series(1, ${o.invoices}::int) g
    ), zoned AS (
      SELECT b.*, c.currency, c.time_zone,
             (b.issue_date::timestamp AT TIME ZONE c.time_zone) AS issued_at,
             ((b.issue_date + 31)::timestamp AT TIME ZONE c.time_zone) - interval '1 millisecond' AS due_at
      FROM base b JOIN customers c ON c.id = b.customer_id
    ), fated AS (
      SELECT z.*,
             z.issued_at + z.pay_days * interval '1 day' + interval '10 hours' AS pay_at,
             CASE
               WHEN z.h < 92 AND z.issued_at + z.pay_days * interval '1 day' + interval '10 hours' < ${o.today}::date::timestamp AT TIME ZONE 'UTC' THEN 'paid'
               WHEN z.h BETWEEN 92 AND 94 AND z.issued_at + interval '5 days' < ${o.today}::date::timestamp AT TIME ZONE 'UTC' THEN 'void'
               WHEN z.h BETWEEN 95 AND 97 AND z.due_at + interval '45 days' < ${o.today}::date::timestamp AT TIME ZONE 'UTC' THEN 'uncollectible'
               ELSE 'open' -- not yet paid, not yet handed off, or (2 %) disputed for good
             END AS status
      FROM zoned z
    )
    SELECT f.*,
           CASE WHEN f.status <> 'void'
                 AND f.due_at + interval '14 days' < ${o.today}::date::timestamp AT TIME ZONE 'UTC'
                 AND (f.status <> 'paid' OR f.pay_at > f.due_at + interval '14 days')
                THEN (f.total * 15 + 500) / 1000 ELSE 0 END AS fee,
           -- a first instalment 20 days after issue: on a fifth of the paid invoices (when before the final
           -- payment) and a seventh of the open ones (when that day has come)
           CASE WHEN (f.status = 'paid' AND f.h % 5 = 0 AND f.issued_at + interval '20 days' < f.pay_at)
                  OR (f.status = 'open' AND f.h % 7 = 0 AND f.issued_at + interval '20 days' < ${o.today}::date::timestamp AT TIME ZONE 'UTC')
                THEN f.total / 3 ELSE 0 END AS partial
    FROM fated f`;
  await sql`
    INSERT INTO invoices (id, number, customer_id, currency, total_cents, fees_cents, paid_cents, amount_due_cents, status, issue_date, due_at,
                          policy_name, policy_version, workflow_id, workflow_started, last_event_seq, paid_at, closed_at, created_at)
    SELECT id, 'B-' || n, customer_id, currency, total, fee,
           CASE WHEN status = 'paid' THEN total + fee ELSE partial END,
           CASE WHEN status = 'paid' THEN 0 ELSE total + fee - partial END,
           status, issue_date, due_at, 'standard', 1, 'invoice-' || id, true, 1,
           CASE WHEN status = 'paid' THEN pay_at END,
           CASE status WHEN 'void' THEN issued_at + interval '5 days' WHEN 'uncollectible' THEN due_at + interval '45 days' END,
           issued_at
    FROM bench_gen`;
  await sql`
    INSERT INTO late_fees (invoice_id, step_index, amount_cents, currency, applied_at)
    SELECT id, 3, fee, currency, due_at + interval '14 days' FROM bench_gen WHERE fee > 0`;
  await sql`
    INSERT INTO payments (kind, id, invoice_id, amount_cents, currency, status, method, actor, received_at)
    SELECT 'payment', 'pay-' || n || '-a', id, partial, currency, 'applied', 'card', 'bench', issued_at + interval '20 days'
    FROM bench_gen WHERE partial > 0
    UNION ALL
    SELECT 'payment', 'pay-' || n || '-b', id, total + fee - partial,
           currency, 'applied', 'card', 'bench', pay_at
    FROM bench_gen WHERE status = 'paid'`;
  await sql`DROP TABLE bench_gen`;
  await sql`VACUUM ANALYZE`;
}
