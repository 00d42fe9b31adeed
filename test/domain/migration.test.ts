import { decideMigration, migrationOutcome } from '../../src/domain/commands';
import { initialState, record, type InvoiceState, type InvoiceWorkflowInput } from '../../src/domain/invoice';
import { STANDARD_POLICY, type PolicyVersion } from '../../src/domain/policy';
import { scheduleFor } from '../../src/domain/dunning';

const input: InvoiceWorkflowInput = {
  invoiceId: 'inv',
  number: 'INV-1',
  customerId: 'c',
  timeZone: 'Europe/Berlin',
  currency: 'EUR',
  totalCents: 50_000,
  issueDate: '2026-11-01',
  dueAt: '2026-12-01T22:59:59.999Z',
  policy: { ...STANDARD_POLICY, version: 1 },
};
const v2: PolicyVersion = {
  ...STANDARD_POLICY,
  version: 2,
  sendWindow: { days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '09:00', end: '17:00' },
  steps: [
    { offset: '3d', template: 'reminder_overdue' },
    { offset: '10d', template: 'late_fee_notice', lateFee: { percent: 2 } },
    { offset: '21d', template: 'final_notice', finalNotice: true },
  ],
};
const at = (iso: string) => Date.parse(iso);
const apply = (state: InvoiceState, nowIso: string, id = 'm1') =>
  record(state, decideMigration(state, v2, id, at(nowIso)), { at: nowIso, actor: 'test' });

describe('decideMigration', () => {
  it('resumes at the first step of the new version that acts after now, measured by its send-window instant', () => {
    // v2 step 0: due + 3d = Fri 2026-12-04 23:59 Berlin → outside the window → Mon 2026-12-07 09:00 Berlin.
    const state = apply(initialState(input), '2026-12-06T12:00:00Z'); // Sunday: step 0 has not acted yet
    expect(state.nextStepIndex).toBe(0);
    const later = apply(initialState(input), '2026-12-07T08:00:01Z'); // Monday 09:00:01 Berlin
    expect(later.nextStepIndex).toBe(1);
    expect(scheduleFor(later).map((s) => s.template)).toEqual(['reminder_overdue', 'late_fee_notice', 'final_notice']);
    expect(later.policyGeneration).toBe(1);
  });

  it('counts time spent disputed, like the old schedule', () => {
    const disputed = record(initialState(input), [{ type: 'dispute_opened' }], { at: '2026-12-02T00:00:00Z', actor: 'test' });
    const resolved = record(disputed, [{ type: 'dispute_resolved' }], { at: '2026-12-12T00:00:00Z', actor: 'test' }); // 10 days paused
    // On 2026-12-16, unshifted, v2 steps 0 and 1 would be past; shifted by the 10 days only step 0 is.
    expect(apply(initialState(input), '2026-12-16T12:00:00Z').nextStepIndex).toBe(2);
    expect(apply(resolved, '2026-12-16T12:00:00Z').nextStepIndex).toBe(1);
  });

  it('changes nothing when already on the version, and tells this migration from another', () => {
    const moved = apply(initialState(input), '2026-12-07T12:00:00Z', 'run-a');
    expect(decideMigration(moved, v2, 'run-b', at('2026-12-08T12:00:00Z'))).toEqual([]);
    expect(migrationOutcome(moved, 'run-a')).toBe('migrated');
    expect(migrationOutcome(moved, 'run-b')).toBe('already');
    // Moving again (back to v1) is a new generation: its steps get new idempotency keys and fee rows.
    const back = record(moved, decideMigration(moved, input.policy, 'run-c', at('2026-12-20T12:00:00Z')), {
      at: '2026-12-20T12:00:00Z',
      actor: 'test',
    });
    expect(back.policyGeneration).toBe(2);
    expect(back.nextStepIndex).toBe(4); // -3d, 0d, 7d and 14d of v1 lie before 2026-12-20
  });

  it('refuses closed invoices and other policies', () => {
    const paid = { ...initialState(input), status: 'paid' as const };
    expect(() => decideMigration(paid, v2, 'm', 0)).toThrow(expect.objectContaining({ code: 'INVOICE_PAID' }));
    expect(() => decideMigration(initialState(input), { ...v2, name: 'gentle' }, 'm', 0)).toThrow(
      expect.objectContaining({ code: 'VALIDATION' }),
    );
  });
});
