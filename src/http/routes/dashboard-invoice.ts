import { listInvoiceTimeline } from '../../db/audit-log';
import { findCustomer } from '../../db/customers';
import { findInvoice, findInvoiceLines } from '../../db/invoices';
import { DomainError, ErrorCode } from '../../domain/errors';
import { formatMoney } from '../../domain/money';
import { STEP_TEMPLATE_NAMES, type StepTemplate } from '../../domain/policy';
import { localDate } from '../../domain/schedule';
import { createInvoiceDescriber } from '../../services/describe-invoices';
import { workflowUrl, type HttpContext } from '../context';
import { html, layout } from '../html';
import { nextActionInWords } from '../../../workflows/details';

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * One invoice for finance and ops (`GET /dashboard/invoices/:id`, signed in): amounts, status, what
 * happens next, its lines and its audit trail from Postgres, and its workflow in the Temporal UI.
 * The workflow's details in the Temporal UI link here.
 */
export async function dashboardInvoicePage(ctx: HttpContext, id: string): Promise<string> {
  const invoice = uuid.test(id) ? await findInvoice(ctx.sql, id) : undefined;
  if (!invoice) throw new DomainError(ErrorCode.NOT_FOUND, `invoice ${id} does not exist`);
  const [customer, lines, timeline, outlooks] = await Promise.all([
    findCustomer(ctx.sql, invoice.customerId),
    findInvoiceLines(ctx.sql, invoice.id),
    listInvoiceTimeline(ctx.sql, invoice.id),
    createInvoiceDescriber({ sql: ctx.sql, now: ctx.now })([invoice]),
  ]);
  const zone = customer?.timeZone ?? 'UTC';
  const money = (cents: number) => formatMoney(cents, invoice.currency);
  const next = outlooks.get(invoice.id)?.nextAction ?? null;
  const nextText = next ? nextActionInWords(next, zone) : 'nothing: the invoice is closed';
  return layout(
    `${invoice.number} — Collections`,
    html`
    <p><a href="${ctx.publicUrl}/dashboard">← Dashboard</a></p>
    <h1>${invoice.number} · ${customer?.name ?? invoice.customerId}</h1>
    <table id="invoice">
      <tr><th>Status</th><td>${invoice.status}${invoice.disputed ? ' · disputed' : ''}${invoice.promisedDate ? ` · promised for ${invoice.promisedDate}` : ''}</td></tr>
      <tr><th>Amount due</th><td><strong>${money(invoice.amountDueCents)}</strong> of ${money(invoice.totalCents + invoice.feesCents)} (fees ${money(invoice.feesCents)}, paid ${money(invoice.paidCents - invoice.refundedCents)}${invoice.writtenOffCents > 0 ? `, written off ${money(invoice.writtenOffCents)}` : ''})</td></tr>
      <tr><th>Issued · due</th><td>${invoice.issueDate} · ${localDate(invoice.dueAt.getTime(), zone)} (${zone})</td></tr>
      <tr><th>Stage</th><td>${invoice.dunningStage === 'none' ? 'no reminder yet' : (STEP_TEMPLATE_NAMES[invoice.dunningStage as StepTemplate] ?? invoice.dunningStage)} · policy ${invoice.policyName}@${invoice.policyVersion}</td></tr>
      <tr><th>Next</th><td>${nextText}</td></tr>
      <tr><th>Workflow</th><td><a href="${workflowUrl(ctx, invoice.workflowId)}" target="_blank" rel="noopener">${invoice.workflowId}</a> in the Temporal UI</td></tr>
    </table>
    <h2>Lines</h2>
    <table id="lines"><thead><tr><th>Description</th><th class="num">Quantity</th><th class="num">Unit</th><th class="num">Amount</th></tr></thead><tbody>
    ${lines.map((l) => html`<tr><td>${l.description}</td><td class="num">${l.quantity}</td><td class="num">${money(l.unitAmountCents)}</td><td class="num">${money(l.amountCents)}</td></tr>`)}
    </tbody></table>
    <h2>Timeline</h2>
    <table id="timeline"><thead><tr><th>When (UTC)</th><th>What</th><th>Who</th><th>Why</th></tr></thead><tbody>
    ${timeline.map((e) => html`<tr><td>${e.at.toISOString().slice(0, 19).replace('T', ' ')}</td><td>${e.action}</td><td>${e.actor}</td><td>${e.reason ?? ''}</td></tr>`)}
    </tbody></table>`,
  );
}
