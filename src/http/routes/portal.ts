import express, { Router, type Request, type Response } from 'express';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { readBalanceDetails, type BalanceDetails } from '../../db/customer-balance';
import { applyCustomerBalance } from '../../services/apply-customer-balance';
import { startCustomerCheckout } from '../../services/start-customer-checkout';
import { findCustomer, type CustomerRow } from '../../db/customers';
import { findInvoiceDocument } from '../../db/documents';
import { resolvePortalToken } from '../../db/portal-tokens';
import { DomainError, ErrorCode } from '../../domain/errors';
import { STATUS_OF } from '../errors';
import { formatMoney } from '../../domain/money';
import { openDispute, promiseToPay } from '../../services/invoice-commands';
import { invoiceStateQuery } from '../../../workflows/messages';
import { listCustomerPayments } from '../../db/customer-payments';
import { findInvoice, listInvoices, type InvoiceRow } from '../../db/invoices';
import { localDate } from '../../domain/schedule';
import { createInvoiceDescriber, type InvoiceDescriber, type InvoiceOutlook } from '../../services/describe-invoices';
import type { HttpContext } from '../context';
import { html, layout, raw, type Raw } from '../html';
import { CONTROL_CHARACTERS_MESSAGE, isStorableText } from '../../domain/text';
import { readStatement, statementPeriod, statementQuerySchema } from '../../services/customer-statement';
import { renderStatementPdf } from '../../documents/statement-pdf';
import { AGING_BUCKETS } from '../../domain/aging';
import { STEP_TEMPLATE_NAMES } from '../../domain/policy';
import type { StatementView } from '../../domain/statement';

const TEMPLATE_NAMES: Readonly<Record<string, string>> = STEP_TEMPLATE_NAMES;

const disputeForm = z.object({
  reason: z
    .string()
    .trim()
    .min(1, 'please say what is wrong with the invoice')
    .max(1000, 'please keep it under 1,000 characters')
    .refine((r) => isStorableText(r, { multiline: true }), `the reason ${CONTROL_CHARACTERS_MESSAGE}`),
});
const promiseForm = z.object({ date: z.iso.date({ error: 'choose a date' }) });
const balanceForm = z.object({ currency: z.string().regex(/^[A-Z]{3}$/), key: z.uuid() });

/**
 * The customer portal, opened by the link in every invoice email: the customer's open invoices with
 * what is due and what happens next (live from each invoice's workflow), PDFs, payment history, pay
 * links, and forms to dispute an invoice or promise to pay by a date. The token in the path opens one
 * customer's account until it expires; anything else answers 404.
 */
