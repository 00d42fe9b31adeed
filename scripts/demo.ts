import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../src/config';
import Stripe from 'stripe';
import { apiClient } from '../src/cli/api-client';
import { formatMoney } from '../src/domain/money';

// Drives the running stack (npm start) through its public API on a seconds-scale policy and shows,
// live, reminders going out, a late fee, a dispute pausing one invoice and a payment completing another
// (the last part of it through a signed Stripe webhook).
const config = loadConfig();
const client = apiClient();
const api = client.url;
const call = client.call;
const stripeSecretFile = path.join(config.DATA_DIR, 'stripe-webhook-secret');
const stripeSecret =
  config.STRIPE_WEBHOOK_SECRET ?? (existsSync(stripeSecretFile) ? readFileSync(stripeSecretFile, 'utf8').trim() : undefined);

/** Sends a Stripe event signed exactly as Stripe does (the official package makes the header). */
async function stripeWebhook(type: string, object: Record<string, unknown>) {
  if (!stripeSecret) throw new Error('no Stripe webhook secret: set STRIPE_WEBHOOK_SECRET or run npm start first');
  const payload = JSON.stringify({
    id: `evt_demo_${Date.now()}`,
    object: 'event',
    api_version: '2025-09-30.clover',
    created: Math.floor(Date.now() / 1000),
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type,
    data: { object },
  });
  const res = await fetch(`${api}/webhooks/stripe`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'stripe-signature': Stripe.webhooks.generateTestHeaderString({ payload, secret: stripeSecret }),
    },
    body: payload,
  });
  if (!res.ok) throw new Error(`webhook → ${res.status} ${await res.text()}`);
}

