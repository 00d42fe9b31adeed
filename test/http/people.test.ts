import { randomUUID } from 'node:crypto';
import { createUserToken } from '../../src/db/user-tokens';
import { insertUser } from '../../src/db/users';
import type { OutgoingEmail } from '../../src/email/mailer';
import type { Role } from '../../src/domain/roles';
import { firstAdminLink } from '../../src/services/password-links';
import { hashPassword } from '../../src/services/passwords';
import { startApi, type ApiHarness } from '../helpers/api';
import { eventually } from '../helpers/eventually';
import { invoiceFixture } from '../helpers/fixtures';
import { useStack } from '../helpers/stack';

// People on the real stack: the first admin through the start-up link, sign-in and sessions (CSRF,
// another origin, idle expiry), reset by an emailed link, personal API tokens, and what each role may do.
const stack = useStack('dev-server');
const sent: OutgoingEmail[] = [];
let api: ApiHarness;
beforeAll(async () => {
  const workers = await stack.moreWorkers({
    mailer: {
      transport: 'outbox',
      deliver: async (email) => {
        sent.push(email);
        return { providerMessageId: null };
      },
    },
  });
  api = await startApi(stack.db, stack.env, workers.taskQueue, { ownPublicUrl: true });
});
afterAll(async () => {
  await api?.close();
});

/** A browser of one: its cookie jar is the session cookie. */
function browser() {
  let cookie = '';
  const go = async (method: string, path: string, form?: Record<string, string>, headers: Record<string, string> = {}) => {
    const res = await fetch(api.url + path, {
      method,
      redirect: 'manual',
      headers: { ...(cookie ? { cookie } : {}), ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}), ...headers },
      ...(form ? { body: new URLSearchParams(form).toString() } : {}),
    });
    const set = res.headers.get('set-cookie');
    if (set) cookie = set.split(';')[0]!.endsWith('=') ? '' : set.split(';')[0]!;
    return { status: res.status, text: await res.text(), location: res.headers.get('location') };
  };
  return { go, csrf: (page: string) => /name="_csrf" value="([^"]+)"/.exec(page)?.[1] ?? '', hasCookie: () => cookie !== '' };
}
const tokenOf = (url: string) => /\/app\/password\/([A-Za-z0-9_-]{43})/.exec(url)![1]!;
const PASSWORD = 'correct horse battery staple';

it('creates the first admin through the start-up link, once; then signs in, and out', async () => {
  const link = await firstAdminLink(stack.db.sql, { publicUrl: api.url, now: new Date() });
  const path = `/app/password/${tokenOf(link!)}`;
  const b = browser();
  expect((await b.go('GET', path)).text).toContain('Create the first admin');
  expect((await b.go('POST', path, { email: 'Ada@Example.test', name: 'Ada', password: 'short' })).text).toContain(
    'at least 12 characters',
  );
  const created = await b.go('POST', path, { email: 'Ada@Example.test', name: 'Ada', password: PASSWORD });
  expect(created.text).toContain('Your password is set');
  expect((await b.go('GET', path)).status).toBe(404);
  expect(await firstAdminLink(stack.db.sql, { publicUrl: api.url, now: new Date() })).toBeNull();

  expect((await b.go('POST', '/app/login', { email: 'ada@example.test', password: 'wrong password!!' })).status).toBe(401);
  expect((await b.go('POST', '/app/login', { email: 'nobody@example.test', password: PASSWORD })).text).toContain(
    'do not match an account',
  );
  const signed = await b.go('POST', '/app/login', { email: 'ada@example.test', password: PASSWORD });
  expect(signed).toMatchObject({ status: 303, location: `${api.url}/app` });
  const home = await b.go('GET', '/app');
  expect(home.text).toContain('Hello, Ada');
  expect(home.text).toContain('admin');
  // The dashboard takes the same session.
  expect((await b.go('GET', '/dashboard')).text).not.toContain('API token <input');
  // Signing out needs the form's token.
  expect((await b.go('POST', '/app/logout', {})).status).toBe(403);
  expect((await b.go('POST', '/app/logout', { _csrf: b.csrf(home.text) })).text).toContain('You are signed out');
  expect((await b.go('GET', '/app')).text).toContain('Sign in');
});

it('refuses a form from another origin or without its CSRF token, and ends an idle session', async () => {
  await insertUser(stack.db.sql, {
    id: randomUUID(),
    email: 'bob@example.test',
    name: 'Bob',
    role: 'viewer',
    createdBy: 'test',
    passwordHash: await hash(),
  });
  const b = browser();
  await b.go('POST', '/app/login', { email: 'bob@example.test', password: PASSWORD });
  const page = await b.go('GET', '/app/tokens');
  expect(page.status).toBe(200);
  const before = await count('user_tokens');
  expect((await b.go('POST', '/app/tokens', { name: 'x', _csrf: 'forged' })).status).toBe(403);
  expect((await b.go('POST', '/app/tokens', { name: 'x', _csrf: b.csrf(page.text) }, { origin: 'https://evil.test' })).status).toBe(403);
  expect(await count('user_tokens')).toBe(before);

  await stack.db.sql`UPDATE user_sessions SET last_seen_at = now() - interval '3 hours'`;
  expect((await b.go('GET', '/app/tokens')).text).toContain('Sign in');
});