export function portalRoutes(ctx: HttpContext): Router {
  const router = Router();
  const describe = createInvoiceDescriber(ctx);
  router.use(express.urlencoded({ extended: false, limit: '16kb' }));

  /** The customer the token opens, or a page saying why not (already sent). */
  async function customerOf(req: Request, res: Response): Promise<CustomerRow | null> {
    const resolved = await resolvePortalToken(ctx.sql, String(req.params.token), ctx.now());
    if ('refused' in resolved) {
      const message =
        resolved.refused === 'expired'
          ? 'This link has expired. The link in our latest email to you opens your account, or ask our accounts team for a new one.'
          : 'This link is not valid.';
      res
        .status(resolved.refused === 'expired' ? 410 : 404)
        .type('html')
        .send(layout('Account link', html`<h1>Your account</h1><p class="alert">${message}</p>`));
      return null;
    }
    return (await findCustomer(ctx.sql, resolved.customerId)) ?? null;
  }

  /** One of the customer's invoices; another customer's invoice does not exist here. */
  async function invoiceOf(customer: CustomerRow, id: string): Promise<InvoiceRow | undefined> {
    if (!z.uuid().safeParse(id).success) return undefined;
    const row = await findInvoice(ctx.sql, id);
    return row?.customerId === customer.id ? row : undefined;
  }

  router.get('/:token', async (req, res) => {
    const customer = await customerOf(req, res);
    if (customer) res.type('html').send(await portalPage(ctx, describe, req.params.token!, customer, pickNotice(req.query)));
  });

  router.get('/:token/invoices/:id/pdf', async (req, res) => {
    const customer = await customerOf(req, res);
    if (!customer) return;
    const invoice = await invoiceOf(customer, req.params.id!);
    const doc = invoice && (await findInvoiceDocument(ctx.sql, invoice.id));
    if (!doc) {
      res
        .status(404)
        .type('html')
        .send(layout('Not found', html`<p>No such invoice document.</p>`));
      return;
    }
    res.type('application/pdf').set('Content-Disposition', `attachment; filename="${doc.filename}"`).send(doc.content);
  });

  /** The statement of account: this month so far, or the period asked for; as a page or a PDF. */
  router.get('/:token/statement', async (req, res) => {
    const customer = await customerOf(req, res);
    if (!customer) return;
    const query = statementQuerySchema.safeParse(req.query);
    let statement: StatementView;
    try {
      if (!query.success) throw new DomainError(ErrorCode.VALIDATION, 'please choose the first and last day of the period');
      const { format, ...period } = query.data;
      statement = await readStatement(ctx.sql, customer, statementPeriod(customer, period, ctx.now()));
      if (format === 'pdf') {
        const pdf = await renderStatementPdf(statement, { seller: ctx.seller });
        res
          .type('application/pdf')
          .set('Content-Disposition', `attachment; filename="statement-${statement.from}-${statement.to}.pdf"`)
          .send(pdf);
        return;
      }
    } catch (err) {
      if (!(err instanceof DomainError)) throw err;
      res
        .status(400)
        .type('html')
        .send(
          layout(
            'Statement',
            html`<h1>Statement of account</h1><p class="alert" role="alert">${err.message.replace(/^\w+: /, '')}</p><p><a href="${ctx.publicUrl}/portal/${req.params.token}/statement">This month's statement</a></p>`,
          ),
        );
      return;
    }
    res.type('html').send(statementPage(`${ctx.publicUrl}/portal/${req.params.token}`, customer, statement));
  });

  const command = (name: 'dispute' | 'promise') =>
    router.post(`/:token/invoices/:id/${name}`, async (req, res) => {
      const customer = await customerOf(req, res);
      if (!customer) return;
      const invoice = await invoiceOf(customer, req.params.id!);
      if (!invoice) {
        res
          .status(404)
          .type('html')
          .send(layout('Not found', html`<p>No such invoice.</p>`));
        return;
      }
      const actor = `customer:${customer.id}`;
      try {
        if (name === 'dispute') {
          const form = disputeForm.safeParse(req.body);
          if (!form.success) throw new DomainError(ErrorCode.VALIDATION, form.error.issues[0]!.message);
          await openDispute(ctx, invoice.id, `customer portal: ${form.data.reason}`, actor);
        } else {
          const form = promiseForm.safeParse(req.body);
          if (!form.success) throw new DomainError(ErrorCode.VALIDATION, form.error.issues[0]!.message);
          await promiseToPay(ctx, invoice.id, { date: form.data.date, reason: 'customer portal' }, actor);
        }
      } catch (err) {
        if (!(err instanceof DomainError)) throw err;
        // The API's code → status map: a refusal means the same here as there (503 while Temporal is away).
        res
          .status(STATUS_OF[err.code])
          .type('html')
          .send(await portalPage(ctx, describe, req.params.token!, customer, { kind: 'alert', text: `${invoice.number}: ${err.message}` }));
        return;
      }
      // Post/redirect/get: a reload does not send the form again.
      res.redirect(303, `${ctx.publicUrl}/portal/${req.params.token}?done=${name}&invoice=${encodeURIComponent(invoice.number)}`);
    });
  command('dispute');
  command('promise');

  /** A refusal shown on the account page, with the status the API would answer. */
  const refuse = async (res: Response, token: string, customer: CustomerRow, err: unknown) => {
    if (!(err instanceof DomainError)) throw err;
    res
      .status(STATUS_OF[err.code])
      .type('html')
      .send(await portalPage(ctx, describe, token, customer, { kind: 'alert', text: err.message }));
  };

  /** "Pay everything": one card payment for the open invoices in a currency, applied oldest first when it arrives. */
  router.post('/:token/checkout', async (req, res) => {
    const customer = await customerOf(req, res);
    if (!customer) return;
    const form = z.object({ currency: z.string().regex(/^[A-Z]{3}$/) }).safeParse(req.body);
    try {
      if (!form.success) throw new DomainError(ErrorCode.VALIDATION, 'please use the button on your account page');
      const session = await startCustomerCheckout(ctx, customer.id, {
        currency: form.data.currency,
        returnUrl: `${ctx.publicUrl}/portal/${req.params.token}`,
      });
      res.redirect(303, session.url);
    } catch (err) {
      await refuse(res, req.params.token!, customer, err);
    }
  });

  /** The customer uses their own balance on their oldest open invoices (the same use case as the API's). */
  router.post('/:token/balance/apply', async (req, res) => {
    const customer = await customerOf(req, res);
    if (!customer) return;
    const form = balanceForm.safeParse(req.body);
    try {
      if (!form.success) throw new DomainError(ErrorCode.VALIDATION, 'please use the button on your account page');
      const { movement } = await applyCustomerBalance(
        ctx.sql,
        customer.id,
        { currency: form.data.currency },
        { actor: `customer:${customer.id}`, key: `portal:${customer.id}:${form.data.key}`, reference: 'customer portal' },
      );
      const numbers = movement.allocations.map((a) => a.number).join(', ');
      res.redirect(303, `${ctx.publicUrl}/portal/${req.params.token}?done=balance&invoice=${encodeURIComponent(numbers)}`);
    } catch (err) {
      await refuse(res, req.params.token!, customer, err);
    }
  });
  return router;
}

