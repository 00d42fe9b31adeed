import { Router } from 'express';
import { findInvoice } from '../../db/invoices';
import { formatMoney } from '../../domain/money';
import type { HttpContext } from '../context';

const escape = (s: string) => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

/** The pay link target when no payment provider is configured: explains how to pay. */
export function payRoutes(ctx: HttpContext): Router {
  const router = Router();
  router.get('/:id', async (req, res) => {
    const invoice = /^[0-9a-f-]{36}$/i.test(req.params.id) ? await findInvoice(ctx.sql, req.params.id) : undefined;
    if (!invoice) {
      res.status(404).type('html').send('<!doctype html><title>Invoice not found</title><p>This payment link is not valid.</p>');
      return;
    }
    const due = formatMoney(invoice.amountDueCents, invoice.currency);
    res.type('html').send(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Pay invoice ${escape(invoice.number)}</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 3rem auto">
<h1>Invoice ${escape(invoice.number)}</h1>
<p>Status: <strong>${escape(invoice.status)}</strong> · Amount due: <strong>${escape(due)}</strong></p>
<p>Online card payment is not configured for this account. Please pay by bank transfer quoting
<strong>${escape(invoice.number)}</strong> as the reference, or contact our accounts team.</p>
<p><a href="${escape(`${ctx.publicUrl}/api/invoices/${invoice.id}/pdf`)}">Download the invoice (PDF)</a></p>
</body></html>`);
  });
  return router;
}
