import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler, Response } from 'express';
import { userOfToken } from '../db/user-tokens';
import type { UserRow } from '../db/users';
import { ErrorCode } from '../domain/errors';
import { can, ROLE_NAMES, userActor, type Role } from '../domain/roles';
import type { HttpContext } from './context';
import { sendError } from './errors';
import { permissionFor } from './permissions';

/** Who is asking: a person (their own token or session) or the service token, with the role it acts in. */
export interface Principal {
  /** What audit rows, timelines and workflow histories say did it: `user:<email>`, or `api` for the service token. */
  readonly actor: string;
  readonly role: Role;
  readonly user: UserRow | null;
}

export const SERVICE_PRINCIPAL: Principal = { actor: 'api', role: 'admin', user: null };
export const userPrincipal = (user: UserRow): Principal => ({ actor: userActor(user.email), role: user.role, user });

/** The principal the auth middleware found (routes behind it only). */
export const principalOf = (res: Response): Principal => res.locals.principal as Principal;
export const actorOf = (res: Response): string => principalOf(res).actor;

const digest = (s: string) => createHash('sha256').update(s).digest();

/**
 * `/api` authentication and authorisation: `Authorization: Bearer <token>` with the service token
 * (`API_TOKEN`, an admin named `api`) or a person's own token (`ce_…`, their role); then the route's
 * permission (`permissions.ts`) against the role: 401 without a live token, 403 `FORBIDDEN` beyond it.
 */
export function apiAuth(ctx: HttpContext): RequestHandler {
  const service = digest(ctx.apiToken);
  return async (req, res, next) => {
    const match = /^Bearer\s+(.+)$/i.exec(req.get('authorization') ?? '');
    const token = match?.[1]?.trim() ?? '';
    let principal: Principal | null = null;
    if (token && timingSafeEqual(digest(token), service)) principal = SERVICE_PRINCIPAL;
    else if (token) {
      const user = await userOfToken(ctx.sql, token, ctx.now());
      if (user) principal = userPrincipal(user);
    }
    if (!principal) {
      res.set('WWW-Authenticate', 'Bearer');
      sendError(res, ErrorCode.UNAUTHORIZED, 'missing or invalid bearer token');
      return;
    }
    const permission = permissionFor(req.method, req.path);
    if (!can(principal.role, permission)) {
      sendError(res, ErrorCode.FORBIDDEN, `a ${ROLE_NAMES[principal.role].toLowerCase()} may not do this (it needs ${permission})`);
      return;
    }
    res.locals.principal = principal;
    next();
  };
}