it('resets a forgotten password by an emailed one-time link, without saying whether the address is known', async () => {
  await insertUser(stack.db.sql, {
    id: randomUUID(),
    email: 'cy@example.test',
    name: 'Cy',
    role: 'collector',
    createdBy: 'test',
    passwordHash: await hash(),
  });
  const b = browser();
  const unknown = await b.go('POST', '/app/forgot', { email: 'nobody@example.test' });
  const known = await b.go('POST', '/app/forgot', { email: 'cy@example.test' });
  expect(unknown.text).toContain('If that address has an account');
  expect(known.text).toContain('If that address has an account');
  await eventually(async () => expect(sent.filter((e) => e.to[0] === 'cy@example.test')).toHaveLength(1));
  expect(sent.some((e) => e.to[0] === 'nobody@example.test')).toBe(false);
  const email = sent.find((e) => e.to[0] === 'cy@example.test')!;
  expect(email.subject).toContain('new password');
  // The log keeps the email, not the link.
  const [logged] = await stack.db.sql`SELECT text FROM email_log WHERE recipient = 'cy@example.test'`;
  expect(logged!.text).not.toContain(tokenOf(email.text));

  const path = `/app/password/${tokenOf(email.text)}`;
  expect((await b.go('POST', path, { password: 'a brand new password' })).text).toContain('Your password is set');
  expect((await b.go('POST', path, { password: 'another new password' })).status).toBe(404);
  expect((await b.go('POST', '/app/login', { email: 'cy@example.test', password: PASSWORD })).status).toBe(401);
  expect((await b.go('POST', '/app/login', { email: 'cy@example.test', password: 'a brand new password' })).status).toBe(303);
});

it('issues personal API tokens shown once, acting as their person until revoked', async () => {
  const [user] = await stack.db.sql`SELECT id FROM users WHERE email = 'bob@example.test'`;
  const b = browser();
  await b.go('POST', '/app/login', { email: 'bob@example.test', password: PASSWORD });
  const created = await b.go('POST', '/app/tokens', { name: 'ERP sync', _csrf: b.csrf((await b.go('GET', '/app/tokens')).text) });
  const token = /id="new-token">(ce_[A-Za-z0-9_-]{43})</.exec(created.text)![1]!;
  expect((await b.go('GET', '/app/tokens')).text).not.toContain(token);
  expect(await api.request('GET', '/api/me', { token })).toMatchObject({
    status: 200,
    body: { actor: 'user:bob@example.test', role: 'viewer' },
  });
  const listed = await api.request('GET', '/api/me/tokens', { token });
  expect(listed.body.tokens).toEqual([expect.objectContaining({ name: 'ERP sync', prefix: token.slice(0, 10), revokedAt: null })]);
  expect((await api.request('DELETE', `/api/me/tokens/${listed.body.tokens[0].id}`, { token })).status).toBe(200);
  expect((await api.request('GET', '/api/me', { token })).status).toBe(401);
  expect(user).toBeDefined();
});

