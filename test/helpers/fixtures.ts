import type { Client } from '@temporalio/client';
import type { Sql } from '../../src/db/client';
import { createCustomer, type CreateCustomerInput } from '../../src/services/create-customer';
import { createInvoice, type CreateInvoiceInput } from '../../src/services/create-invoice';
import type { InvoiceStartOptions } from '../../src/temporal/start-invoice';
import { createCustomerSchema } from '../../src/services/create-customer';

/** A customer plus one invoice whose workflow has started; returns the workflow handle too. */
export async function invoiceFixture(
  ctx: { sql: Sql; client: Client; taskQueue: string; start?: InvoiceStartOptions },
  o: { totalCents?: number; customer?: Partial<CreateCustomerInput>; invoice?: Partial<CreateInvoiceInput> } = {},
) {
  const customer = await createCustomer(
    ctx.sql,
    createCustomerSchema.parse({
      name: 'Globex Corp',
      email: 'ap@globex.test',
      timeZone: 'UTC',
      currency: 'USD',
      paymentTermsDays: 30,
      // Each reminder goes out as its step falls due (grouping and caps: customer-account.test.ts).
      reminders: { groupingWindow: '0s', minGap: '0s' },
      ...o.customer,
    }),
    'test',
  );
  const { invoice } = await createInvoice(
    {
      sql: ctx.sql,
      client: ctx.client,
      taskQueue: ctx.taskQueue,
      now: () => new Date(),
      ...(ctx.start ? { start: ctx.start } : {}),
      onStartFailure: (e) => {
        throw e;
      },
    },
    {
      customerId: customer.id,
      lines: [{ description: 'Consulting', quantity: 1, unitAmountCents: o.totalCents ?? 100_000 }],
      dueIn: '30d',
      ...o.invoice,
    },
    { actor: 'test' },
  );
  return { customer, invoice, handle: ctx.client.workflow.getHandle(invoice.workflowId) };
}