const t0 = Date.now();
const clock = () => `+${String(Math.round((Date.now() - t0) / 1000)).padStart(3)}s`;
const say = (line: string) => console.log(`${clock()}  ${line}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main() {
  await call('GET', '/api/outbox?limit=1');

  const policy = await call('POST', '/api/policies', {
    name: 'demo-seconds',
    description: 'The standard ladder compressed into seconds for the demo.',
    steps: [
      { offset: '-10s', template: 'reminder_upcoming' },
      { offset: '0s', template: 'reminder_due_today' },
      { offset: '10s', template: 'reminder_overdue' },
      { offset: '20s', template: 'late_fee_notice', lateFee: { percent: 1.5 } },
      { offset: '30s', template: 'final_notice', finalNotice: true, creditHold: true },
      { offset: '40s', template: 'handoff_notice', handOff: true },
    ],
  });
  say(`policy ${policy.name} v${policy.version}: -10s reminder … +20s 1.5 % late fee … +40s hand-off`);

  const people = [
    { key: 'ladder', name: 'Wayne Enterprises', email: 'ap@wayne.test', timeZone: 'America/New_York', amount: 250_000 },
    { key: 'payer', name: 'Stark Industries', email: 'ap@stark.test', timeZone: 'America/Los_Angeles', amount: 120_000 },
    { key: 'dispute', name: 'Tyrell Corp', email: 'ap@tyrell.test', timeZone: 'Asia/Tokyo', amount: 80_000 },
    // Three invoices, one customer: each reminder of the ladder reaches it as one email for all three.
    { key: 'group', name: 'Umbrella Corp', email: 'ap@umbrella.test', timeZone: 'Europe/Berlin', amount: 45_000, count: 3 },
  ];
  const invoices: Record<string, any> = {};
  for (const p of people) {
    const customer = await call('POST', '/api/customers', {
      name: p.name,
      email: p.email,
      timeZone: p.timeZone,
      currency: 'USD',
      paymentTermsDays: 30,
      // Seconds, like the policy: reminders falling due within 3 s of each other go out together.
      reminders: { groupingWindow: '3s', minGap: '0s' },
    });
    for (let i = 0; i < (p.count ?? 1); i++) {
      const invoice = await call('POST', '/api/invoices', {
        customerId: customer.id,
        policy: 'demo-seconds',
        dueIn: '15s',
        lines: [{ description: 'Consulting services', quantity: 1, unitAmountCents: p.amount + i * 5_000 }],
      });
      invoices[i === 0 ? p.key : `${p.key}${i}`] = { ...invoice, customerName: p.name };
      say(`created ${invoice.number} for ${p.name}: ${formatMoney(invoice.totalCents, invoice.currency)}, due in 15 s`);
    }
  }
  const byId = new Map(Object.values(invoices).map((i: any) => [i.id, i]));

  const seen = new Set<string>();
  const watchOutbox = async () => {
    const { emails } = await call('GET', '/api/outbox?limit=1000');
    for (const e of emails) {
      // A grouped reminder names each invoice it carries.
      const ours = (e.items.length > 0 ? e.items.map((i: any) => i.invoiceId) : [e.invoiceId]).filter((id: string) => byId.has(id));
      if (seen.has(e.idempotencyKey) || ours.length === 0) continue;
      seen.add(e.idempotencyKey);
      const numbers = ours.map((id: string) => byId.get(id).number).join(', ');
      const files = e.attachments.length ? `  📎 ${e.attachments.map((a: any) => a.filename).join(', ')}` : '';
      const grouped = ours.length > 1 ? `  (one email for ${ours.length} invoices)` : '';
      say(`✉  ${numbers} → ${e.recipient.padEnd(16)} ${e.template.padEnd(19)} "${e.subject}"${files}${grouped}`);
    }
  };

  let disputed = false;
  let paid = false;
  const deadline = Date.now() + 75_000;
  while (Date.now() < deadline) {
    await watchOutbox();
    const elapsed = (Date.now() - t0) / 1000;
    if (!disputed && elapsed > 8) {
      disputed = true;
      const view = await call('POST', `/api/invoices/${invoices.dispute.id}/dispute`, { reason: 'PO number missing on invoice' });
      say(
        `⚖  ${view.number} disputed by ${invoices.dispute.customerName}: reminders paused (next action: ${describeNext(view.nextAction)})`,
      );
    }
    if (!paid && elapsed > 27) {
      paid = true;
      const partial = await call('POST', `/api/invoices/${invoices.payer.id}/payments`, {
        amountCents: 50_000,
        currency: 'USD',
        reference: 'wire 4711',
      });
      say(
        `💵 ${partial.number}: partial payment ${formatMoney(50_000, 'USD')} → ${formatMoney(partial.amountDueCents, 'USD')} still due, dunning continues`,
      );
      await stripeWebhook('payment_intent.succeeded', {
        id: `pi_demo_${Date.now()}`,
        object: 'payment_intent',
        amount: partial.amountDueCents,
        amount_received: partial.amountDueCents,
        currency: 'usd',
        status: 'succeeded',
        payment_method_types: ['card'],
        metadata: { invoice_id: invoices.payer.id },
      });
      say(`💳 ${partial.number}: Stripe webhook payment_intent.succeeded (signed) for the rest → inbox → workflow`);
      for (let i = 0; i < 20; i++) {
        const now = await call('GET', `/api/invoices/${invoices.payer.id}`);
        if (now.status === 'paid') {
          say(`✅ ${now.number}: paid in full → its workflow completes`);
          break;
        }
        await sleep(250);
      }
    }
    const ladder = await call('GET', `/api/invoices/${invoices.ladder.id}`);
    if (ladder.status !== 'open') break;
    await sleep(1000);
  }
  await watchOutbox();

  console.log('\nWhere things stand:');
  for (const inv of Object.values(invoices) as any[]) {
    const now = await call('GET', `/api/invoices/${inv.id}`);
    const next = describeNext(now.nextAction);
    console.log(
      `  ${now.number}  ${inv.customerName.padEnd(18)} ${now.status.padEnd(13)} due ${formatMoney(now.amountDueCents, now.currency).padEnd(13)} fees ${formatMoney(now.feesCents, now.currency).padEnd(10)} stage ${now.dunningStage.padEnd(18)} ${now.disputed ? 'DISPUTED ' : ''}${next}`,
    );
    console.log(`          ${now.temporalUrl}`);
  }
  // A statement of account for the customer with three invoices: what it owes, emailed with its PDF.
  const umbrella = invoices.group;
  const statement = await call('GET', `/api/customers/${umbrella.customerId}/statement`);
  const sent = await call('POST', `/api/customers/${umbrella.customerId}/statement/send`, {});
  const closing = statement.currencies.map((c: any) => formatMoney(c.closing.balanceCents, c.currency)).join(', ') || 'nothing';
  say(
    `📄 statement of account for ${umbrella.customerName} (${statement.from} to ${statement.to}): balance ${closing}; emailed with its PDF (${sent.outcome})`,
  );
  console.log(`          GET /api/customers/${umbrella.customerId}/statement?format=pdf`);
  console.log(
    `\nFind them in the Temporal UI with:  PolicyName = 'demo-seconds'   or   InvoiceStatus = 'open' AND DunningStage = 'final_notice'\n` +
      `and the customers' accounts (their grouped reminders, holds, pauses) with:  WorkflowType = 'customerAccountWorkflow'`,
  );
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});

/** An invoice's `nextAction` in words: what and when, why nothing is scheduled, or nothing more. */
function describeNext(next: { at: string | null; step: { template: string } | null; reason: string } | null): string {
  if (!next) return 'no further action';
  if (next.at === null) return next.reason === 'disputed' ? 'none until the dispute is resolved' : 'none: past the last step (parked)';
  return `next ${next.step?.template ?? next.reason} at ${next.at}`;
}
