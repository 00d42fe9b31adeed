import { ErrorCode } from './errors';
import { formatMoney } from './money';
import { STEP_TEMPLATES, type EmailTemplate, type StepTemplate } from './policy';

/**
 * Customer accounts: who receives a customer's emails, and when its credit is held. Pure rules, used
 * by the email activity, the API and the projection alike.
 */

/** `billing`: To; `cc`: in CC on every email; `escalation`: in CC from `escalateFrom` on. */
export const CONTACT_ROLES = ['billing', 'cc', 'escalation'] as const;
export type ContactRole = (typeof CONTACT_ROLES)[number];

export interface Contact {
  readonly email: string;
  readonly name: string | null;
  readonly role: ContactRole;
  /** For an escalation contact: the first template (in severity order) that copies them. */
  readonly escalateFrom: StepTemplate | null;
}

export interface Recipients {
  readonly to: readonly string[];
  readonly cc: readonly string[];
}

/** Severity of a template: the issue email first, then the steps' templates in `STEP_TEMPLATES` order. */
export const severityOf = (template: EmailTemplate): number => (template === 'invoice_issued' ? 0 : 1 + STEP_TEMPLATES.indexOf(template));

/**
 * Who receives an email of `template`: the billing contacts in To; the CC contacts and the escalation
 * contacts whose threshold the template reaches in CC. An address appears once (To wins).
 */
export function recipientsFor(contacts: readonly Contact[], template: EmailTemplate): Recipients {
  const seen = new Set<string>();
  const take = (list: readonly Contact[]) =>
    list
      .filter((c) => {
        const key = c.email.toLowerCase();
        if (seen.has(key)) return false;
        seen.add(key);
        return true;
      })
      .map((c) => c.email);
  const to = take(contacts.filter((c) => c.role === 'billing'));
  const cc = take(
    contacts.filter(
      (c) => c.role === 'cc' || (c.role === 'escalation' && c.escalateFrom && severityOf(template) >= severityOf(c.escalateFrom)),
    ),
  );
  return { to, cc };
}

export type CreditHoldSource = 'policy' | 'api' | 'limit';

export interface CreditHold {
  readonly source: CreditHoldSource;
  readonly reason: string;
}

/** A customer's receivables in one currency. */
export interface Exposure {
  readonly currency: string;
  /** Amount due on open invoices. */
  readonly openCents: number;
  /** The part of it past due. */
  readonly overdueCents: number;
  /** Still owed on invoices handed off to collections (uncollectible): never a reason to lift a hold. */
  readonly handedOffCents: number;
}

export interface CreditLimit {
  readonly currency: string;
  readonly limitCents: number;
}

export interface CreditFacts {
  readonly hold: CreditHold | null;
  readonly autoRelease: boolean;
  readonly limits: readonly CreditLimit[];
  readonly exposure: readonly Exposure[];
}

/** Exposures above their currency's limit. */
export function overLimit(f: Pick<CreditFacts, 'limits' | 'exposure'>): { currency: string; openCents: number; limitCents: number }[] {
  return f.limits.flatMap((l) => {
    const open = f.exposure.find((e) => e.currency === l.currency)?.openCents ?? 0;
    return open > l.limitCents ? [{ currency: l.currency, openCents: open, limitCents: l.limitCents }] : [];
  });
}

export type CreditChange =
  | { readonly kind: 'place'; readonly source: 'limit'; readonly reason: string }
  | { readonly kind: 'release'; readonly reason: string }
  | null;

/**
 * What the account's standing asks for now. Exposure past a limit places a hold; a hold placed by a
 * policy step or by the limit clears itself (when `autoRelease`) once nothing is overdue and every
 * exposure is within its limit. A hold placed through the API waits for a person.
 */
export function creditChange(f: CreditFacts): CreditChange {
  const over = overLimit(f);
  if (!f.hold) {
    const first = over[0];
    if (!first) return null;
    return {
      kind: 'place',
      source: 'limit',
      reason: `exposure ${formatMoney(first.openCents, first.currency)} is over the credit limit of ${formatMoney(first.limitCents, first.currency)}`,
    };
  }
  if (f.hold.source === 'api' || !f.autoRelease) return null;
  if (over.length > 0 || f.exposure.some((e) => e.overdueCents > 0 || e.handedOffCents > 0)) return null;
  return { kind: 'release', reason: 'nothing is overdue and the exposure is within the credit limit' };
}

/**
 * Why a new invoice of `amountCents` may not be issued on credit, or null: a hold refuses any, a limit
 * refuses one that would take the currency's exposure past it.
 */
export function creditRefusal(
  f: Pick<CreditFacts, 'hold' | 'limits' | 'exposure'>,
  currency: string,
  amountCents: number,
): { code: typeof ErrorCode.CREDIT_HOLD | typeof ErrorCode.CREDIT_LIMIT_EXCEEDED; message: string } | null {
  if (f.hold) return { code: ErrorCode.CREDIT_HOLD, message: `the customer is on credit hold (${f.hold.reason})` };
  const limit = f.limits.find((l) => l.currency === currency);
  if (!limit) return null;
  const open = f.exposure.find((e) => e.currency === currency)?.openCents ?? 0;
  if (open + amountCents <= limit.limitCents) return null;
  return {
    code: ErrorCode.CREDIT_LIMIT_EXCEEDED,
    message: `the invoice would take the exposure to ${formatMoney(open + amountCents, currency)}, over the credit limit of ${formatMoney(limit.limitCents, currency)}`,
  };
}
