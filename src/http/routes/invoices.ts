import { actorOf } from '../principal';
import { Router, type Request } from 'express';
import { z } from 'zod';
import { listInvoiceTimeline } from '../../db/audit-log';
import { findInvoiceDocument } from '../../db/documents';
import { findInvoice, findInvoiceLines, listInvoices, type InvoiceRow } from '../../db/invoices';
import { DomainError, ErrorCode } from '../../domain/errors';
import { createInvoice, createInvoiceSchema } from '../../services/create-invoice';
import { createInvoiceDescriber, type InvoiceOutlook } from '../../services/describe-invoices';
import { startCheckout } from '../../services/start-checkout';
import { writeOffInvoice, writeOffSchema } from '../../services/write-off-invoice';
import {
  manualPaymentSchema,
  openDispute,
  promiseSchema,
  promiseToPay,
  reasonSchema,
  recordManualPayment,
  resolveDispute,
  resolveFlag,
  resolveFlagSchema,
  voidInvoice,
} from '../../services/invoice-commands';
import { invoiceStateQuery, retryProjectionSignal, type InvoiceView } from '../../../workflows/messages';
import { workflowUrl, type HttpContext } from '../context';
import { parseBody, parseValue } from '../errors';
import { uuidParam } from './params';
import { singleLine } from '../../domain/input';

const listQuery = z.object({
  status: z.enum(['open', 'paid', 'void', 'uncollectible']).optional(),
  customerId: z.uuid().optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});
const idempotencyKey = singleLine(255).optional();
/** How long a read waits for a workflow's own answer before answering from Postgres. */
const LIVE_QUERY_DEADLINE_MS = 3_000;

