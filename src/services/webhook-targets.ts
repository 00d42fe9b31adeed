import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import { BlockList, isIP } from 'node:net';

/**
 * Where outbound webhooks may not go unless WEBHOOK_ALLOW_PRIVATE_TARGETS says so: loopback,
 * private and shared networks, link-local (cloud metadata at 169.254.169.254 included), multicast,
 * reserved and documentation ranges, in IPv4 and IPv6 (IPv4 inside IPv6 is judged as IPv4).
 */
const BLOCKED = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.88.99.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const)
  BLOCKED.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['100::', 64],
  ['2001:db8::', 32],
  ['fc00::', 7],
  ['fe80::', 10],
  ['fec0::', 10],
  ['ff00::', 8],
] as const)
  BLOCKED.addSubnet(net, prefix, 'ipv6');

/** The 16 bytes of an IPv6 address (`isIP(address) === 6`). */
function ipv6Bytes(address: string): number[] {
  let text = address.replace(/%.*$/, '');
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4[1]!.split('.').map(Number) as [number, number, number, number];
    text = text.slice(0, -v4[1]!.length) + `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? (text.split('::') as [string, string]) : [text, undefined];
  const groups = (s: string | undefined) =>
    s
      ? s
          .split(':')
          .filter(Boolean)
          .map((g) => parseInt(g, 16))
      : [];
  const h = groups(head);
  const t = groups(tail);
  const all = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill(0), ...t];
  return all.flatMap((g) => [g >> 8, g & 0xff]);
}

/** Whether connecting to `address` (an IP literal) would reach a private, loopback or link-local host. */
export function isPrivateAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return BLOCKED.check(address, 'ipv4');
  if (family !== 6) return true;
  const bytes = ipv6Bytes(address);
  const embedded = (from: number) => bytes.slice(from, from + 4).join('.');
  // IPv4-mapped (::ffff:a.b.c.d), IPv4-compatible (::a.b.c.d) and NAT64 (64:ff9b::a.b.c.d) carry an IPv4 address.
  if (
    bytes.slice(0, 10).every((b) => b === 0) &&
    ((bytes[10] === 0xff && bytes[11] === 0xff) || (bytes[10] === 0 && bytes[11] === 0 && bytes.slice(12).some(Boolean)))
  ) {
    return BLOCKED.check(embedded(12), 'ipv4');
  }
  if (bytes[0] === 0x00 && bytes[1] === 0x64 && bytes[2] === 0xff && bytes[3] === 0x9b && bytes.slice(4, 12).every((b) => b === 0))
    return BLOCKED.check(embedded(12), 'ipv4');
  return BLOCKED.check(address, 'ipv6');
}

/**
 * Why a webhook URL may not be registered, or null. Literal addresses are judged now (the URL parser
 * has already turned `2130706433` and `0x7f000001` into `127.0.0.1`); names are judged again each
 * time they are resolved for a delivery, so a name that later points inside is refused then too.
 */
export function webhookTargetProblem(url: string): string | null {
  const host = new URL(url).hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost' || host.endsWith('.localhost')) return `${host} is this machine`;
  if (isIP(host) && isPrivateAddress(host)) return `${host} is a private, loopback or link-local address`;
  return null;
}

/** DNS lookup that refuses names resolving to private addresses (checked on every connection). */
function guardedLookup(
  hostname: string,
  options: object,
  callback: (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void,
): void {
  dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
    if (err) return callback(err, []);
    const list = addresses as LookupAddress[];
    const inside = list.find((a) => isPrivateAddress(a.address));
    if (inside)
      return callback(
        Object.assign(new Error(`${hostname} resolves to ${inside.address}, a private, loopback or link-local address`), {
          code: 'EPRIVATE',
        }),
        [],
      );
    if ((options as { all?: boolean }).all) return callback(null, list);
    callback(null, list[0]!.address, list[0]!.family);
  });
}

export interface WebhookResponse {
  readonly statusCode: number;
}

/**
 * POSTs one webhook: no redirects followed, a deadline on the whole exchange, and (unless private
 * targets are allowed) no connection to a private address, however the name resolves.
 */
export function postWebhook(
  url: string,
  headers: Record<string, string>,
  body: string,
  o: { timeoutMs: number; allowPrivateTargets: boolean },
): Promise<WebhookResponse> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const host = target.hostname.replace(/^\[|\]$/g, '');
    if (!o.allowPrivateTargets) {
      const problem = webhookTargetProblem(url);
      if (problem) return reject(new Error(problem));
    }
    const request = (target.protocol === 'https:' ? https : http).request(
      target,
      {
        method: 'POST',
        headers: { ...headers, 'content-length': Buffer.byteLength(body).toString() },
        ...(o.allowPrivateTargets || isIP(host) ? {} : { lookup: guardedLookup as never }),
        signal: AbortSignal.timeout(o.timeoutMs),
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ statusCode: res.statusCode ?? 0 }));
        res.on('error', reject);
      },
    );
    request.on('error', (err) =>
      reject(
        (err as Error).name === 'AbortError'
          ? Object.assign(new Error(`no answer within ${o.timeoutMs} ms`), { name: 'TimeoutError' })
          : err,
      ),
    );
    request.end(body);
  });
}
