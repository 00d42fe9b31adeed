import { timingSafeEqual } from 'node:crypto';
import express, { Router, type NextFunction, type Request, type Response } from 'express';
import { endUserSession, touchUserSession } from '../../db/user-sessions';
import { listUserTokens } from '../../db/user-tokens';
import type { UserRow } from '../../db/users';
import { DomainError, ErrorCode } from '../../domain/errors';
import { ROLE_NAMES } from '../../domain/roles';
import {
  describePasswordLink,
  firstAdminSchema,
  newPasswordSchema,
  requestPasswordReset,
  resetRequestSchema,
  setPasswordWithLink,
} from '../../services/password-links';
import { SESSION_IDLE_MS, SESSION_TTL_MS, signIn, signInSchema } from '../../services/sign-in';
import { issueUserToken, revokeOwnToken, tokenNameSchema } from '../../services/user-tokens';
import type { HttpContext } from '../context';
import { html, layout, type Raw } from '../html';
import { userPrincipal, type Principal } from '../principal';

/** The session cookie: sent to the app, the dashboard and the codec server (the Temporal UI's calls). */
export const SESSION_COOKIE = 'ce_session';

/** A signed-in person on a page request, with their session's CSRF token. */
export interface AppSession {
  readonly user: UserRow;
  readonly principal: Principal;
  readonly csrfToken: string;
}

/** The live session a request carries (its cookie), extending it; undefined when signed out. */
export async function sessionOf(ctx: HttpContext, req: Request): Promise<AppSession | undefined> {
  const token = cookie(req, SESSION_COOKIE);
  if (!token) return undefined;
  const found = await touchUserSession(ctx.sql, token, { now: ctx.now(), idleMs: SESSION_IDLE_MS });
  return found && { user: found.user, principal: userPrincipal(found.user), csrfToken: found.csrfToken };
}

