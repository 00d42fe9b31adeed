import { Router } from 'express';
import { z } from 'zod';
import { findPolicyVersion, insertPolicyVersion, listPolicyVersions } from '../../db/policies';
import { DomainError, ErrorCode } from '../../domain/errors';
import { parsePolicyDocument } from '../../domain/policy-schema';
import { simulatePolicy, simulatePolicySchema } from '../../services/simulate-policy';
import type { HttpContext } from '../context';
import { parseBody } from '../errors';

const versionQuery = z.object({ version: z.coerce.number().int().positive().optional() });

export function policyRoutes(ctx: HttpContext): Router {
  const router = Router();
  /** Creates the next version of a policy; running invoices stay pinned to theirs. */
  router.post('/', async (req, res) => {
    const policy = await insertPolicyVersion(ctx.sql, parsePolicyDocument(req.body));
    res.status(201).json({ name: policy.name, version: policy.version });
  });
  /** The exact timeline a (draft or stored) policy gives an existing or hypothetical invoice. */
  router.post('/simulate', async (req, res) => {
    res.json(await simulatePolicy(ctx, parseBody(simulatePolicySchema, req.body)));
  });
  router.get('/:name', async (req, res) => {
    const { version } = parseBody(versionQuery, req.query);
    const policy = await findPolicyVersion(ctx.sql, req.params.name, version);
    if (!policy) throw new DomainError(ErrorCode.NOT_FOUND, `policy ${req.params.name}${version ? ` version ${version}` : ''} does not exist`);
    const versions = await listPolicyVersions(ctx.sql, policy.name);
    res.json({ ...policy, versions: versions.map((v) => v.version) });
  });
  return router;
}
