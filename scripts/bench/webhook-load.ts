import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { parentPort, workerData } from 'node:worker_threads';
import autocannon from 'autocannon';
import Stripe from 'stripe';

// Runs in its own thread so the load generator does not share the server's event loop.
export interface LoadJob {
  url: string;
  mode: 'steady' | 'peak';
  rate?: number;
  seconds: number;
  connections: number;
  secret: string;
  invoiceIds: string[];
  tag: string;
}
/** Latencies in ms (ascending) and counts, the same shape for both modes. */
export interface LoadResult {
  latenciesMs: number[];
  ok: number;
  non2xx: number;
  errors: number;
  seconds: number;
}

const job = workerData as LoadJob;
let n = 0;

/** A fresh, validly signed payment_intent.succeeded of 1 cent for one of the invoices. */
function signedEvent(): { body: string; headers: Record<string, string> } {
  const i = n++;
  const body = JSON.stringify({
    id: `evt_${job.tag}_${i}_${randomUUID().slice(0, 8)}`,
    object: 'event',
    api_version: '2025-09-30.clover',
    created: Math.floor(Date.now() / 1000),
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type: 'payment_intent.succeeded',
    data: {
      object: {
        id: `pi_${job.tag}_${i}_${randomUUID().slice(0, 8)}`,
        object: 'payment_intent',
        amount: 1,
        amount_received: 1,
        currency: 'usd',
        status: 'succeeded',
        payment_method_types: ['card'],
        metadata: { invoice_id: job.invoiceIds[i % job.invoiceIds.length] },
      },
    },
  });
  return {
    body,
    headers: {
      'content-type': 'application/json',
      'stripe-signature': Stripe.webhooks.generateTestHeaderString({ payload: body, secret: job.secret }),
    },
  };
}

/**
 * Open loop at a steady rate (as gateways deliver): request i is due at start + i/rate whatever the
 * server is doing, and its latency runs from that due time, so a server that falls behind is charged
 * for the wait (no coordinated omission). autocannon's rate mode cannot do this: it resets a
 * per-connection budget every second, so "200 req/s" leaves as a burst at the top of each second.
 */
function steady(): Promise<LoadResult> {
  const target = new URL(job.url);
  // FIFO spreads requests over every socket, so none sits idle past the server's keep-alive timeout
  // (a request racing that close would fail on the client side without reaching the server).
  const agent = new http.Agent({ keepAlive: true, maxSockets: job.connections, scheduling: 'fifo' });
  const latenciesMs: number[] = [];
  let ok = 0,
    non2xx = 0,
    errors = 0,
    sent = 0,
    done = 0;
  const total = Math.round(job.rate! * job.seconds);
  const start = performance.now();
  return new Promise((resolve) => {
    const finish = () => {
      if (done === total) {
        agent.destroy();
        resolve({ latenciesMs, ok, non2xx, errors, seconds: job.seconds });
      }
    };
    const fire = (dueAt: number) => {
      const { body, headers } = signedEvent();
      const req = http.request(
        {
          host: target.hostname,
          port: target.port,
          path: target.pathname,
          method: 'POST',
          agent,
          headers: { ...headers, 'content-length': Buffer.byteLength(body) },
        },
        (res) => {
          res.resume();
          res.on('end', () => {
            if (res.statusCode! >= 200 && res.statusCode! < 300) {
              ok++;
              latenciesMs.push(performance.now() - dueAt);
            } else non2xx++;
            done++;
            finish();
          });
        },
      );
      req.on('error', () => {
        errors++;
        done++;
        finish();
      });
      req.end(body);
    };
    const tick = setInterval(() => {
      const dueCount = Math.min(total, Math.floor(((performance.now() - start) / 1000) * job.rate!) + 1);
      while (sent < dueCount) fire(start + (sent++ * 1000) / job.rate!);
      if (sent === total) clearInterval(tick);
    }, 1);
  });
}

/** Closed loop, as fast as the server answers: the peak. */
async function peak(): Promise<LoadResult> {
  const latenciesMs: number[] = [];
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url: job.url,
        method: 'POST',
        connections: job.connections,
        duration: job.seconds,
        requests: [{ setupRequest: (req: any) => ({ ...req, ...signedEvent() }) }],
      },
      (err, r) => (err ? reject(err) : resolve(r)),
    );
    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      if (statusCode >= 200 && statusCode < 300) latenciesMs.push(responseTime);
    });
  });
  return { latenciesMs, ok: result['2xx'], non2xx: result.non2xx, errors: result.errors + result.timeouts, seconds: job.seconds };
}

void (job.mode === 'steady' ? steady() : peak()).then((result) =>
  parentPort!.postMessage({ ...result, latenciesMs: result.latenciesMs.sort((a, b) => a - b) }),
);
