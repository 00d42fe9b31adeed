/**
 * Who may do what. Four roles, each a superset of the one below it except where noted:
 * - `viewer` reads everything (invoices, customers, policies, reports, the cash queue);
 * - `collector` works accounts: records payments, opens and resolves disputes, takes promises, sends a
 *   reminder now, pauses a customer's dunning, applies bank lines and balances, sends statements;
 * - `finance_lead` also decides money and rules: voids and writes off, refunds balances, unapplies,
 *   creates invoices and customers, edits customers, policies and recurring plans, migrates, imports;
 * - `admin` also manages people, their tokens, and outbound webhook endpoints.
 * The service token (`API_TOKEN`) acts as an admin named `api`.
 */
export const ROLES = ['viewer', 'collector', 'finance_lead', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export const isRole = (value: unknown): value is Role => typeof value === 'string' && (ROLES as readonly string[]).includes(value);

/** What an action needs. Each permission names the least role that has it. */
export const PERMISSIONS = {
  read: 'viewer',
  'invoices.work': 'collector',
  'customers.work': 'collector',
  'cash.apply': 'collector',
  'invoices.create': 'finance_lead',
  'invoices.void': 'finance_lead',
  'invoices.write_off': 'finance_lead',
  'customers.edit': 'finance_lead',
  'cash.reverse': 'finance_lead',
  'policies.edit': 'finance_lead',
  'recurring.edit': 'finance_lead',
  'imports.run': 'finance_lead',
  'webhooks.manage': 'admin',
  'users.manage': 'admin',
} as const satisfies Record<string, Role>;
export type Permission = keyof typeof PERMISSIONS;

/** What audit rows, timelines and workflow histories say a person did: `user:<email>`. */
export const userActor = (email: string) => `user:${email}`;

/** Role names in words, for pages and refusals. */
export const ROLE_NAMES: Readonly<Record<Role, string>> = {
  viewer: 'Viewer',
  collector: 'Collector',
  finance_lead: 'Finance lead',
  admin: 'Admin',
};

/** Whether `role` may do what `permission` guards. */
export function can(role: Role, permission: Permission): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(PERMISSIONS[permission]);
}
