import { Router } from 'express';
import { z } from 'zod';
import { listUserTokens, type UserTokenRow } from '../../db/user-tokens';
import { listUsers, type UserRow } from '../../db/users';
import { DomainError, ErrorCode } from '../../domain/errors';
import { issueUserToken, revokeOwnToken, tokenNameSchema } from '../../services/user-tokens';
import { changeUser, inviteUser, inviteUserSchema, sendUserLink, updateUserSchema } from '../../services/manage-users';
import type { HttpContext } from '../context';
import { parseBody } from '../errors';
import { actorOf, principalOf } from '../principal';
import { uuidParam } from './params';

export const presentUser = (u: UserRow) => ({
  id: u.id,
  email: u.email,
  name: u.name,
  role: u.role,
  locale: u.locale,
  status: u.disabledAt ? 'disabled' : u.hasPassword ? 'active' : 'invited',
  createdAt: u.createdAt.toISOString(),
  createdBy: u.createdBy,
});
const presentToken = (t: UserTokenRow) => ({
  id: t.id,
  name: t.name,
  prefix: t.prefix,
  createdAt: t.createdAt.toISOString(),
  lastUsedAt: t.lastUsedAt?.toISOString() ?? null,
  revokedAt: t.revokedAt?.toISOString() ?? null,
});

/** `/api/users`: people and their roles (admins only; see permissions.ts). */
export function userRoutes(ctx: HttpContext): Router {
  const router = Router();
  const deps = { sql: ctx.sql, client: ctx.client, taskQueue: ctx.taskQueue, now: ctx.now };
  router.get('/', async (_req, res) => {
    res.json({ users: (await listUsers(ctx.sql)).map(presentUser) });
  });
  router.post('/', async (req, res) => {
    res.status(201).json(presentUser(await inviteUser(deps, parseBody(inviteUserSchema, req.body), actorOf(res))));
  });
  router.patch('/:id', async (req, res) => {
    const id = uuidParam(req.params.id, 'user');
    res.json(presentUser(await changeUser(deps, id, parseBody(updateUserSchema, req.body), actorOf(res))));
  });
  router.post('/:id/password-link', async (req, res) => {
    res.status(202).json(await sendUserLink(deps, uuidParam(req.params.id, 'user')));
  });
  return router;
}

const newTokenSchema = z.strictObject({ name: tokenNameSchema });

/** `/api/me`: who the token belongs to, and a person's own API tokens. */
export function meRoutes(ctx: HttpContext): Router {
  const router = Router();
  const person = (res: Parameters<typeof principalOf>[0]) => {
    const { user } = principalOf(res);
    if (!user) throw new DomainError(ErrorCode.VALIDATION, 'the service token (API_TOKEN) is nobody: personal tokens belong to people');
    return user;
  };
  router.get('/', (_req, res) => {
    const p = principalOf(res);
    res.json({ actor: p.actor, role: p.role, user: p.user ? presentUser(p.user) : null });
  });
  router.get('/tokens', async (_req, res) => {
    res.json({ tokens: (await listUserTokens(ctx.sql, person(res).id)).map(presentToken) });
  });
  /** The token is in this answer only: it is stored as a hash. */
  router.post('/tokens', async (req, res) => {
    const user = person(res);
    const { name } = parseBody(newTokenSchema, req.body);
    const { token, row } = await issueUserToken(ctx.sql, { user, name, actor: actorOf(res), now: ctx.now() });
    res.status(201).json({ ...presentToken(row), token });
  });
  router.delete('/tokens/:id', async (req, res) => {
    const user = person(res);
    const revoked = await revokeOwnToken(ctx.sql, { user, tokenId: String(req.params.id), actor: actorOf(res), now: ctx.now() });
    res.json(presentToken(revoked));
  });
  return router;
}