export function cookie(req: Request, name: string): string | undefined {
  for (const part of (req.get('cookie') ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return v.join('=');
  }
  return undefined;
}

/**
 * `/app`, the web app people sign in to: email and password (argon2id), sessions in Postgres behind
 * an HttpOnly, SameSite=Strict cookie, a CSRF token in every form of a signed-in page, and requests
 * from another origin refused. Forgotten passwords are reset by an emailed one-time link; the first
 * admin is created through the link `npm start` prints.
 */
export function appRoutes(ctx: HttpContext): Router {
  const router = Router();
  router.use(express.urlencoded({ extended: false, limit: '16kb' }));
  const secure = ctx.publicUrl.startsWith('https:');
  const origin = new URL(ctx.publicUrl).origin;
  const deps = { sql: ctx.sql, client: ctx.client, taskQueue: ctx.taskQueue };
  const setCookie = (res: Response, value: string, maxAgeS: number) =>
    res.set('Set-Cookie', `${SESSION_COOKIE}=${value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeS}${secure ? '; Secure' : ''}`);
  const page = (res: Response, status: number, title: string, body: Raw, session?: AppSession) =>
    res
      .status(status)
      .type('html')
      .set('Cache-Control', 'no-store')
      .send(layout(`${title} — Collections`, html`${session ? nav(ctx, session) : ''}${body}`));

  // A form posted from another site is refused before anything reads it (the cookie is SameSite too).
  router.use((req, res, next) => {
    if (req.method !== 'POST') return next();
    const from = req.get('origin') ?? (req.get('referer') ? new URL(req.get('referer')!).origin : null);
    if (from !== null && from !== origin)
      return page(res, 403, 'Refused', html`<h1>Refused</h1><p class="alert" role="alert">This form was sent from another site.</p>`);
    next();
  });

  /** A signed-in page: the session, or the sign-in form. */
  const signedIn =
    (handler: (req: Request, res: Response, s: AppSession) => Promise<void>) => async (req: Request, res: Response, next: NextFunction) => {
      const s = await sessionOf(ctx, req);
      if (!s) return signInPage(res, 200, null);
      if (req.method === 'POST' && !sameToken(String(req.body?._csrf ?? ''), s.csrfToken))
        return page(
          res,
          403,
          'Refused',
          html`<h1>Refused</h1><p class="alert" role="alert">This form has expired. Go back, reload the page and try again.</p>`,
          s,
        );
      try {
        await handler(req, res, s);
      } catch (err) {
        next(err);
      }
    };

  function signInPage(res: Response, status: number, message: string | null, o: { email?: string; notice?: string } = {}) {
    page(
      res,
      status,
      'Sign in',
      html`
      <h1>Sign in</h1>
      ${o.notice ? html`<p class="notice" role="status">${o.notice}</p>` : ''}
      ${message ? html`<p class="alert" role="alert">${message}</p>` : ''}
      <form method="post" action="${ctx.publicUrl}/app/login" class="stack">
        <label>Email <input type="email" name="email" required autocomplete="username" value="${o.email ?? ''}"></label>
        <label>Password <input type="password" name="password" required autocomplete="current-password"></label>
        <button type="submit">Sign in</button>
      </form>
      <p><a href="${ctx.publicUrl}/app/forgot">Forgot your password?</a></p>`,
    );
  }

  router.get(
    '/',
    signedIn(async (_req, res, s) => homePage(res, s)),
  );
  router.get('/login', async (req, res) => {
    if (await sessionOf(ctx, req)) return res.redirect(303, `${ctx.publicUrl}/app`);
    signInPage(res, 200, null);
  });
  router.post('/login', async (req, res) => {
    const body = signInSchema.safeParse(req.body ?? {});
    if (!body.success) return signInPage(res, 400, 'Enter your email and password.');
    try {
      const session = await signIn(ctx.sql, body.data, ctx.now());
      setCookie(res, session.token, SESSION_TTL_MS / 1000);
      res.redirect(303, `${ctx.publicUrl}/app`);
    } catch (err) {
      if (err instanceof DomainError && err.code === ErrorCode.UNAUTHORIZED)
        return signInPage(res, 401, err.message, { email: body.data.email });
      throw err;
    }
  });
  router.post(
    '/logout',
    signedIn(async (req, res) => {
      const token = cookie(req, SESSION_COOKIE);
      if (token) await endUserSession(ctx.sql, token);
      setCookie(res, '', 0);
      signInPage(res, 200, null, { notice: 'You are signed out.' });
    }),
  );

  router.get('/forgot', (_req, res) => forgotPage(res, 200, null));
  router.post('/forgot', async (req, res) => {
    const body = resetRequestSchema.safeParse(req.body ?? {});
    if (!body.success || !body.data.email) return forgotPage(res, 400, 'Enter the email address you sign in with.');
    await requestPasswordReset(deps, body.data.email);
    signInPage(res, 200, null, {
      notice: 'If that address has an account, a link to choose a new password is on its way (it works for an hour).',
    });
  });
  function forgotPage(res: Response, status: number, message: string | null) {
    page(
      res,
      status,
      'Forgot your password',
      html`
      <h1>Forgot your password</h1>
      ${message ? html`<p class="alert" role="alert">${message}</p>` : ''}
      <form method="post" action="${ctx.publicUrl}/app/forgot" class="stack">
        <label>Email <input type="email" name="email" required autocomplete="username"></label>
        <button type="submit">Email me a link</button>
      </form>`,
    );
  }

  router.get('/password/:token', async (req, res) => {
    const link = await describePasswordLink(ctx.sql, req.params.token, ctx.now());
    if (!link) return expiredLink(res);
    passwordPage(res, 200, req.params.token, link.user, null);
  });
  router.post('/password/:token', async (req, res) => {
    const token = req.params.token;
    const link = await describePasswordLink(ctx.sql, token, ctx.now());
    if (!link) return expiredLink(res);
    const { _csrf: _none, ...fields } = (req.body ?? {}) as Record<string, string>;
    const parsed = (link.user ? newPasswordSchema : firstAdminSchema).safeParse(fields);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      return passwordPage(res, 400, token, link.user, `${String(issue.path[0] ?? 'password')}: ${issue.message}`, fields);
    }
    try {
      const user = await setPasswordWithLink(ctx.sql, token, parsed.data, ctx.now());
      signInPage(res, 200, null, { email: user.email, notice: 'Your password is set. Sign in with it.' });
    } catch (err) {
      if (err instanceof DomainError && err.code === ErrorCode.NOT_FOUND) return expiredLink(res);
      throw err;
    }
  });
  function expiredLink(res: Response) {
    page(
      res,
      404,
      'Link expired',
      html`<h1>This link has expired</h1><p>It was used already, or it is too old. <a href="${ctx.publicUrl}/app/forgot">Ask for a new one</a>.</p>`,
    );
  }
  function passwordPage(
    res: Response,
    status: number,
    token: string,
    user: UserRow | null,
    message: string | null,
    fields: Record<string, string> = {},
  ) {
    page(
      res,
      status,
      user ? 'Choose a password' : 'Create the first admin',
      html`
      <h1>${user ? `Choose a password, ${user.name}` : 'Create the first admin'}</h1>
      ${message ? html`<p class="alert" role="alert">${message}</p>` : ''}
      <form method="post" action="${ctx.publicUrl}/app/password/${token}" class="stack">
        ${
          user
            ? html`<input type="hidden" name="username" value="${user.email}" autocomplete="username">`
            : html`<label>Email <input type="email" name="email" required autocomplete="username" value="${fields.email ?? ''}"></label>
                   <label>Name <input name="name" required autocomplete="name" value="${fields.name ?? ''}"></label>`
        }
        <label>Password (at least 12 characters) <input type="password" name="password" required minlength="12" maxlength="256" autocomplete="new-password"></label>
        <button type="submit">Save</button>
      </form>`,
    );
  }

  // Personal API tokens.
  router.get(
    '/tokens',
    signedIn((_req, res, s) => tokensPage(res, s, null)),
  );
  router.post(
    '/tokens',
    signedIn(async (req, res, s) => {
      const name = tokenNameSchema.safeParse(req.body?.name);
      if (!name.success) return await tokensPage(res, s, null, 'Name the token (what will use it).');
      const { token } = await issueUserToken(ctx.sql, { user: s.user, name: name.data, actor: s.principal.actor, now: ctx.now() });
      await tokensPage(res, s, token);
    }),
  );
  router.post(
    '/tokens/:id/revoke',
    signedIn(async (req, res, s) => {
      await revokeOwnToken(ctx.sql, { user: s.user, tokenId: String(req.params.id), actor: s.principal.actor, now: ctx.now() });
      res.redirect(303, `${ctx.publicUrl}/app/tokens`);
    }),
  );
  async function tokensPage(res: Response, s: AppSession, created: string | null, message?: string) {
    const tokens = await listUserTokens(ctx.sql, s.user.id);
    page(
      res,
      message ? 400 : 200,
      'API tokens',
      html`
      <h1>Your API tokens</h1>
      <p>A token acts as you, with your role (${ROLE_NAMES[s.user.role]}): <code>Authorization: Bearer &lt;token&gt;</code>.</p>
      ${created ? html`<p class="notice" role="status">Your new token, shown this once: <code id="new-token">${created}</code></p>` : ''}
      ${message ? html`<p class="alert" role="alert">${message}</p>` : ''}
      <form method="post" action="${ctx.publicUrl}/app/tokens" class="inline">
        <input type="hidden" name="_csrf" value="${s.csrfToken}">
        <label>Name <input name="name" required maxlength="100" placeholder="ERP sync"></label>
        <button type="submit">Create a token</button>
      </form>
      ${
        tokens.length === 0
          ? html`<p class="muted">No tokens yet.</p>`
          : html`<table id="tokens"><thead><tr><th>Name</th><th>Starts with</th><th>Created</th><th>Last used</th><th></th></tr></thead><tbody>
            ${tokens.map(
              (t) => html`<tr><td>${t.name}</td><td><code>${t.prefix}…</code></td><td>${t.createdAt.toISOString().slice(0, 10)}</td>
                <td>${t.lastUsedAt?.toISOString().slice(0, 16).replace('T', ' ') ?? 'never'}</td>
                <td>${
                  t.revokedAt
                    ? 'revoked'
                    : html`<form method="post" action="${ctx.publicUrl}/app/tokens/${t.id}/revoke"><input type="hidden" name="_csrf" value="${s.csrfToken}"><button type="submit">Revoke</button></form>`
                }</td></tr>`,
            )}
          </tbody></table>`
      }`,
      s,
    );
  }

  function homePage(res: Response, s: AppSession) {
    page(
      res,
      200,
      'Home',
      html`
      <h1>Hello, ${s.user.name}</h1>
      <p>You are signed in as ${s.user.email}, ${ROLE_NAMES[s.user.role].toLowerCase()}.</p>
      <ul>
        <li><a href="${ctx.publicUrl}/dashboard">Dashboard</a>: aging, KPIs and what needs a human</li>
        <li><a href="${ctx.publicUrl}/app/tokens">API tokens</a> that act as you</li>
      </ul>`,
      s,
    );
  }
  return router;
}

/** The bar on every signed-in page: who, and signing out. */
function nav(ctx: HttpContext, s: AppSession): Raw {
  return html`<nav class="bar"><a href="${ctx.publicUrl}/app">Collections</a> <a href="${ctx.publicUrl}/dashboard">Dashboard</a>
    <span class="who">${s.user.name} · ${ROLE_NAMES[s.user.role]}</span>
    <form method="post" action="${ctx.publicUrl}/app/logout" class="inline"><input type="hidden" name="_csrf" value="${s.csrfToken}"><button type="submit">Sign out</button></form></nav>`;
}

function sameToken(a: string, b: string): boolean {
  return a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));
}
