import { actorOf } from '../principal';
import { Router, type Request } from 'express';
import { z } from 'zod';
import { readCustomerBalances } from '../../db/customer-account';
import { findCustomer, findCustomerDetails, listCustomers, type CustomerCursor, type CustomerRow } from '../../db/customers';
import { listInvoices } from '../../db/invoices';
import { createPortalToken, PORTAL_TOKEN_TTL_DAYS } from '../../db/portal-tokens';
import { DomainError, ErrorCode } from '../../domain/errors';
import { createCustomer, createCustomerSchema } from '../../services/create-customer';
import { creditHoldSchema, placeHold, releaseHold, releaseHoldSchema } from '../../services/credit-hold';
import { createInvoiceDescriber } from '../../services/describe-invoices';
import { updateCustomerRecord, updateCustomerSchema } from '../../services/update-customer';
import {
  describeAccount,
  notifyAccount,
  pauseDunning,
  pauseDunningSchema,
  resumeDunning,
  resumeDunningSchema,
} from '../../services/customer-dunning';
import type { HttpContext } from '../context';
import { parseBody } from '../errors';
import { uuidParam } from './params';
import {
  readStatement,
  sendStatement,
  statementPeriod,
  statementPeriodSchema,
  statementQuerySchema,
} from '../../services/customer-statement';
import { renderStatementPdf } from '../../documents/statement-pdf';
import { nextStatementRuns } from '../../temporal/statement-schedules';
import { singleLine } from '../../domain/input';
import { parseValue } from '../errors';

/** How many open invoices the account summary reads to find the next planned contact. */
const NEXT_CONTACT_INVOICES = 500;

const cursor = z
  .string()
  .max(600)
  .transform((v, ctx): CustomerCursor => {
    try {
      const parsed = z
        .strictObject({ name: z.string().max(200), id: z.uuid() })
        .parse(JSON.parse(Buffer.from(v, 'base64url').toString('utf8')));
      return parsed;
    } catch {
      ctx.addIssue({ code: 'custom', message: 'is not a cursor this API returned' });
      return z.NEVER;
    }
  });
const listQuery = z.strictObject({
  query: z.string().trim().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: cursor.optional(),
});
const encodeCursor = (c: CustomerCursor) => Buffer.from(JSON.stringify(c)).toString('base64url');

