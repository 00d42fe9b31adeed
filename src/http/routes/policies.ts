import { Router } from 'express';
import { z } from 'zod';
import { findPolicyVersion, insertPolicyVersion, listPolicies, listPolicyVersions } from '../../db/policies';
import { describeChange, diffPolicies } from '../../domain/policy-diff';
import { DomainError, ErrorCode } from '../../domain/errors';
import { parsePolicyDocument } from '../../domain/policy-schema';
import { simulatePolicy, simulatePolicySchema } from '../../services/simulate-policy';
import type { HttpContext } from '../context';
import { parseBody } from '../errors';

const versionQuery = z.object({ version: z.coerce.number().int().positive().optional() });
const diffQuery = z.strictObject({ from: z.coerce.number().int().positive(), to: z.coerce.number().int().positive() });

export function policyRoutes(ctx: HttpContext): Router {
  const router = Router();
  /** Creates the next version of a policy; running invoices stay pinned to theirs. */
  router.post('/', async (req, res) => {
    const policy = await insertPolicyVersion(ctx.sql, parsePolicyDocument(req.body));
    res.status(201).json({ name: policy.name, version: policy.version });
  });
  router.get('/', async (_req, res) => {
    res.json({ policies: await listPolicies(ctx.sql) });
  });
  /** What changed between two versions, step by step. */
  router.get('/:name/diff', async (req, res) => {
    const { from, to } = parseBody(diffQuery, req.query);
    const [a, b] = await Promise.all([findPolicyVersion(ctx.sql, req.params.name, from), findPolicyVersion(ctx.sql, req.params.name, to)]);
    for (const [v, p] of [[from, a], [to, b]] as const) if (!p) throw new DomainError(ErrorCode.NOT_FOUND, `policy ${req.params.name} version ${v} does not exist`);
    const changes = diffPolicies(a!, b!);
    res.json({ name: req.params.name, from, to, changes: changes.map((c) => ({ ...c, summary: describeChange(c) })) });
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