/** Money of the customer's we hold (received and not yet applied, or credit from overpayments), and a button to use it. */
function balanceNote(b: BalanceDetails, base: string, canPay: boolean): Raw {
  const parts = [
    b.cashCents > 0 ? `${formatMoney(b.cashCents, b.currency)} received from you and not yet applied to an invoice` : '',
    b.creditCents > 0 ? `${formatMoney(b.creditCents, b.currency)} credit from overpayments` : '',
  ].filter(Boolean);
  return html`
    <section class="balance" data-currency="${b.currency}" aria-label="Your balance in ${b.currency}">
      <p>On your account: <strong class="balance-total">${formatMoney(b.cashCents + b.creditCents, b.currency)}</strong> (${parts.join('; ')}).</p>
      ${
        canPay
          ? html`<form class="inline" method="post" action="${base}/balance/apply" aria-label="Use your ${b.currency} balance">
        <input type="hidden" name="currency" value="${b.currency}"><input type="hidden" name="key" value="${randomUUID()}">
        <button type="submit">Use it to pay my oldest invoices</button></form>`
          : html`<p class="muted">It will pay your next ${b.currency} invoice when you ask, or we can refund it: just reply to any of our emails.</p>`
      }
    </section>`;
}

function pickNotice(query: Request['query']): { kind: 'notice' | 'alert'; text: string } | null {
  const number = typeof query.invoice === 'string' ? query.invoice : '';
  if (query.checkout === 'success')
    return { kind: 'notice', text: 'Thank you: your payment was submitted. It shows here as soon as the payment provider confirms it.' };
  if (query.checkout === 'cancelled') return { kind: 'notice', text: 'The card payment was cancelled; nothing was charged.' };
  if (query.done === 'balance')
    return { kind: 'notice', text: `Thank you. Your balance now pays ${number}; the amounts below update in a moment.` };
  if (query.done === 'dispute')
    return { kind: 'notice', text: `Thank you. ${number} is marked as disputed; reminders are paused while our team looks into it.` };
  if (query.done === 'promise')
    return { kind: 'notice', text: `Thank you. We will not send reminders for ${number} until the date you promised.` };
  return null;
}

/**
 * What will happen next to the invoice, in the customer's words and time zone: from its projection
 * (see `createInvoiceDescriber`), or from its workflow where the projection cannot say.
 */
async function nextStep(ctx: HttpContext, invoice: InvoiceRow, outlook: InvoiceOutlook | undefined, timeZone: string): Promise<string> {
  let next = outlook?.nextAction ?? null;
  if (!outlook) {
    try {
      const view = await ctx.client.withDeadline(Date.now() + 2_000, () =>
        ctx.client.workflow.getHandle(invoice.workflowId).query(invoiceStateQuery),
      );
      next = view.nextAction;
    } catch {
      return 'Reminder schedule unavailable right now.';
    }
  }
  if (next?.reason === 'disputed') return 'Reminders are paused while the dispute is reviewed.';
  if (!next || next.at === null) return 'No further reminders are scheduled.';
  const when = new Intl.DateTimeFormat('en-GB', { timeZone, dateStyle: 'medium', timeStyle: 'short' }).format(new Date(next.at));
  const what =
    next.reason === 'promise_deadline'
      ? `your promised date ends; if it is still unpaid then, ${TEMPLATE_NAMES[next.step?.template ?? ''] ?? 'reminders resume'}`
      : (TEMPLATE_NAMES[next.step?.template ?? ''] ?? 'a reminder');
  return `Next: ${what} on ${when} (${timeZone}).`;
}

