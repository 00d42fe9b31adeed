import { randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: any;
  readonly raw: string;
}
export interface ScriptedResponse {
  readonly status: number;
  readonly body: unknown;
  readonly headers?: Record<string, string>;
}

/**
 * A local stand-in for an external HTTP API (Resend, Stripe): records every request and answers
 * from a script (then a default), so tests drive the real SDKs through real HTTP.
 */
export async function startRecorder(defaultResponse: (req: RecordedRequest) => ScriptedResponse) {
  const requests: RecordedRequest[] = [];
  const script: ScriptedResponse[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString();
      let body: unknown = raw;
      try {
        body = raw ? JSON.parse(raw) : undefined;
      } catch {
        /* keep raw */
      }
      const recorded = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body, raw };
      requests.push(recorded);
      const answer = script.shift() ?? defaultResponse(recorded);
      res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
      res.end(JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    /** Queues responses for the next requests. */
    respond(...responses: ScriptedResponse[]) {
      script.push(...responses);
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Resend's idempotency contract: the same key and body answer the same id; the same key with another body, 409. */
export async function startResendContract() {
  const seen = new Map<string, { body: string; id: string }>();
  return startRecorder((req) => {
    const key = String(req.headers['idempotency-key']);
    const prior = seen.get(key);
    if (!prior) {
      const id = `re_${randomUUID()}`;
      seen.set(key, { body: req.raw, id });
      return { status: 200, body: { id } };
    }
    if (prior.body === req.raw) return { status: 200, body: { id: prior.id } };
    return {
      status: 409,
      body: { statusCode: 409, name: 'invalid_idempotent_request', message: 'Same idempotency key used with a different request payload' },
    };
  });
}
