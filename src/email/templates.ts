import type { EmailTemplate } from '../domain/policy';
import { formatMoney } from '../domain/money';

export interface EmailContext {
  readonly customerName: string;
  readonly invoiceNumber: string;
  readonly currency: string;
  readonly totalCents: number;
  readonly amountDueCents: number;
  readonly feesCents: number;
  /** The customer's local due date (YYYY-MM-DD). */
  readonly dueDate: string;
  readonly payUrl: string;
  /** The customer's portal (all their invoices, reminders, disputes, promises); absent in previews. */
  readonly portalUrl?: string;
  readonly seller: string;
}

export interface RenderedEmail {
  readonly subject: string;
  readonly text: string;
  readonly html: string;
}

type Copy = (c: EmailContext, due: string) => { subject: string; body: string[] };

const COPY: Record<EmailTemplate, Copy> = {
  invoice_issued: (c) => ({
    subject: `Invoice ${c.invoiceNumber} from ${c.seller}`,
    body: [`Please find attached invoice ${c.invoiceNumber} for ${formatMoney(c.totalCents, c.currency)}, due on ${c.dueDate}.`],
  }),
  reminder_upcoming: (c, due) => ({
    subject: `Friendly reminder: invoice ${c.invoiceNumber} is due on ${c.dueDate}`,
    body: [`A quick reminder that invoice ${c.invoiceNumber} (${due} outstanding) is due on ${c.dueDate}.`],
  }),
  reminder_due_today: (c, due) => ({
    subject: `Invoice ${c.invoiceNumber} is due today`,
    body: [`Invoice ${c.invoiceNumber} is due today. Amount outstanding: ${due}.`],
  }),
  reminder_overdue: (c, due) => ({
    subject: `Invoice ${c.invoiceNumber} is overdue`,
    body: [
      `Invoice ${c.invoiceNumber} was due on ${c.dueDate} and ${due} is still outstanding.`,
      'If you have already paid, please disregard this message.',
    ],
  }),
  reminder_firm: (c, due) => ({
    subject: `Second notice: invoice ${c.invoiceNumber} is overdue`,
    body: [`Invoice ${c.invoiceNumber} remains unpaid (${due}). Please arrange payment now.`],
  }),
  late_fee_notice: (c, due) => ({
    subject: `Late fee applied to invoice ${c.invoiceNumber}`,
    body: [
      `Invoice ${c.invoiceNumber} is overdue, and late fees of ${formatMoney(c.feesCents, c.currency)} have been applied under our payment terms.`,
      `Amount now due: ${due}.`,
    ],
  }),
  final_notice: (c, due) => ({
    subject: `FINAL NOTICE: invoice ${c.invoiceNumber}`,
    body: [
      `This is our final notice for invoice ${c.invoiceNumber} (${due}). Your account has been placed on credit hold.`,
      'Unless payment is received, the debt will be handed to a collections agency.',
    ],
  }),
  handoff_notice: (c, due) => ({
    subject: `Invoice ${c.invoiceNumber} referred to collections`,
    body: [`Invoice ${c.invoiceNumber} (${due}) has been referred to our collections agency, who will contact you.`],
  }),
};

const escape = (s: string) => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

export function renderEmail(template: EmailTemplate, ctx: EmailContext): RenderedEmail {
  const due = formatMoney(ctx.amountDueCents, ctx.currency);
  const { subject, body } = COPY[template](ctx, due);
  const greeting = `Dear ${ctx.customerName},`;
  const pay = `Pay online: ${ctx.payUrl}`;
  const portal = ctx.portalUrl ? [`Your account, invoices and payment history: ${ctx.portalUrl}`] : [];
  const text = [greeting, '', ...body, '', pay, ...portal, '', `— ${ctx.seller}`].join('\n');
  const html = [
    `<p>${escape(greeting)}</p>`,
    ...body.map((p) => `<p>${escape(p)}</p>`),
    `<p><a href="${escape(ctx.payUrl)}">Pay ${escape(due)} online</a></p>`,
    ...(ctx.portalUrl ? [`<p><a href="${escape(ctx.portalUrl)}">Your account, invoices and payment history</a></p>`] : []),
    `<p>— ${escape(ctx.seller)}</p>`,
  ].join('\n');
  return { subject, text, html };
}
