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

/** One invoice in a grouped reminder. */
export interface BatchLine {
  readonly invoiceNumber: string;
  readonly currency: string;
  readonly amountDueCents: number;
  readonly dueDate: string;
  /** Days past due on the customer's calendar (negative: due in that many days). */
  readonly daysOverdue: number;
  readonly template: EmailTemplate;
  readonly payUrl: string;
}

const STANDING: Record<EmailTemplate, string> = {
  invoice_issued: 'issued',
  reminder_upcoming: 'due soon',
  reminder_due_today: 'due today',
  reminder_overdue: 'overdue',
  reminder_firm: 'overdue, second notice',
  late_fee_notice: 'overdue, late fee applied',
  final_notice: 'final notice',
  handoff_notice: 'referred to collections',
};

const BATCH_SUBJECT: Record<EmailTemplate, (n: number, seller: string) => string> = {
  invoice_issued: (n, s) => `${n} invoices from ${s}`,
  reminder_upcoming: (n) => `Friendly reminder: ${n} invoices are coming due`,
  reminder_due_today: (n) => `${n} invoices are due`,
  reminder_overdue: (n) => `${n} invoices are overdue`,
  reminder_firm: (n) => `Second notice: ${n} invoices are overdue`,
  late_fee_notice: (n) => `Late fees applied: ${n} invoices are overdue`,
  final_notice: (n) => `FINAL NOTICE: ${n} invoices`,
  handoff_notice: (n) => `${n} invoices referred to collections`,
};

/**
 * One reminder for several of a customer's invoices: each with its amount due, days overdue, its
 * stage in words and its pay link, then the total per currency and one link to pay everything (the
 * portal). The subject and tone follow the most severe item.
 */
export function renderReminderBatch(
  tone: EmailTemplate,
  ctx: { customerName: string; seller: string; portalUrl: string; lines: readonly BatchLine[] },
): RenderedEmail {
  const days = (d: number) =>
    d > 0 ? `${d} day${d === 1 ? '' : 's'} overdue` : d === 0 ? 'due today' : `due in ${-d} day${d === -1 ? '' : 's'}`;
  const totals = new Map<string, number>();
  for (const l of ctx.lines) totals.set(l.currency, (totals.get(l.currency) ?? 0) + l.amountDueCents);
  const total = [...totals].map(([c, v]) => formatMoney(v, c)).join(' + ');
  const subject = BATCH_SUBJECT[tone](ctx.lines.length, ctx.seller);
  const intro =
    tone === 'reminder_upcoming' || tone === 'reminder_due_today'
      ? 'A reminder about the following invoices:'
      : 'The following invoices are outstanding. Please arrange payment now; if you have already paid, please disregard this message.';
  const rows = ctx.lines.map(
    (l) =>
      `${l.invoiceNumber}: ${formatMoney(l.amountDueCents, l.currency)}, due ${l.dueDate} (${days(l.daysOverdue)}; ${STANDING[l.template]}) — ${l.payUrl}`,
  );
  const greeting = `Dear ${ctx.customerName},`;
  const text = [
    greeting,
    '',
    intro,
    '',
    ...rows.map((r) => `- ${r}`),
    '',
    `Total outstanding: ${total}`,
    `Pay everything at once: ${ctx.portalUrl}`,
    '',
    `— ${ctx.seller}`,
  ].join('\n');
  const html = [
    `<p>${escape(greeting)}</p>`,
    `<p>${escape(intro)}</p>`,
    '<table><thead><tr><th>Invoice</th><th>Amount due</th><th>Due</th><th>Status</th><th></th></tr></thead><tbody>',
    ...ctx.lines.map(
      (l) =>
        `<tr><td>${escape(l.invoiceNumber)}</td><td>${escape(formatMoney(l.amountDueCents, l.currency))}</td><td>${escape(l.dueDate)}</td>` +
        `<td>${escape(`${days(l.daysOverdue)}; ${STANDING[l.template]}`)}</td><td><a href="${escape(l.payUrl)}">Pay</a></td></tr>`,
    ),
    '</tbody></table>',
    `<p>Total outstanding: <strong>${escape(total)}</strong></p>`,
    `<p><a href="${escape(ctx.portalUrl)}">Pay everything at once</a></p>`,
    `<p>— ${escape(ctx.seller)}</p>`,
  ].join('\n');
  return { subject, text, html };
}