describe('roles', () => {
  const tokens = {} as Record<Role, string>;
  beforeAll(async () => {
    for (const role of ['viewer', 'collector', 'finance_lead', 'admin'] as const) {
      const user = await insertUser(stack.db.sql, { id: randomUUID(), email: `${role}@roles.test`, name: role, role, createdBy: 'test' });
      tokens[role] = (await createUserToken(stack.db.sql, { id: randomUUID(), userId: user!.id, name: 'test', now: new Date() })).token;
    }
  });

  it('lets each role do what it may and refuses the rest with 403 FORBIDDEN, changing nothing', async () => {
    const { invoice, customer } = await invoiceFixture(
      { sql: stack.db.sql, client: stack.env.client, taskQueue: stack.workers.taskQueue },
      { totalCents: 50_000, customer: { currency: 'EUR' } },
    );
    const nobody = randomUUID();
    // [request, the least role that may make it]
    const matrix: [string, string, unknown, Role][] = [
      ['GET', `/api/invoices/${invoice.id}`, undefined, 'viewer'],
      ['GET', '/api/reports/aging', undefined, 'viewer'],
      ['POST', '/api/policies/simulate', { policy: 'standard' }, 'viewer'],
      ['POST', `/api/invoices/${nobody}/payments`, { amountCents: 1, currency: 'EUR' }, 'collector'],
      ['POST', `/api/invoices/${nobody}/dispute`, {}, 'collector'],
      ['POST', `/api/customers/${nobody}/dunning/pause`, {}, 'collector'],
      ['POST', `/api/cash-application/lines/${nobody}/reject`, { reason: 'x' }, 'collector'],
      ['POST', `/api/invoices/${invoice.id}/void`, {}, 'finance_lead'],
      ['POST', `/api/invoices/${nobody}/write-off`, {}, 'finance_lead'],
      ['PATCH', `/api/customers/${customer.id}`, { name: 'Renamed' }, 'finance_lead'],
      ['POST', '/api/policies', {}, 'finance_lead'],
      ['POST', `/api/cash-application/lines/${nobody}/unapply`, { reason: 'x' }, 'finance_lead'],
      ['GET', '/api/webhook-endpoints', undefined, 'admin'],
      ['GET', '/api/users', undefined, 'admin'],
      ['POST', '/api/users', { email: 'new@roles.test', name: 'New', role: 'viewer' }, 'admin'],
    ];
    const order: Role[] = ['viewer', 'collector', 'finance_lead', 'admin'];
    const outcomes: string[] = [];
    for (const [method, path, body, least] of matrix) {
      for (const role of order) {
        const res = await api.request(method, path, { token: tokens[role], ...(body !== undefined ? { body } : {}) });
        const allowed = order.indexOf(role) >= order.indexOf(least);
        // Allowed requests may still be refused for what they say (404, 400, 409): never for who sent them.
        outcomes.push(`${role} ${method} ${path.replace(/[0-9a-f-]{36}/g, ':id')} ${res.status === 403 ? 'forbidden' : 'allowed'}`);
        if (!allowed) expect(res.body.error).toMatchObject({ code: 'FORBIDDEN' });
        else expect([role, method, path, res.status]).not.toEqual([role, method, path, 403]);
      }
    }
    expect(outcomes.filter((o) => o.endsWith('forbidden'))).toHaveLength(matrix.reduce((n, [, , , least]) => n + order.indexOf(least), 0));
    // Only the first role allowed to void did: the invoice is void, by the finance lead (the viewer's and collector's tries changed nothing).
    expect((await api.request('GET', `/api/invoices/${invoice.id}`)).body.status).toBe('void');
    const [voided] = await stack.db.sql`SELECT actor FROM audit_log WHERE entity_id = ${invoice.id} AND action = 'invoice.voided'`;
    expect(voided!.actor).toBe('user:finance_lead@roles.test');
  });

  it('names the person in the audit trail of what they did', async () => {
    const { invoice } = await invoiceFixture(
      { sql: stack.db.sql, client: stack.env.client, taskQueue: stack.workers.taskQueue },
      { totalCents: 10_000, customer: { currency: 'EUR' } },
    );
    const paid = await api.request('POST', `/api/invoices/${invoice.id}/payments`, {
      token: tokens.collector,
      body: { amountCents: 10_000, currency: 'EUR' },
    });
    expect(paid.status).toBe(201);
    await eventually(async () =>
      expect(await stack.db.sql`SELECT actor FROM payments WHERE invoice_id = ${invoice.id}`).toEqual([
        { actor: 'user:collector@roles.test' },
      ]),
    );
  });

  it('keeps one admin at least, and disabling someone stops their tokens', async () => {
    const users = (await api.request('GET', '/api/users', { token: tokens.admin })).body.users as { id: string; email: string }[];
    const byEmail = (e: string) => users.find((u) => u.email === e)!.id;
    // Two admins (Ada, admin@roles.test): one may go, not both.
    expect(
      (await api.request('PATCH', `/api/users/${byEmail('ada@example.test')}`, { token: tokens.admin, body: { role: 'viewer' } })).status,
    ).toBe(200);
    expect(
      (await api.request('PATCH', `/api/users/${byEmail('admin@roles.test')}`, { token: tokens.admin, body: { disabled: true } })).body
        .error,
    ).toMatchObject({ code: 'LAST_ADMIN' });
    expect(
      (await api.request('PATCH', `/api/users/${byEmail('collector@roles.test')}`, { token: tokens.admin, body: { disabled: true } }))
        .status,
    ).toBe(200);
    expect((await api.request('GET', '/api/me', { token: tokens.collector })).status).toBe(401);
    expect(
      (await api.request('POST', '/api/users', { token: tokens.admin, body: { email: 'BOB@example.test', name: 'B', role: 'viewer' } }))
        .body.error,
    ).toMatchObject({ code: 'EMAIL_IN_USE', field: 'email' });
    expect(
      (await api.request('PATCH', `/api/users/${byEmail('viewer@roles.test')}`, { token: tokens.admin, body: { role: 'owner' } })).status,
    ).toBe(400);
  });
});

const count = async (table: string) => Number((await stack.db.sql.unsafe(`SELECT count(*)::int AS n FROM ${table}`))[0]!.n);
const hash = () => hashPassword(PASSWORD);