export function invoiceRoutes(ctx: HttpContext): Router {
  const router = Router();
  const deps = { sql: ctx.sql, client: ctx.client };
  const describe = createInvoiceDescriber(ctx);

  /**
   * The stored invoice with its next action and what needs a human, from the projection; `live` is
   * the workflow's own view, given after a command or asked for when the projection cannot answer.
   */
  function present(row: InvoiceRow, outlook: InvoiceOutlook | null, live: InvoiceView | null) {
    return {
      id: row.id,
      number: row.number,
      customerId: row.customerId,
      status: live?.status ?? row.status,
      currency: row.currency,
      totalCents: row.totalCents,
      feesCents: live?.feesCents ?? row.feesCents,
      amountPaidCents: live?.amountPaidCents ?? row.paidCents - row.refundedCents,
      writtenOffCents: live?.writtenOffCents ?? row.writtenOffCents,
      amountDueCents: live?.amountDueCents ?? row.amountDueCents,
      issueDate: row.issueDate,
      dueAt: row.dueAt.toISOString(),
      dunningStage: live?.dunningStage ?? row.dunningStage,
      disputed: live?.disputed ?? row.disputed,
      promisedDate: live ? live.promisedDate : row.promisedDate,
      nextAction: live ? live.nextAction : (outlook?.nextAction ?? null),
      needsAttention: live ? live.needsAttention : (outlook?.needsAttention ?? []),
      policy: { name: row.policyName, version: row.policyVersion },
      workflowId: row.workflowId,
      temporalUrl: workflowUrl(ctx, row.workflowId),
      payUrl: `${ctx.publicUrl}/pay/${row.id}`,
      pdfUrl: `${ctx.publicUrl}/api/invoices/${row.id}/pdf`,
    };
  }

  /** One invoice as the projection has it, or as its workflow says where the projection cannot answer. */
  async function presentOne(row: InvoiceRow) {
    const outlook = (await describe([row])).get(row.id);
    return present(row, outlook ?? null, outlook === undefined && row.status === 'open' ? await queryLive(row) : null);
  }

  /** The workflow's view within a bound: a read never waits on a busy worker for long. */
  async function queryLive(row: InvoiceRow): Promise<InvoiceView | null> {
    try {
      return await ctx.client.withDeadline(Date.now() + LIVE_QUERY_DEADLINE_MS, () =>
        ctx.client.workflow.getHandle(row.workflowId).query(invoiceStateQuery),
      );
    } catch (err) {
      ctx.log.warn(
        { err: String(err), invoiceId: row.id, workflowId: row.workflowId },
        'live invoice query failed; answering from Postgres',
      );
      return null;
    }
  }

  async function load(req: Request): Promise<InvoiceRow> {
    const id = uuidParam(req.params.id, 'invoice');
    const row = await findInvoice(ctx.sql, id);
    if (!row) throw new DomainError(ErrorCode.NOT_FOUND, `invoice ${id} does not exist`);
    return row;
  }

  router.post('/', async (req, res) => {
    const key = parseValue(idempotencyKey, req.get('idempotency-key'), 'Idempotency-Key');
    const input = parseBody(createInvoiceSchema, req.body);
    const { invoice, created } = await createInvoice(
      {
        sql: ctx.sql,
        client: ctx.client,
        taskQueue: ctx.taskQueue,
        now: ctx.now,
        onStartFailure: (err, invoiceId) => ctx.log.warn({ err: String(err), invoiceId }, 'workflow start deferred to the reconciler'),
        ...(ctx.invoiceStart ? { start: ctx.invoiceStart } : {}),
      },
      input,
      { actor: actorOf(res), ...(key ? { idempotencyKey: key } : {}) },
    );
    // A new invoice's workflow has only just started: what it will do shows once its first events are written.
    const outlook = (await describe([invoice])).get(invoice.id) ?? null;
    res.status(created ? 201 : 200).json({ ...present(invoice, outlook, null), lines: await findInvoiceLines(ctx.sql, invoice.id) });
  });

  router.get('/', async (req, res) => {
    const filter = parseBody(listQuery, req.query);
    const rows = await listInvoices(ctx.sql, {
      limit: filter.limit,
      ...(filter.status ? { status: filter.status } : {}),
      ...(filter.customerId ? { customerId: filter.customerId } : {}),
    });
    const outlooks = await describe(rows);
    res.json({ invoices: rows.map((row) => present(row, outlooks.get(row.id) ?? null, null)) });
  });

  router.get('/:id', async (req, res) => {
    const row = await load(req);
    res.json({ ...(await presentOne(row)), lines: await findInvoiceLines(ctx.sql, row.id) });
  });

  router.get('/:id/pdf', async (req, res) => {
    const row = await load(req);
    const doc = await findInvoiceDocument(ctx.sql, row.id);
    if (!doc) throw new DomainError(ErrorCode.NOT_FOUND, `the PDF of invoice ${row.number} is not rendered yet`);
    res
      .type('application/pdf')
      .set('Content-Disposition', `inline; filename="${doc.filename}"`)
      .set('ETag', `"${doc.sha256}"`)
      .send(doc.content);
  });

  router.get('/:id/timeline', async (req, res) => {
    const row = await load(req);
    const events = await listInvoiceTimeline(ctx.sql, row.id);
    res.json({ events });
  });

  router.post('/:id/payments', async (req, res) => {
    const row = await load(req);
    const key = parseValue(idempotencyKey, req.get('idempotency-key'), 'Idempotency-Key');
    const body = parseBody(manualPaymentSchema, req.body);
    const { view, replayed } = await recordManualPayment(deps, row.id, body, {
      actor: actorOf(res),
      ...(key ? { idempotencyKey: key } : {}),
    });
    res.status(replayed ? 200 : 201).json(present(row, null, view));
  });

  /** Part or all of the amount due will not be collected (bank charges, a small balance, goodwill). */
  router.post('/:id/write-off', async (req, res) => {
    const row = await load(req);
    const key = parseValue(idempotencyKey, req.get('idempotency-key'), 'Idempotency-Key');
    const body = parseBody(writeOffSchema, req.body);
    const { view, replayed } = await writeOffInvoice(deps, row.id, body, { actor: actorOf(res), ...(key ? { idempotencyKey: key } : {}) });
    res.status(replayed ? 200 : 201).json(present(row, null, view));
  });

  const simple = (path: string, run: (id: string, reason: string | undefined, actor: string) => Promise<InvoiceView>) =>
    router.post(path, async (req, res) => {
      const row = await load(req);
      const { reason } = parseBody(reasonSchema, req.body);
      res.json(present(row, null, await run(row.id, reason, actorOf(res))));
    });
  simple('/:id/void', (id, reason, actor) => voidInvoice(deps, id, reason, actor));
  simple('/:id/dispute', (id, reason, actor) => openDispute(deps, id, reason, actor));
  simple('/:id/dispute/resolve', (id, reason, actor) => resolveDispute(deps, id, reason, actor));

  /** A hosted payment page for the amount due now, e.g. for an ERP or a portal to redirect to. */
  router.post('/:id/checkout', async (req, res) => {
    const row = await load(req);
    const session = await startCheckout(ctx, row.id);
    res.json({
      sessionId: session.id,
      url: session.url,
      expiresAt: session.expiresAt.toISOString(),
      amountCents: session.amountCents,
      currency: session.currency,
    });
  });

  /** A human settled a flagged payment or refund (`payment:<id>`, `refund:<id>`) outside the ledger. */
  router.post('/:id/flags/:flagId/resolve', async (req, res) => {
    const row = await load(req);
    const flagId = String(req.params.flagId);
    if (!singleLine(600).safeParse(flagId).success) throw new DomainError(ErrorCode.NOT_FOUND, 'no such flag');
    const body = parseBody(resolveFlagSchema, req.body);
    res.json(present(row, null, await resolveFlag(deps, row.id, flagId, body, actorOf(res))));
  });

  /** After the cause of a refused projection is fixed: project now instead of at the next hourly retry. */
  router.post('/:id/projection/retry', async (req, res) => {
    const row = await load(req);
    await ctx.client.workflow.getHandle(row.workflowId).signal(retryProjectionSignal);
    res.status(202).json({ invoiceId: row.id, status: 'retrying' });
  });

  router.post('/:id/promise', async (req, res) => {
    const row = await load(req);
    const body = parseBody(promiseSchema, req.body);
    res.json(present(row, null, await promiseToPay(deps, row.id, body, actorOf(res))));
  });

  return router;
}
