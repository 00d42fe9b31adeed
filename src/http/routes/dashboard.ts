import { timingSafeEqual } from 'node:crypto';
import { createDashboardSession, endDashboardSession, touchDashboardSession } from '../../db/dashboard-sessions';
import { listWatchedInvoices, type WatchedInvoiceRow } from '../../db/watch-list';
import { listAttention, type AttentionItem } from '../../db/attention';
import express, { Router, type Request, type Response } from 'express';
import { AGING_BUCKETS, agingByCustomer, kpis, type AgingBucket } from '../../db/receivables';
import { formatMoney } from '../../domain/money';
import { addDays } from '../../domain/schedule';
import { workflowUrl, type HttpContext } from '../context';
import { savedViews, savedViewUrl } from '../../temporal/saved-views';
import { invoicePageUrl } from '../../temporal/start-invoice';
import { dashboardInvoicePage } from './dashboard-invoice';
import { listFailingWorkflows } from '../../services/failing-workflows';
import { html, layout, type Raw } from '../html';
import { cookie, sessionOf } from './app';

const COOKIE = 'ce_dashboard';
/** The session also signs the codec server's calls from the Temporal UI ("include cross-origin credentials"). */
const COOKIE_PATHS = ['/dashboard', '/codec'];

/** How long a dashboard sign-in lasts. */
const SESSION_TTL_MS = 12 * 3_600_000;

/**
 * `GET /dashboard` for finance leads and ops: aging (chart and table), the KPIs of the last 30 days,
 * and what needs a human (disputed, promised, final-notice invoices; refused projections, flagged
 * payments and refunds), each invoice linked to its workflow in the Temporal UI. Signing in takes the
 * API token once and opens a session kept in Postgres (an HttpOnly, SameSite=Strict cookie holds its
 * random token); signing out or 12 hours end it on the server.
 */
export function dashboardRoutes(ctx: HttpContext): Router {
  const router = Router();
  router.use(express.urlencoded({ extended: false, limit: '4kb' }));
  const secure = ctx.publicUrl.startsWith('https:');
  const signedIn = (req: Request) => hasDashboardSession(ctx, req);

  router.get('/', async (req, res) => {
    if (!(await signedIn(req))) return signIn(res, 200, null);
    res.type('html').send(await dashboardPage(ctx));
  });
  router.get('/invoices/:id', async (req, res) => {
    if (!(await signedIn(req))) return signIn(res, 200, null);
    res.type('html').send(await dashboardInvoicePage(ctx, req.params.id));
  });
  router.post('/login', async (req, res) => {
    const token = typeof req.body?.token === 'string' ? req.body.token.trim() : '';
    const ok = token.length === ctx.apiToken.length && timingSafeEqual(Buffer.from(token), Buffer.from(ctx.apiToken));
    if (!ok) return signIn(res, 401, 'That is not the API token.');
    const session = await createDashboardSession(ctx.sql, { now: ctx.now(), ttlMs: SESSION_TTL_MS });
    res.set(
      'Set-Cookie',
      COOKIE_PATHS.map(
        (path) =>
          `${COOKIE}=${session.token}; Path=${path}; HttpOnly; SameSite=Strict; Max-Age=${SESSION_TTL_MS / 1000}${secure ? '; Secure' : ''}`,
      ),
    );
    res.redirect(303, `${ctx.publicUrl}/dashboard`);
  });
  router.post('/logout', async (req, res) => {
    const value = cookie(req, COOKIE);
    if (value) await endDashboardSession(ctx.sql, value);
    res.set(
      'Set-Cookie',
      COOKIE_PATHS.map((path) => `${COOKIE}=; Path=${path}; HttpOnly; SameSite=Strict; Max-Age=0${secure ? '; Secure' : ''}`),
    );
    res.redirect(303, `${ctx.publicUrl}/dashboard`);
  });

  function signIn(res: Response, status: number, error: string | null): void {
    res
      .status(status)
      .type('html')
      .send(
        layout(
          'Sign in — Collections',
          html`
      <h1>Collections dashboard</h1>
      ${error ? html`<p class="alert" role="alert">${error}</p>` : ''}
      <form method="post" action="${ctx.publicUrl}/dashboard/login">
        <label>API token <input type="password" name="token" required autocomplete="current-password"></label>
        <button type="submit">Sign in</button>
      </form>
      <p class="muted">The token is API_TOKEN (npm start writes it to .data/api-token). People with an account
        <a href="${ctx.publicUrl}/app/login">sign in with their email and password</a>.</p>`,
        ),
      );
  }
  return router;
}

/** Whether the request carries a live dashboard session (its cookie), extending it. */
export async function hasDashboardSession(ctx: HttpContext, req: Request): Promise<boolean> {
  // A person signed in to the app (any role may read the dashboard), or a session opened with the API token.
  if (await sessionOf(ctx, req)) return true;
  const value = cookie(req, COOKIE);
  return value !== undefined && touchDashboardSession(ctx.sql, value, ctx.now());
}