async function portalPage(
  ctx: HttpContext,
  describe: InvoiceDescriber,
  token: string,
  customer: CustomerRow,
  notice: { kind: 'notice' | 'alert'; text: string } | null,
): Promise<string> {
  const all = await listInvoices(ctx.sql, { customerId: customer.id, order: 'issued', limit: 200 });
  const open = all.filter((i) => i.status === 'open');
  const closed = all.filter((i) => i.status !== 'open').slice(0, 20);
  const outlooks = await describe(open);
  const next = await Promise.all(open.map((i) => nextStep(ctx, i, outlooks.get(i.id), customer.timeZone)));
  const payments = await listCustomerPayments(ctx.sql, customer.id, 50);
  const balances = await readBalanceDetails(ctx.sql, customer.id);
  const base = `${ctx.publicUrl}/portal/${token}`;
  const totals = new Map<string, number>();
  for (const i of open) totals.set(i.currency, (totals.get(i.currency) ?? 0) + i.amountDueCents);
  const today = new Intl.DateTimeFormat('en-CA', { timeZone: customer.timeZone }).format(ctx.now());

  const openRows: Raw[] = open.map(
    (i, k) => html`
    <tr data-invoice="${i.number}">
      <td><strong>${i.number}</strong><br><span class="muted">issued ${i.issueDate}, due ${localDate(i.dueAt.getTime(), customer.timeZone)}</span></td>
      <td class="num">${formatMoney(i.totalCents, i.currency)}</td>
      <td class="num"><strong>${formatMoney(i.amountDueCents, i.currency)}</strong></td>
      <td>${i.disputed ? raw('<strong>Disputed</strong><br>') : ''}${i.promisedDate ? `Promised for ${i.promisedDate}. ` : ''}<span class="next">${next[k]}</span></td>
      <td>
        ${i.amountDueCents > 0 ? html`<a href="${ctx.publicUrl}/pay/${i.id}">Pay</a> · ` : ''}<a href="${base}/invoices/${i.id}/pdf">PDF</a>
        ${
          i.disputed
            ? ''
            : html`
        <form class="inline" method="post" action="${base}/invoices/${i.id}/promise" aria-label="Promise to pay ${i.number}">
          <input type="date" name="date" min="${today}" required aria-label="Date"><button type="submit">Promise to pay by</button>
        </form>
        <form class="inline" method="post" action="${base}/invoices/${i.id}/dispute" aria-label="Dispute ${i.number}">
          <input type="text" name="reason" placeholder="What is wrong?" required maxlength="1000" aria-label="Reason"><button type="submit">Dispute</button>
        </form>`
        }
      </td>
    </tr>`,
  );

  return layout(
    `Your account — ${customer.name}`,
    html`
    <h1>${customer.name}</h1>
    ${notice ? html`<p class="${notice.kind}" role="${notice.kind === 'alert' ? 'alert' : 'status'}">${notice.text}</p>` : ''}
    ${
      customer.creditHold
        ? html`<p class="alert" role="alert">Your account is on credit hold: new orders on account are paused until the overdue balance is settled.
            Please pay the invoices below or contact us.</p>`
        : ''
    }
    <p>Amount due: ${totals.size === 0 ? raw('<strong>nothing</strong>') : [...totals].map(([c, v]) => html`<strong class="due">${formatMoney(v, c)}</strong> `)}</p>
    ${
      ctx.checkout
        ? [...totals]
            .filter(([c, v]) => v > 0 && open.filter((i) => i.currency === c && i.amountDueCents > 0).length > 1)
            .map(
              ([c, v]) => html`<form class="inline pay-all" method="post" action="${base}/checkout" aria-label="Pay everything in ${c}">
        <input type="hidden" name="currency" value="${c}"><button type="submit">Pay everything (${formatMoney(v, c)}) by card</button></form>`,
            )
        : ''
    }
    ${balances.map((b) => balanceNote(b, base, totals.has(b.currency)))}
    <h2>Open invoices</h2>
    ${
      open.length === 0
        ? html`<p>You have no open invoices.</p>`
        : html`
    <table><thead><tr><th>Invoice</th><th class="num">Total</th><th class="num">Due now</th><th>Status</th><th></th></tr></thead>
    <tbody>${openRows}</tbody></table>`
    }
    <h2>Statement of account</h2>
    <p><a href="${base}/statement">This month's statement</a> · <a href="${base}/statement?format=pdf">PDF</a></p>
    <form class="inline" method="get" action="${base}/statement" aria-label="Statement for a period">
      <input type="date" name="from" max="${today}" required aria-label="From"> <input type="date" name="to" max="${today}" value="${today}" required aria-label="To">
      <button type="submit">Show statement</button>
    </form>
    <h2>Payments</h2>
    ${
      payments.length === 0
        ? html`<p>No payments yet.</p>`
        : html`
    <table><thead><tr><th>Date</th><th>Invoice</th><th class="num">Amount</th><th>Method</th></tr></thead><tbody>
    ${payments.map((p) => html`<tr><td>${p.bookedOn}</td><td>${p.number}</td><td class="num">${p.kind === 'refund' ? '−' : ''}${formatMoney(p.amountCents, p.currency)}</td><td>${p.kind === 'refund' ? 'refund' : (p.method ?? '')}</td></tr>`)}
    </tbody></table>`
    }
    ${
      closed.length === 0
        ? ''
        : html`<h2>Closed invoices</h2><table><tbody>
    ${closed.map((i) => html`<tr><td>${i.number}</td><td>${i.status}</td><td class="num">${formatMoney(i.totalCents, i.currency)}</td><td><a href="${base}/invoices/${i.id}/pdf">PDF</a></td></tr>`)}
    </tbody></table>`
    }
  `,
  );
}

