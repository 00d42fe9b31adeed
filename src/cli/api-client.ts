import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../config';

/** Thrown when the API refuses a request; carries its `{error: {code, message}}`. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface ApiClient {
  readonly url: string;
  call<T = any>(method: string, route: string, body?: unknown): Promise<T>;
  /** Sends a file as the body (not JSON), reporting each chunk handed to the network. */
  upload<T = any>(route: string, content: Buffer, contentType: string, onProgress?: (sent: number, total: number) => void): Promise<T>;
}

/**
 * The running engine's API, found as a local user expects: `API` (else PUBLIC_URL) and `TOKEN` (else
 * API_TOKEN, else the token `npm start` wrote into the data directory).
 */
export function apiClient(env: Record<string, string | undefined> = process.env): ApiClient {
  const config = loadConfig(env);
  const url = env.API ?? config.PUBLIC_URL;
  const tokenFile = path.join(config.DATA_DIR, 'api-token');
  const token = env.TOKEN ?? config.API_TOKEN ?? (existsSync(tokenFile) ? readFileSync(tokenFile, 'utf8').trim() : undefined);
  const send = async (method: string, route: string, init: RequestInit & { duplex?: 'half' }, headers: Record<string, string>) => {
    if (!token) throw new ApiError(0, 'NO_TOKEN', 'no API token: run `npm start` first (it creates .data/api-token) or set TOKEN');
    let res: Response;
    try {
      res = await fetch(`${url}${route}`, { method, ...init, headers: { authorization: `Bearer ${token}`, ...headers } });
    } catch (err) {
      throw new ApiError(0, 'UNREACHABLE', `cannot reach the API at ${url}: is \`npm start\` running? (${(err as Error).message})`);
    }
    const json = (await res.json().catch(() => ({}))) as { error?: { code?: string; message?: string } };
    if (!res.ok)
      throw new ApiError(
        res.status,
        json.error?.code ?? `HTTP_${res.status}`,
        json.error?.message ?? `${method} ${route} answered ${res.status}`,
      );
    return json as never;
  };
  return {
    url,
    async upload(route, content, contentType, onProgress) {
      const CHUNK = 64 * 1024;
      let offset = 0;
      const body = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (offset >= content.length) {
            controller.close();
            return;
          }
          const chunk = content.subarray(offset, offset + CHUNK);
          offset += chunk.length;
          onProgress?.(offset, content.length);
          controller.enqueue(chunk);
        },
      });
      return send('POST', route, { body, duplex: 'half' }, { 'content-type': contentType });
    },
    async call(method, route, body) {
      return send(
        method,
        route,
        body !== undefined ? { body: JSON.stringify(body) } : {},
        body !== undefined ? { 'content-type': 'application/json' } : {},
      );
    },
  };
}