const ATTENTION_LABELS: Readonly<Record<AttentionItem['kind'], string>> = {
  projection_failed: 'Ledger write refused',
  payment_flagged: 'Payment flagged',
  refund_flagged: 'Refund flagged',
  inbox_flagged: 'Gateway event flagged',
  unapplied_cash: 'Unapplied cash',
  parked: 'Nothing more scheduled',
};

/** Flag reasons in words (other reasons, such as a refused ledger write, are shown as they are). */
const REASON_LABELS: Readonly<Record<string, string>> = {
  currency_mismatch: 'in another currency than the invoice',
  invalid_amount: 'an amount no ledger can hold',
  unknown_payment: 'names a payment this invoice did not receive',
  exceeds_payment: 'more than is left of the payment',
  ladder_finished: 'past the last step of its policy, not handed off: chase it by hand, hand it off, or move it to a policy that goes on',
};

const BUCKET_COLOURS: Readonly<Record<AgingBucket, string>> = {
  current: '#3a7d44',
  '1-30': '#9bbf4a',
  '31-60': '#e0b33c',
  '61-90': '#e07b3c',
  '90+': '#c0392b',
};

/** One horizontal stacked bar per currency, buckets left to right; widths relative to the largest total. */
function agingChart(totals: { currency: string; buckets: Record<AgingBucket, number>; total: number }[]): Raw {
  const width = 640;
  const max = Math.max(1, ...totals.map((t) => t.total));
  const rows = totals.map((t, row) => {
    let x = 60;
    const bars = AGING_BUCKETS.map((b) => {
      const w = Math.round((t.buckets[b] / max) * (width - 200));
      const rect = html`<rect x="${x}" y="${row * 34 + 8}" width="${w}" height="22" fill="${BUCKET_COLOURS[b]}"><title>${t.currency} ${b}: ${formatMoney(t.buckets[b], t.currency)}</title></rect>`;
      x += w;
      return rect;
    });
    return html`<text x="0" y="${row * 34 + 24}" font-size="13">${t.currency}</text>${bars}<text x="${x + 6}" y="${row * 34 + 24}" font-size="12">${formatMoney(t.total, t.currency)}</text>`;
  });
  const legend = AGING_BUCKETS.map(
    (b, i) =>
      html`<rect x="${60 + i * 90}" y="${totals.length * 34 + 10}" width="12" height="12" fill="${BUCKET_COLOURS[b]}"/><text x="${76 + i * 90}" y="${totals.length * 34 + 21}" font-size="12">${b}</text>`,
  );
  return html`<svg role="img" aria-label="Aging by currency" width="${width}" height="${totals.length * 34 + 30}" viewBox="0 0 ${width} ${totals.length * 34 + 30}">${rows}${legend}</svg>`;
}

