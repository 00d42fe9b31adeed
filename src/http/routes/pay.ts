import { Router, type Response } from 'express';
import { z } from 'zod';
import { findInvoiceDocument } from '../../db/documents';
import { findInvoice, type InvoiceRow } from '../../db/invoices';
import { DomainError } from '../../domain/errors';
import { formatMoney } from '../../domain/money';
import { startCheckout } from '../../services/start-checkout';
import type { HttpContext } from '../context';
import { escapeHtml as escape } from '../html';
import { STATUS_OF } from '../errors';

/**
 * The pay link of every invoice email: `GET /pay/:id` shows what is owed and how to pay. With a
 * checkout provider (STRIPE_SECRET_KEY) it offers a card payment button: `POST /pay/:id/checkout`
 * opens a hosted payment page for the amount due at that moment. Opening it takes a POST, so link
 * scanners that prefetch email links never create sessions.
 */
export function payRoutes(ctx: HttpContext): Router {
  const router = Router();
  const load = async (id: string | undefined) => (id && z.uuid().safeParse(id).success ? findInvoice(ctx.sql, id) : undefined);

  router.get('/:id', async (req, res) => {
    const invoice = await load(req.params.id);
    if (!invoice) return notFound(res);
    const checkout = req.query.checkout;
    const notice =
      checkout === 'success'
        ? 'Thank you: your payment was submitted. It shows here as soon as the payment provider confirms it.'
        : checkout === 'cancelled'
          ? 'The card payment was cancelled; nothing was charged.'
          : null;
    res.type('html').send(page(ctx, invoice, notice, null));
  });

  /** The invoice PDF for whoever holds the pay link (the same unguessable invoice id). */
  router.get('/:id/pdf', async (req, res) => {
    const invoice = await load(req.params.id);
    const doc = invoice && (await findInvoiceDocument(ctx.sql, invoice.id));
    if (!doc) return notFound(res);
    res.type('application/pdf').set('Content-Disposition', `attachment; filename="${doc.filename}"`).send(doc.content);
  });

  router.post('/:id/checkout', async (req, res) => {
    const invoice = await load(req.params.id);
    if (!invoice) return notFound(res);
    try {
      const session = await startCheckout(ctx, invoice.id);
      res.redirect(303, session.url);
    } catch (err) {
      if (!(err instanceof DomainError)) throw err;
      res
        .status(STATUS_OF[err.code])
        .type('html')
        .send(page(ctx, invoice, null, err.message));
    }
  });
  return router;
}

/** What the page says of an invoice that cannot be paid. */
const CLOSED: Readonly<Record<string, string>> = {
  paid: 'This invoice is paid. Thank you.',
  void: 'This invoice was cancelled; nothing is due.',
  uncollectible: 'This invoice has been referred to collections. Please contact our accounts team to settle it.',
};

function notFound(res: Response): void {
  res.status(404).type('html').send('<!doctype html><title>Invoice not found</title><p>This payment link is not valid.</p>');
}

function page(ctx: HttpContext, invoice: InvoiceRow, notice: string | null, error: string | null): string {
  const due = formatMoney(invoice.amountDueCents, invoice.currency);
  const payable = invoice.status === 'open' && invoice.amountDueCents > 0;
  const online =
    payable && ctx.checkout
      ? `<form method="post" action="${escape(`${ctx.publicUrl}/pay/${invoice.id}/checkout`)}"><button type="submit" style="font-size:1.1rem;padding:.6rem 1.2rem">Pay ${escape(due)} by card</button></form>
<p>Or pay by bank transfer quoting <strong>${escape(invoice.number)}</strong> as the reference.</p>`
      : payable
        ? `<p>Online card payment is not configured for this account. Please pay by bank transfer quoting
<strong>${escape(invoice.number)}</strong> as the reference, or contact our accounts team.</p>`
        : `<p>${escape(CLOSED[invoice.status] ?? 'Nothing can be paid on this invoice.')}</p>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Pay invoice ${escape(invoice.number)}</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 3rem auto; padding: 0 1rem">
<h1>Invoice ${escape(invoice.number)}</h1>
${notice ? `<p role="status" style="background:#eef6ee;padding:.6rem">${escape(notice)}</p>` : ''}
${error ? `<p role="alert" style="background:#fbeaea;padding:.6rem">${escape(error)}</p>` : ''}
<p>Status: <strong>${escape(invoice.status)}</strong> · Amount due: <strong>${escape(due)}</strong></p>
${online}
<p><a href="${escape(`${ctx.publicUrl}/pay/${invoice.id}/pdf`)}">Download the invoice (PDF)</a></p>
</body></html>`;
}