export function customerRoutes(ctx: HttpContext): Router {
  const router = Router();
  const describe = createInvoiceDescriber(ctx);
  const accountDeps = { sql: ctx.sql, client: ctx.client, taskQueue: ctx.taskQueue, now: ctx.now };

  const load = async (req: Request): Promise<CustomerRow> => {
    const customer = await findCustomer(ctx.sql, uuidParam(req.params.id, 'customer'));
    if (!customer) throw new DomainError(ErrorCode.NOT_FOUND, `customer ${req.params.id} does not exist`);
    return customer;
  };
  const present = async (customer: CustomerRow) => ({ ...presentRow(customer), ...(await findCustomerDetails(ctx.sql, customer.id)) });

  /** The account: balances per currency, the hold, and when the customer will next hear from us. */
  const account = async (customer: CustomerRow) => {
    const now = ctx.now();
    const balances = await readCustomerBalances(ctx.sql, customer.id, now);
    const open = await listInvoices(ctx.sql, { status: 'open', customerId: customer.id, limit: NEXT_CONTACT_INVOICES });
    const outlooks = await describe(open);
    const next = open
      .flatMap((row) => {
        const action = outlooks.get(row.id)?.nextAction;
        return action?.step ? [{ at: action.at, invoiceId: row.id, number: row.number, template: action.step.template }] : [];
      })
      .sort((a, b) => a.at.localeCompare(b.at))[0];
    // The account workflow knows what is really planned: reminders grouped, capped or paused.
    const live = await describeAccount(accountDeps, customer.id);
    // When the monthly statements go out, from their Schedule (null: not opted in, or Temporal away).
    const nextStatements = customer.statementDay === null ? null : await nextStatementRuns(ctx.client, customer.id).catch(() => null);
    return {
      ...balances,
      creditHold: holdOf(customer),
      nextStep: next ?? null,
      nextStatements,
      reminders: live
        ? { pending: live.pending.length, nextContact: live.nextContact, paused: live.paused, cap: live.cap, recent: live.recent.slice(-5) }
        : null,
    };
  };

  router.post('/', async (req, res) => {
    const customer = await createCustomer(ctx.sql, parseBody(createCustomerSchema, req.body), actorOf(res));
    res.status(201).json(await present(customer));
  });
  router.get('/', async (req, res) => {
    const q = parseBody(listQuery, req.query);
    const page = await listCustomers(ctx.sql, {
      limit: q.limit,
      ...(q.query ? { query: q.query } : {}),
      ...(q.cursor ? { after: q.cursor } : {}),
    });
    res.json({ customers: page.customers.map(presentRow), nextCursor: page.next ? encodeCursor(page.next) : null });
  });
  router.get('/:id', async (req, res) => {
    const customer = await load(req);
    res.json({ ...(await present(customer)), account: await account(customer) });
  });
  router.patch('/:id', async (req, res) => {
    const id = uuidParam(req.params.id, 'customer');
    const input = parseBody(updateCustomerSchema, req.body);
    const { customer, changed } = await updateCustomerRecord(ctx, id, input, actorOf(res));
    if (changed.some((f) => f === 'reminderGroupingWindow' || f === 'reminderMinGap' || f === 'creditLimits'))
      await notifyAccount(accountDeps, id, 'settings changed');
    res.json({ ...(await present(customer)), changed });
  });
  router.post('/:id/credit-hold', async (req, res) => {
    const id = uuidParam(req.params.id, 'customer');
    const { customer, placed } = await placeHold(ctx, id, parseBody(creditHoldSchema, req.body), actorOf(res));
    if (placed) await notifyAccount(accountDeps, id, 'credit hold placed');
    res.status(placed ? 201 : 200).json({ ...(await present(customer)), placed });
  });
  router.delete('/:id/credit-hold', async (req, res) => {
    const id = uuidParam(req.params.id, 'customer');
    const customer = await releaseHold(ctx, id, parseBody(releaseHoldSchema, req.body ?? {}), actorOf(res));
    await notifyAccount(accountDeps, id, 'credit hold released');
    res.json(await present(customer));
  });
  router.post('/:id/dunning/pause', async (req, res) => {
    const id = uuidParam(req.params.id, 'customer');
    res.json(await pauseDunning(accountDeps, id, parseBody(pauseDunningSchema, req.body), actorOf(res)));
  });
  router.post('/:id/dunning/resume', async (req, res) => {
    const id = uuidParam(req.params.id, 'customer');
    res.json(await resumeDunning(accountDeps, id, parseBody(resumeDunningSchema, req.body ?? {}), actorOf(res)));
  });
  /**
   * The statement of account for a period (default: this month so far), as JSON or a PDF. Its
   * balances are the ledger's; see `buildStatement`.
   */
  router.get('/:id/statement', async (req, res) => {
    const customer = await load(req);
    const { format, ...period } = parseBody(statementQuerySchema, req.query);
    const statement = await readStatement(ctx.sql, customer, statementPeriod(customer, period, ctx.now()));
    if (format === 'json') {
      res.json(statement);
      return;
    }
    const pdf = await renderStatementPdf(statement, { seller: ctx.seller });
    res
      .type('application/pdf')
      .set('Content-Disposition', `attachment; filename="statement-${statement.from}-${statement.to}.pdf"`)
      .send(pdf);
  });
  /** Emails the statement (with its PDF and a pay-all link) to the billing contacts, once per Idempotency-Key. */
  router.post('/:id/statement/send', async (req, res) => {
    const id = uuidParam(req.params.id, 'customer');
    const key = parseValue(idempotencyKey, req.get('idempotency-key'), 'Idempotency-Key');
    const { repeated, ...answer } = await sendStatement(accountDeps, id, parseBody(statementPeriodSchema, req.body ?? {}), {
      actor: actorOf(res),
      ...(key ? { idempotencyKey: key } : {}),
    });
    res.status(answer.outcome === 'sending' ? 202 : repeated ? 200 : 201).json(answer);
  });
  /** A new customer portal link (the invoice emails carry one each); only its hash is kept. */
  router.post('/:id/portal-links', async (req, res) => {
    const { ttlDays } = parseBody(portalLinkSchema, req.body);
    const customer = await load(req);
    const { token, expiresAt } = await createPortalToken(ctx.sql, {
      customerId: customer.id,
      createdFor: actorOf(res),
      now: ctx.now(),
      ttlDays,
    });
    res.status(201).json({ url: `${ctx.publicUrl}/portal/${token}`, expiresAt: expiresAt.toISOString() });
  });
  return router;
}

const idempotencyKey = singleLine(255).optional();
const portalLinkSchema = z.strictObject({ ttlDays: z.number().int().min(1).max(365).default(PORTAL_TOKEN_TTL_DAYS) });

const holdOf = (c: CustomerRow) =>
  c.creditHold ? { source: c.creditHoldSource, reason: c.creditHoldReason, since: c.creditHoldAt?.toISOString() ?? null } : null;

/** A customer as the API shows it: settings grouped, the hold in words. */
function presentRow(c: CustomerRow) {
  return {
    id: c.id,
    name: c.name,
    email: c.email,
    timeZone: c.timeZone,
    currency: c.currency,
    paymentTermsDays: c.paymentTermsDays,
    policyName: c.policyName,
    locale: c.locale,
    externalId: c.externalId,
    creditHold: c.creditHold,
    hold: holdOf(c),
    creditHoldAutoRelease: c.creditHoldAutoRelease,
    reminders: { groupingWindow: c.reminderGroupingWindow, minGap: c.reminderMinGap },
    statements: { monthly: c.statementDay !== null, dayOfMonth: c.statementDay },
    createdAt: c.createdAt.toISOString(),
    updatedAt: c.updatedAt.toISOString(),
  };
}