async function dashboardPage(ctx: HttpContext): Promise<string> {
  const now = ctx.now();
  // Aging is now, on each customer's own "today"; a period's dates are on each customer's calendar,
  // the period ending today in UTC.
  const today = now.toISOString().slice(0, 10);
  const from = addDays(today, -29);
  const [aging, figures, attention, problems, failing] = await Promise.all([
    agingByCustomer(ctx.sql, { now }),
    kpis(ctx.sql, from, today),
    listWatchedInvoices(ctx.sql, 200),
    listAttention(ctx.sql, 100),
    listFailingWorkflows(ctx.client),
  ]);
  const totals = new Map<string, { currency: string; buckets: Record<AgingBucket, number>; total: number }>();
  for (const r of aging) {
    const t = totals.get(r.currency) ?? {
      currency: r.currency,
      buckets: Object.fromEntries(AGING_BUCKETS.map((b) => [b, 0])) as Record<AgingBucket, number>,
      total: 0,
    };
    t.buckets[r.bucket] += r.amountCents;
    t.total += r.amountCents;
    totals.set(r.currency, t);
  }
  const sorted = [...totals.values()].sort((a, b) => a.currency.localeCompare(b.currency));
  const why = (r: WatchedInvoiceRow) =>
    r.disputed ? 'disputed' : r.promisedDate ? `promised for ${r.promisedDate}` : r.dunningStage.replace('_', ' ');
  const num = (v: number | null, suffix = '') => (v === null ? '—' : `${v}${suffix}`);

  return layout(
    'Collections dashboard',
    html`
    <form method="post" action="${ctx.publicUrl}/dashboard/logout" style="float:right"><button type="submit">Sign out</button></form>
    <h1>Collections dashboard</h1>
    <p class="muted">Aging as of now: days past due are counted to each customer's today, in their time zone. <a href="${ctx.publicUrl}/api/reports/aging?format=csv">Aging CSV</a> · <a href="${ctx.publicUrl}/api/reports/kpis?from=${from}&to=${today}&format=csv">KPI CSV</a> (API token required)</p>
    <h2>Aging</h2>
    ${
      sorted.length === 0
        ? html`<p>Nothing is owed.</p>`
        : html`${agingChart(sorted)}
    <table id="aging"><thead><tr><th>Currency</th>${AGING_BUCKETS.map((b) => html`<th class="num">${b}</th>`)}<th class="num">Total</th></tr></thead><tbody>
    ${sorted.map((t) => html`<tr><td>${t.currency}</td>${AGING_BUCKETS.map((b) => html`<td class="num">${formatMoney(t.buckets[b], t.currency)}</td>`)}<td class="num"><strong>${formatMoney(t.total, t.currency)}</strong></td></tr>`)}
    </tbody></table>`
    }
    <h2>Last 30 days (${from} – ${today})</h2>
    <p class="muted">Dates on each customer's calendar; the period ends today in UTC.</p>
    <table id="kpis"><thead><tr><th>Currency</th><th class="num">DSO (days)</th><th class="num">CEI</th><th class="num">Avg days to pay</th><th class="num">Collected</th><th class="num">Billed</th><th class="num">Written off</th><th class="num">Bad debt</th></tr></thead><tbody>
    ${figures.currencies.map(
      (
        k,
      ) => html`<tr><td>${k.currency}</td><td class="num">${num(k.dso)}</td><td class="num">${num(k.ceiPercent, ' %')}</td><td class="num">${num(k.averageDaysToPay)}</td>
      <td class="num">${formatMoney(k.collectedCents, k.currency)}</td><td class="num">${formatMoney(k.billedCents, k.currency)}</td><td class="num">${formatMoney(k.writtenOffCents, k.currency)}</td><td class="num">${num(k.badDebtPercent, ' %')}</td></tr>`,
    )}
    </tbody></table>
    <h2>Needs attention</h2>
    ${
      problems.length === 0
        ? ''
        : html`
    <h3>Money</h3>
    <table id="ledger-attention"><thead><tr><th>What</th><th>Invoice</th><th>Why</th><th class="num">Amount</th><th>Since</th></tr></thead><tbody>
    ${problems.map(
      (p) => html`<tr><td>${ATTENTION_LABELS[p.kind]}</td><td>${p.number ?? '—'}</td><td>${REASON_LABELS[p.reason] ?? p.reason}</td>
      <td class="num">${p.amountCents !== null && p.currency ? formatMoney(p.amountCents, p.currency) : ''}</td><td>${p.since.toISOString().slice(0, 16).replace('T', ' ')} UTC</td></tr>`,
    )}
    </tbody></table>`
    }
    ${
      failing === null
        ? html`<p class="alert" id="workflows-failing">Temporal's visibility did not answer: failing workflows cannot be listed.</p>`
        : failing.length === 0
          ? ''
          : html`
    <h3>Workflows failing</h3>
    <p class="muted">Their workflow tasks keep failing (a non-determinism error after a deploy, a crash in workflow code): nothing happens to them until the code is fixed or they are reset.</p>
    <table id="workflows-failing"><thead><tr><th>Workflow</th><th>Type</th><th>Problem</th><th>Started</th></tr></thead><tbody>
    ${failing.map(
      (
        w,
      ) => html`<tr><td><a href="${workflowUrl(ctx, w.workflowId)}" target="_blank" rel="noopener">${w.workflowId}</a></td><td>${w.type}</td>
      <td>${w.problems.map((p) => p.replace(/^(category|cause)=/, '')).join(' · ')}</td><td>${w.startedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC</td></tr>`,
    )}
    </tbody></table>`
    }
    <h3>Invoices</h3>
    ${
      attention.length === 0
        ? html`<p>No disputed, promised or final-notice invoices.</p>`
        : html`
    <table id="attention"><thead><tr><th>Invoice</th><th>Customer</th><th class="num">Due now</th><th>Due date</th><th>Why</th><th>Workflow</th></tr></thead><tbody>
    ${attention.map(
      (
        r,
      ) => html`<tr><td><a href="${invoicePageUrl(ctx.publicUrl, r.id)}">${r.number}</a></td><td>${r.customerName}</td><td class="num">${formatMoney(r.amountDueCents, r.currency)}</td><td>${r.dueOn}</td><td>${why(r)}</td>
      <td><a href="${workflowUrl(ctx, r.workflowId)}" target="_blank" rel="noopener">${r.workflowId}</a></td></tr>`,
    )}
    </tbody></table>`
    }
    <h2>In the Temporal UI</h2>
    <ul id="saved-views">
    ${savedViews({ nowMs: now.getTime() })
      .filter((v) => v.id !== 'by-customer')
      .map(
        (v) =>
          html`<li><a href="${savedViewUrl(ctx.temporalUiUrl, ctx.namespace, v.query)}" target="_blank" rel="noopener">${v.title}</a></li>`,
      )}
    </ul>`,
  );
}
