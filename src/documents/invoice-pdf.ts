import { createHash } from 'node:crypto';
import { formatMoney } from '../domain/money';
import { openPdf } from './pdf';

export interface InvoicePdfInput {
  readonly number: string;
  readonly issueDate: string;
  /** The customer's local due date (YYYY-MM-DD). */
  readonly dueDate: string;
  readonly seller: string;
  readonly customer: { readonly name: string; readonly email: string };
  readonly currency: string;
  readonly lines: readonly { description: string; quantity: number; unitAmountCents: number; amountCents: number }[];
  readonly totalCents: number;
  readonly payUrl: string;
}

/**
 * Renders the invoice PDF. Output is byte-for-byte identical for identical input: the document
 * dates come from the issue date (pdfkit derives the file id from them) and only built-in fonts are used.
 */
export function renderInvoicePdf(input: InvoicePdfInput): Promise<Buffer> {
  const { doc, done } = openPdf({ title: `Invoice ${input.number}`, author: input.seller, date: input.issueDate });

  doc.font('Helvetica-Bold').fontSize(20).text(input.seller);
  doc.moveDown(0.5).font('Helvetica').fontSize(12).text(`Invoice ${input.number}`);
  doc.text(`Issued: ${input.issueDate}`).text(`Due: ${input.dueDate}`);
  doc.moveDown().font('Helvetica-Bold').text('Bill to');
  doc.font('Helvetica').text(input.customer.name).text(input.customer.email);

  doc.moveDown();
  const top = doc.y;
  const cols = { description: 50, quantity: 320, unit: 380, amount: 470 };
  doc.font('Helvetica-Bold').fontSize(10);
  doc
    .text('Description', cols.description, top)
    .text('Qty', cols.quantity, top)
    .text('Unit', cols.unit, top)
    .text('Amount', cols.amount, top);
  doc.font('Helvetica');
  let y = top + 18;
  for (const line of input.lines) {
    doc.text(line.description, cols.description, y, { width: 260 });
    const rowHeight = Math.max(14, doc.heightOfString(line.description, { width: 260 }));
    doc
      .text(String(line.quantity), cols.quantity, y)
      .text(formatMoney(line.unitAmountCents, input.currency), cols.unit, y)
      .text(formatMoney(line.amountCents, input.currency), cols.amount, y);
    y += rowHeight + 4;
  }
  doc
    .font('Helvetica-Bold')
    .fontSize(12)
    .text(`Total due: ${formatMoney(input.totalCents, input.currency)}`, cols.description, y + 10);
  doc.moveDown().font('Helvetica').fontSize(10).text(`Pay online: ${input.payUrl}`, { link: input.payUrl, underline: true });
  doc.end();
  return done;
}

export function sha256(content: Buffer): string {
  return createHash('sha256').update(content).digest('hex');
}
