import { AGING_BUCKETS } from '../domain/aging';
import { formatMoney } from '../domain/money';
import { openPdf } from './pdf';
import type { StatementView } from '../domain/statement';

const BUCKET_LABELS: Record<(typeof AGING_BUCKETS)[number], string> = {
  current: 'Not yet due',
  '1-30': '1–30 days',
  '31-60': '31–60 days',
  '61-90': '61–90 days',
  '90+': 'Over 90 days',
};

/**
 * Renders a statement of account: per currency the opening balance, each line with the running
 * balance, the closing balance (owed and credit), the open invoices by age, and what was received but
 * not yet applied. Identical input gives identical bytes (document dates come from the period's end).
 */
export function renderStatementPdf(s: StatementView, o: { seller: string; payAllUrl?: string }): Promise<Buffer> {
  const { doc, done } = openPdf({ title: `Statement of account ${s.from} to ${s.to}`, author: o.seller, date: s.to });

  const cols = { date: 50, description: 120, amount: 380, balance: 470 };
  const bottom = doc.page.height - 60;
  let y = 0;
  const ensure = (height: number) => {
    if (y + height <= bottom) return;
    doc.addPage();
    y = 50;
  };
  const row = (cells: { date?: string; description: string; amount?: string; balance?: string }, bold = false) => {
    doc.font(bold ? 'Helvetica-Bold' : 'Helvetica').fontSize(9);
    const height = Math.max(13, doc.heightOfString(cells.description, { width: 250 }));
    ensure(height);
    if (cells.date) doc.text(cells.date, cols.date, y);
    doc.text(cells.description, cols.description, y, { width: 250 });
    if (cells.amount) doc.text(cells.amount, cols.amount, y, { width: 80, align: 'right' });
    if (cells.balance) doc.text(cells.balance, cols.balance, y, { width: 80, align: 'right' });
    y += height + 3;
  };
  const heading = (text: string, size = 12) => {
    ensure(30);
    doc
      .font('Helvetica-Bold')
      .fontSize(size)
      .text(text, 50, y + 8);
    y = doc.y + 6;
  };

  doc.font('Helvetica-Bold').fontSize(20).text(o.seller);
  doc.moveDown(0.5).font('Helvetica').fontSize(12).text('Statement of account');
  doc.text(`${s.customer.name}`).text(`Period: ${s.from} to ${s.to} (${s.customer.timeZone})`);
  y = doc.y + 10;

  if (s.currencies.length === 0) {
    doc.font('Helvetica').fontSize(11).text('Nothing was owed and nothing moved on this account in the period.', 50, y);
    y = doc.y + 10;
  }
  for (const c of s.currencies) {
    const money = (cents: number) => formatMoney(cents, c.currency);
    heading(`Account in ${c.currency}`, 14);
    doc.font('Helvetica-Bold').fontSize(9);
    row({ date: 'Date', description: 'Description', amount: 'Amount', balance: 'Balance' }, true);
    row({ date: s.from, description: 'Opening balance', balance: money(c.opening.balanceCents) });
    for (const l of c.lines)
      row({ date: l.date, description: l.description, amount: money(l.amountCents), balance: money(l.balanceCents) });
    row({ date: s.to, description: 'Closing balance', balance: money(c.closing.balanceCents) }, true);
    if (c.closing.creditCents > 0)
      row({ description: `Owed ${money(c.closing.owedCents)}, credit on account ${money(c.closing.creditCents)}` });

    if (c.openItems.length > 0) {
      heading(`Open invoices at ${s.to}`, 11);
      row({ date: 'Due', description: 'Invoice', amount: 'Days overdue', balance: 'Owed' }, true);
      for (const i of c.openItems)
        row({
          date: i.dueDate,
          description: `${i.invoiceNumber} (issued ${i.issueDate})`,
          amount: i.daysPastDue > 0 ? String(i.daysPastDue) : '—',
          balance: money(i.owedCents),
        });
      heading('Aging', 11);
      for (const b of AGING_BUCKETS) row({ description: BUCKET_LABELS[b], balance: money(c.aging[b]) });
    }
  }
  for (const p of s.pendingCash) {
    heading('Received, not yet applied', 11);
    row({
      description: `${p.payments} payment${p.payments === 1 ? '' : 's'} we are matching to your invoices (not in the balance above)`,
      balance: formatMoney(p.amountCents, p.currency),
    });
  }
  if (o.payAllUrl) {
    ensure(30);
    doc
      .font('Helvetica')
      .fontSize(10)
      .text(`Pay everything at once: ${o.payAllUrl}`, 50, y + 12, { link: o.payAllUrl, underline: true });
  }
  doc.end();
  return done;
}
