import { z } from 'zod';
import type { Sql } from '../db/client';
import { findCustomer } from '../db/customers';
import { findInvoice } from '../db/invoices';
import { findPolicyVersion } from '../db/policies';
import { DomainError, ErrorCode } from '../domain/errors';
import { initialState, type InvoiceState } from '../domain/invoice';
import type { PolicyVersion } from '../domain/policy';
import { parsePolicyDocument } from '../domain/policy-schema';
import { endOfLocalDay, isValidTimeZone } from '../domain/schedule';
import { simulateDunning, type SimulatedAction, type Simulation } from '../domain/simulate';
import { calendarDate, currencyCode, instant, int4Id, minorUnits, policyName } from '../domain/input';

const storedPolicy = z.strictObject({ name: policyName, version: int4Id('policy version').optional() });

/** A hypothetical invoice: amount, due date (end of that day in the zone) or instant, customer zone. */
const hypotheticalInvoice = z
  .strictObject({
    totalCents: minorUnits(),
    currency: currencyCode,
    timeZone: z.string().max(64).refine(isValidTimeZone, 'must be an IANA time zone such as Europe/Berlin'),
    dueDate: calendarDate.optional(),
    dueAt: instant.optional(),
    /** When it is issued (the ladder starts); defaults to now. */
    issuedAt: instant.optional(),
  })
  .refine((i) => Boolean(i.dueDate) !== Boolean(i.dueAt), { message: 'give dueDate or dueAt (exactly one)', path: ['dueDate'] });

/** `POST /api/policies/simulate`: a policy (a draft document, or a stored `{name, version?}`) on an invoice. */
export const simulatePolicySchema = z
  .strictObject({
    policy: z.record(z.string(), z.unknown()),
    invoiceId: z.uuid().optional(),
    invoice: hypotheticalInvoice.optional(),
  })
  .refine((b) => Boolean(b.invoiceId) !== Boolean(b.invoice), { message: 'give invoiceId or invoice (exactly one)', path: ['invoiceId'] });
export type SimulatePolicyInput = z.infer<typeof simulatePolicySchema>;

export interface PolicySimulation extends Simulation {
  readonly policy: { readonly name: string; readonly version: number | null };
  readonly invoice: {
    readonly id: string | null;
    readonly totalCents: number;
    readonly currency: string;
    readonly timeZone: string;
    readonly dueAt: string;
    readonly issuedAt: string;
    readonly paidCents: number;
  };
  readonly actions: readonly (SimulatedAction & { readonly past: boolean })[];
}

/**
 * The exact timeline a policy would give an invoice: the workflow's own decision functions run
 * forward from the issue instant, with nothing more paid. For an existing invoice it uses the
 * invoice's due date, customer zone and the money received so far, as if the policy had been pinned
 * at issue; `past` marks actions whose time has gone.
 *
 * @throws DomainError INVALID_POLICY (draft does not validate), NOT_FOUND (stored policy, invoice or customer)
 */
export async function simulatePolicy(deps: { sql: Sql; now: () => Date }, input: SimulatePolicyInput): Promise<PolicySimulation> {
  const policy = await resolvePolicy(deps.sql, input.policy);
  const { state, issuedAt, id } = input.invoice
    ? hypothetical(input.invoice, policy, deps.now())
    : await existing(deps.sql, input.invoiceId!, policy);
  const simulation = simulateDunning(state, Date.parse(issuedAt));
  const nowMs = deps.now().getTime();
  return {
    policy: { name: policy.name, version: policy.version > 0 ? policy.version : null },
    invoice: {
      id,
      totalCents: state.ledger.totalCents,
      currency: state.input.currency,
      timeZone: state.input.timeZone,
      dueAt: state.input.dueAt,
      issuedAt,
      paidCents: state.ledger.paidCents - state.ledger.refundedCents,
    },
    actions: simulation.actions.map((a) => ({ ...a, past: Date.parse(a.actsAt) <= nowMs })),
    final: simulation.final,
  };
}

/** A draft document (it has `steps`) is validated as such; otherwise `{name, version?}` names a stored one. */
async function resolvePolicy(sql: Sql, raw: Record<string, unknown>): Promise<PolicyVersion> {
  if ('steps' in raw) return { ...parsePolicyDocument(raw), version: 0 };
  const ref = storedPolicy.safeParse(raw);
  if (!ref.success)
    throw new DomainError(ErrorCode.VALIDATION, 'policy: give a draft policy document (with steps) or {name, version?} of a stored one', {
      field: 'policy',
    });
  const policy = await findPolicyVersion(sql, ref.data.name, ref.data.version);
  if (!policy)
    throw new DomainError(
      ErrorCode.NOT_FOUND,
      `policy ${ref.data.name}${ref.data.version ? ` version ${ref.data.version}` : ''} does not exist`,
    );
  return policy;
}

function hypothetical(
  i: z.infer<typeof hypotheticalInvoice>,
  policy: PolicyVersion,
  now: Date,
): { state: InvoiceState; issuedAt: string; id: null } {
  const issuedAt = i.issuedAt ? new Date(i.issuedAt).toISOString() : now.toISOString();
  const dueAt = i.dueDate ? endOfLocalDay(i.dueDate, i.timeZone) : new Date(i.dueAt!).toISOString();
  const state = initialState({
    invoiceId: 'simulation',
    number: 'SIMULATION',
    customerId: 'simulation',
    timeZone: i.timeZone,
    currency: i.currency,
    totalCents: i.totalCents,
    issueDate: issuedAt.slice(0, 10),
    dueAt,
    policy,
    scheduleRules: 'calendar',
  });
  return { state, issuedAt, id: null };
}

async function existing(
  sql: Sql,
  invoiceId: string,
  policy: PolicyVersion,
): Promise<{ state: InvoiceState; issuedAt: string; id: string }> {
  const invoice = await findInvoice(sql, invoiceId);
  if (!invoice) throw new DomainError(ErrorCode.NOT_FOUND, `invoice ${invoiceId} does not exist`);
  const customer = await findCustomer(sql, invoice.customerId);
  if (!customer) throw new DomainError(ErrorCode.NOT_FOUND, `customer ${invoice.customerId} does not exist`);
  // An invoice whose workflow has not said yet will read day offsets as days, as every new one does.
  const start = initialState({
    invoiceId: invoice.id,
    number: invoice.number,
    customerId: customer.id,
    timeZone: customer.timeZone,
    currency: invoice.currency,
    totalCents: invoice.totalCents,
    issueDate: invoice.issueDate,
    dueAt: invoice.dueAt.toISOString(),
    policy,
    scheduleRules: invoice.scheduleRules ?? (invoice.workflowStarted ? 'instant' : 'calendar'),
  });
  const state: InvoiceState = { ...start, ledger: { ...start.ledger, paidCents: invoice.paidCents, refundedCents: invoice.refundedCents } };
  return { state, issuedAt: invoice.createdAt.toISOString(), id: invoice.id };
}