/** The statement of account in the portal: the same figures as the PDF, with a link to pay what is open. */
function statementPage(base: string, customer: CustomerRow, s: StatementView): string {
  const sections = s.currencies.map((c) => {
    const money = (cents: number) => formatMoney(cents, c.currency);
    return html`
    <h2>Account in ${c.currency}</h2>
    <table data-currency="${c.currency}"><thead><tr><th>Date</th><th>Description</th><th class="num">Amount</th><th class="num">Balance</th></tr></thead><tbody>
      <tr><td>${s.from}</td><td>Opening balance</td><td></td><td class="num">${money(c.opening.balanceCents)}</td></tr>
      ${c.lines.map((l) => html`<tr data-kind="${l.kind}"><td>${l.date}</td><td>${l.description}</td><td class="num">${money(l.amountCents)}</td><td class="num">${money(l.balanceCents)}</td></tr>`)}
      <tr><td>${s.to}</td><td><strong>Closing balance</strong></td><td></td><td class="num"><strong class="closing">${money(c.closing.balanceCents)}</strong></td></tr>
    </tbody></table>
    ${c.closing.creditCents > 0 ? html`<p>Owed ${money(c.closing.owedCents)}; credit on your account ${money(c.closing.creditCents)}.</p>` : ''}
    ${
      c.openItems.length === 0
        ? ''
        : html`<h3>Open at ${s.to}, by age</h3><table><tbody>
      ${AGING_BUCKETS.map((b) => html`<tr><td>${b === 'current' ? 'Not yet due' : `${b} days overdue`}</td><td class="num">${money(c.aging[b])}</td></tr>`)}
    </tbody></table>`
    }`;
  });
  return layout(
    `Statement — ${customer.name}`,
    html`
    <h1>Statement of account</h1>
    <p>${customer.name} · ${s.from} to ${s.to} (${customer.timeZone})</p>
    ${s.currencies.length === 0 ? html`<p>Nothing was owed and nothing moved on your account in this period.</p>` : sections}
    ${s.pendingCash.map((p) => html`<p>We have received ${formatMoney(p.amountCents, p.currency)} that we are matching to your invoices; it is not in the balance yet.</p>`)}
    <p><a href="${base}/statement?from=${s.from}&to=${s.to}&format=pdf">Download as PDF</a> · <a href="${base}">Pay open invoices</a></p>
  `,
  );
}
