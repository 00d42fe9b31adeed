import { listEmails } from '../../src/db/email-log';
import { initialState } from '../../src/domain/invoice';
import { simulateDunning } from '../../src/domain/simulate';
import { invoiceSnapshotQuery, type InvoiceView } from '../../workflows/messages';
import { invoiceFixture } from '../helpers/fixtures';
import { recordHistory } from '../helpers/histories';
import { useStack } from '../helpers/stack';
import { DateTime } from 'luxon';

const stack = useStack('time-skipping');

const newInvoice = (totalCents: number) =>
  invoiceFixture({ sql: stack.db.sql, client: stack.env.client, taskQueue: stack.workers.taskQueue }, { totalCents });

it('runs the full standard ladder over 45 days and hands the invoice off', async () => {
  const { customer, invoice, handle } = await newInvoice(100_001);
  const result: InvoiceView = await handle.result();
  await recordHistory(handle, 'standard-ladder-handoff');

  expect(result.status).toBe('uncollectible');
  expect(result.feesCents).toBe(1500); // 1.5 % of 1,000.01 rounded half up
  expect(result.amountDueCents).toBe(101_501);
  expect(result.steps.map((s) => s.status)).toEqual(['done', 'done', 'done', 'done', 'done', 'done']);

  const emails = await listEmails(stack.db.sql, { invoiceId: invoice.id, limit: 100 });
  expect(emails.map((e) => e.template)).toEqual([
    'invoice_issued',
    'reminder_upcoming',
    'reminder_due_today',
    'reminder_overdue',
    'late_fee_notice',
    'final_notice',
    'handoff_notice',
  ]);
  expect(emails[0]!.attachments).toEqual([expect.objectContaining({ filename: `${invoice.number}.pdf`, contentType: 'application/pdf' })]);
  expect(emails.map((e) => e.idempotencyKey)).toEqual([
    `invoice-${invoice.id}/issue`,
    ...[0, 1, 2, 3, 4, 5].map((i) => `invoice-${invoice.id}/step-${i}`),
  ]);

  // Each reminder went out at its scheduled instant (durable timers, no drift), on a working day at
  // 09:00 in the customer's zone (the standard policy's business hours; day offsets are calendar days).
  const sent = result.timeline.filter((e) => e.type === 'step_performed');
  for (const e of sent) if (e.type === 'step_performed') expect(Date.parse(e.at) - Date.parse(e.sendAt)).toBeLessThan(5_000);
  for (const s of result.steps) {
    const local = DateTime.fromISO(s.sendAt, { zone: customer.timeZone });
    expect([local.toFormat('HH:mm'), local.weekday <= 5]).toEqual(['09:00', true]);
  }
  const [rules] = await stack.db.sql`SELECT schedule_rules FROM invoices WHERE id = ${invoice.id}`;
  expect(rules!.schedule_rules).toBe('calendar');

  // The policy simulator runs the same decisions: what it predicts from the invoice's input is what the workflow did.
  const { input } = await handle.query(invoiceSnapshotQuery);
  const issuedAt = result.timeline.find((e) => e.type === 'issued')!.at;
  const predicted = simulateDunning(initialState(input), Date.parse(issuedAt));
  expect(predicted.actions.map((a) => a.index)).toEqual(sent.map((e) => (e.type === 'step_performed' ? e.stepIndex : -1)));
  predicted.actions.forEach((a, i) => expect(Math.abs(Date.parse(a.actsAt) - Date.parse(sent[i]!.at))).toBeLessThan(5_000));
  expect(predicted.final).toEqual({
    status: result.status,
    dunningStage: result.dunningStage,
    feesCents: result.feesCents,
    amountDueCents: result.amountDueCents,
  });

  const [row] = await stack.db.sql`SELECT status, fees_cents, amount_due_cents, dunning_stage FROM invoices WHERE id = ${invoice.id}`;
  expect(row).toEqual({ status: 'uncollectible', fees_cents: 1500, amount_due_cents: 101_501, dunning_stage: 'handoff_notice' });
  const [hold] = await stack.db.sql`SELECT credit_hold FROM customers WHERE id = ${customer.id}`;
  expect(hold!.credit_hold).toBe(true);
  const fees = await stack.db.sql`SELECT step_index, amount_cents FROM late_fees WHERE invoice_id = ${invoice.id}`;
  expect(fees).toEqual([{ step_index: 3, amount_cents: 1500 }]);
  const audit = await stack.db.sql`SELECT action FROM audit_log WHERE entity_type = 'invoice' AND entity_id = ${invoice.id} ORDER BY seq`;
  expect(audit.map((a) => a.action)).toEqual(
    expect.arrayContaining(['invoice.created', 'invoice.issued', 'invoice.late_fee_applied', 'invoice.handed_off']),
  );
  expect(audit.length).toBe(result.timeline.length + 1);
});