/** One currency's closing position in a statement email. */
export interface StatementSummaryLine {
  readonly currency: string;
  readonly balanceCents: number;
  readonly overdueCents: number;
}

/** The email carrying a statement of account (the PDF attached): the closing balance per currency and one link to pay it all. */
export function renderStatementEmail(ctx: {
  customerName: string;
  seller: string;
  from: string;
  to: string;
  lines: readonly StatementSummaryLine[];
  portalUrl: string;
}): RenderedEmail {
  const subject = `Statement of account ${ctx.from} to ${ctx.to} from ${ctx.seller}`;
  const positions =
    ctx.lines.length === 0
      ? ['Nothing was owed and nothing moved on your account in this period.']
      : ctx.lines.map((l) =>
          l.balanceCents > 0
            ? `Balance due: ${formatMoney(l.balanceCents, l.currency)}${l.overdueCents > 0 ? `, of which ${formatMoney(l.overdueCents, l.currency)} is overdue` : ''}.`
            : l.balanceCents < 0
              ? `Credit on your account: ${formatMoney(-l.balanceCents, l.currency)}.`
              : `Balance in ${l.currency}: nothing due.`,
        );
  const owing = ctx.lines.some((l) => l.balanceCents > 0);
  const body = [
    `Please find attached your statement of account for ${ctx.from} to ${ctx.to}: every invoice, payment, refund and fee in the period, and what was open at its end.`,
    ...positions,
  ];
  const link = owing ? `Pay everything at once: ${ctx.portalUrl}` : `Your account: ${ctx.portalUrl}`;
  const greeting = `Dear ${ctx.customerName},`;
  const text = [greeting, '', ...body, '', link, '', `— ${ctx.seller}`].join('\n');
  const html = [
    `<p>${escape(greeting)}</p>`,
    ...body.map((p) => `<p>${escape(p)}</p>`),
    `<p><a href="${escape(ctx.portalUrl)}">${owing ? 'Pay everything at once' : 'Your account'}</a></p>`,
    `<p>— ${escape(ctx.seller)}</p>`,
  ].join('\n');
  return { subject, text, html };
}

/** The email carrying a one-time link to choose a password: for a new person (`setup`) or a forgotten one (`reset`). */
export function renderPasswordLinkEmail(ctx: {
  name: string;
  seller: string;
  purpose: 'setup' | 'reset';
  url: string;
  expiresInWords: string;
}): RenderedEmail {
  const subject =
    ctx.purpose === 'setup' ? `Your ${ctx.seller} collections account` : `Choose a new password for ${ctx.seller} collections`;
  const body =
    ctx.purpose === 'setup'
      ? [
          `An account was opened for you in ${ctx.seller}'s collections app.`,
          `Choose your password to sign in (the link works once, for ${ctx.expiresInWords}):`,
        ]
      : [
          'Someone (we hope you) asked to reset your password.',
          `Choose a new one here (the link works once, for ${ctx.expiresInWords}); if it was not you, ignore this email and nothing changes:`,
        ];
  const greeting = `Hello ${ctx.name},`;
  const text = [greeting, '', ...body, ctx.url, '', `— ${ctx.seller}`].join('\n');
  const html = [
    `<p>${escape(greeting)}</p>`,
    ...body.map((p) => `<p>${escape(p)}</p>`),
    `<p><a href="${escape(ctx.url)}">${ctx.purpose === 'setup' ? 'Choose my password' : 'Choose a new password'}</a></p>`,
    `<p>— ${escape(ctx.seller)}</p>`,
  ].join('\n');
  return { subject, text, html };
}
