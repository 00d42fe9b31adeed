import { randomUUID } from 'node:crypto';
import { parentPort, workerData } from 'node:worker_threads';
import autocannon from 'autocannon';
import Stripe from 'stripe';

// Runs in its own thread so the load generator does not share the server's event loop.
interface Job { url: string; rate?: number; seconds: number; connections: number; secret: string; invoiceIds: string[]; tag: string }
const job = workerData as Job;
let n = 0;

/** A fresh, validly signed payment_intent.succeeded of 1 cent for one of the invoices. */
function signedEvent(): { body: string; headers: Record<string, string> } {
  const i = n++;
  const body = JSON.stringify({
    id: `evt_${job.tag}_${i}_${randomUUID().slice(0, 8)}`, object: 'event', api_version: '2025-09-30.clover', created: Math.floor(Date.now() / 1000), livemode: false,
    pending_webhooks: 1, request: { id: null, idempotency_key: null }, type: 'payment_intent.succeeded',
    data: { object: { id: `pi_${job.tag}_${i}_${randomUUID().slice(0, 8)}`, object: 'payment_intent', amount: 1, amount_received: 1, currency: 'usd', status: 'succeeded', payment_method_types: ['card'], metadata: { invoice_id: job.invoiceIds[i % job.invoiceIds.length] } } },
  });
  return { body, headers: { 'content-type': 'application/json', 'stripe-signature': Stripe.webhooks.generateTestHeaderString({ payload: body, secret: job.secret }) } };
}

void autocannon({
  url: job.url,
  method: 'POST',
  connections: job.connections,
  duration: job.seconds,
  ...(job.rate ? { overallRate: job.rate } : {}),
  requests: [{ setupRequest: (req: any) => ({ ...req, ...signedEvent() }) }],
}).then((result) => parentPort!.postMessage(JSON.parse(JSON.stringify(result))));
