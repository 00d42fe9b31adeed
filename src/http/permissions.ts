import type { Permission } from '../domain/roles';

/**
 * What each API route needs, in one table (paths relative to `/api`). A read (GET, HEAD) not listed
 * needs `read`; any other request not listed needs `users.manage` — a new route is an admin's until
 * it is given its permission here, never open by default.
 */
const RULES: readonly (readonly [method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: RegExp, permission: Permission])[] = [
  // Invoices
  ['POST', /^\/invoices$/, 'invoices.create'],
  ['POST', /^\/invoices\/[^/]+\/(payments|dispute|dispute\/resolve|promise|checkout)$/, 'invoices.work'],
  ['POST', /^\/invoices\/[^/]+\/flags\/[^/]+\/resolve$/, 'invoices.work'],
  ['POST', /^\/invoices\/[^/]+\/projection\/retry$/, 'invoices.work'],
  ['POST', /^\/invoices\/[^/]+\/void$/, 'invoices.void'],
  ['POST', /^\/invoices\/[^/]+\/write-off$/, 'invoices.write_off'],
  // Customers
  ['POST', /^\/customers$/, 'customers.edit'],
  ['PATCH', /^\/customers\/[^/]+$/, 'customers.edit'],
  ['POST', /^\/customers\/[^/]+\/credit-hold$/, 'customers.edit'],
  ['DELETE', /^\/customers\/[^/]+\/credit-hold$/, 'customers.edit'],
  ['POST', /^\/customers\/[^/]+\/(dunning\/pause|dunning\/resume|statement\/send|portal-links)$/, 'customers.work'],
  ['POST', /^\/customers\/[^/]+\/balance\/apply$/, 'cash.apply'],
  ['POST', /^\/customers\/[^/]+\/balance\/refund$/, 'cash.reverse'],
  // Money that came in
  ['POST', /^\/payments\/[^/]+\/apply$/, 'cash.apply'],
  ['POST', /^\/bank-statements$/, 'cash.apply'],
  ['PUT', /^\/bank-statements\/accounts\/[^/]+\/csv-mapping$/, 'cash.apply'],
  ['POST', /^\/cash-application\/lines\/[^/]+\/(confirm|apply|reject)$/, 'cash.apply'],
  ['POST', /^\/cash-application\/lines\/[^/]+\/unapply$/, 'cash.reverse'],
  // Rules
  ['POST', /^\/policies\/simulate$/, 'read'],
  ['POST', /^\/policies$/, 'policies.edit'],
  ['POST', /^\/policies\/[^/]+\/migrations$/, 'policies.edit'],
  ['POST', /^\/recurring-plans(\/[^/]+(\/(pause|resume|backfill))?)?$/, 'recurring.edit'],
  ['DELETE', /^\/recurring-plans\/[^/]+$/, 'recurring.edit'],
  ['POST', /^\/imports\/.+$/, 'imports.run'],
  // Integrations
  ['GET', /^\/webhook-endpoints(\/.*)?$/, 'webhooks.manage'],
  ['POST', /^\/webhook-endpoints(\/.*)?$/, 'webhooks.manage'],
  ['DELETE', /^\/webhook-endpoints\/[^/]+$/, 'webhooks.manage'],
  // People (everyone manages their own tokens under /me)
  ['GET', /^\/users(\/.*)?$/, 'users.manage'],
  ['POST', /^\/me\/tokens$/, 'read'],
  ['DELETE', /^\/me\/tokens\/[^/]+$/, 'read'],
];

/** The permission a request to `/api<path>` needs. */
export function permissionFor(method: string, path: string): Permission {
  const m = method.toUpperCase() === 'HEAD' ? 'GET' : method.toUpperCase();
  const clean = path.length > 1 ? path.replace(/\/+$/, '') : path;
  for (const [method, pattern, permission] of RULES) if (method === m && pattern.test(clean)) return permission;
  return m === 'GET' ? 'read' : 'users.manage';
}
