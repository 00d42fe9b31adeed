import type { Sql } from './client';

/** A payment or refund applied to one of a customer's invoices, as the portal lists them. */
export interface CustomerPaymentRow {
  kind: string;
  bookedOn: string;
  number: string;
  amountCents: number;
  currency: string;
  method: string | null;
}

/** The customer's latest applied payments and refunds, newest first. */
export async function listCustomerPayments(sql: Sql, customerId: string, limit: number): Promise<CustomerPaymentRow[]> {
  return sql<CustomerPaymentRow[]>`
    SELECT p.kind, p.booked_on AS "bookedOn", i.number, p.amount_cents AS "amountCents", p.currency, p.method
    FROM payments p JOIN invoices i ON i.id = p.invoice_id
    WHERE i.customer_id = ${customerId} AND p.status = 'applied'
    ORDER BY p.received_at DESC LIMIT ${limit}`;
}
