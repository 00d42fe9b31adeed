import { actorOf } from '../principal';
import { Router } from 'express';
import { z } from 'zod';
import { findPolicyVersion, insertPolicyVersion, listPolicies, listPolicyVersions } from '../../db/policies';
import { describeChange, diffPolicies } from '../../domain/policy-diff';
import { DomainError, ErrorCode } from '../../domain/errors';
import { parsePolicyDocument } from '../../domain/policy-schema';
import { readPolicyMigration, startMigrationSchema, startPolicyMigration } from '../../services/policy-migrations';
import { simulatePolicy, simulatePolicySchema } from '../../services/simulate-policy';
import { workflowUrl, type HttpContext } from '../context';
import { parseBody, parseValue } from '../errors';
import { int4Id, POLICY_NAME } from '../../domain/input';

const versionQuery = z.object({ version: int4Id('policy version').optional() });
const versionParam = int4Id('policy version');
const diffQuery = z.strictObject({ from: int4Id('policy version'), to: int4Id('policy version') });

/** A policy name in the path; anything that cannot be a policy name names no policy. */
function nameParam(value: string | undefined): string {
  if (!value || !POLICY_NAME.test(value))
    throw new DomainError(ErrorCode.NOT_FOUND, `policy ${JSON.stringify(value ?? '')} does not exist`);
  return value;
}

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
    const name = nameParam(req.params.name);
    const { from, to } = parseBody(diffQuery, req.query);
    const [a, b] = await Promise.all([findPolicyVersion(ctx.sql, name, from), findPolicyVersion(ctx.sql, name, to)]);
    for (const [v, p] of [
      [from, a],
      [to, b],
    ] as const)
      if (!p) throw new DomainError(ErrorCode.NOT_FOUND, `policy ${name} version ${v} does not exist`);
    const changes = diffPolicies(a!, b!);
    res.json({ name, from, to, changes: changes.map((c) => ({ ...c, summary: describeChange(c) })) });
  });
  /** The exact timeline a (draft or stored) policy gives an existing or hypothetical invoice. */
  router.post('/simulate', async (req, res) => {
    res.json(await simulatePolicy(ctx, parseBody(simulatePolicySchema, req.body)));
  });
  /**
   * Moves every running invoice on the policy to `toVersion` for its future steps (a Temporal
   * workflow, found in the UI as policy-migration-<name>-v<version>). Answers at once with progress.
   */
  router.post('/:name/migrations', async (req, res) => {
    const status = await startPolicyMigration(ctx, nameParam(req.params.name), parseBody(startMigrationSchema, req.body), actorOf(res));
    res.status(202).json({ ...status, temporalUrl: workflowUrl(ctx, status.workflowId) });
  });
  router.get('/:name/migrations/:version', async (req, res) => {
    const name = nameParam(req.params.name);
    const version = parseValue(versionParam, req.params.version, 'version');
    const status = await readPolicyMigration(ctx.client, name, version);
    res.json({ ...status, temporalUrl: workflowUrl(ctx, status.workflowId) });
  });
  router.get('/:name', async (req, res) => {
    const name = nameParam(req.params.name);
    const { version } = parseBody(versionQuery, req.query);
    const policy = await findPolicyVersion(ctx.sql, name, version);
    if (!policy) throw new DomainError(ErrorCode.NOT_FOUND, `policy ${name}${version ? ` version ${version}` : ''} does not exist`);
    const versions = await listPolicyVersions(ctx.sql, policy.name);
    res.json({ ...policy, versions: versions.map((v) => v.version) });
  });
  return router;
}
