import { describeChange, diffPolicies } from '../../src/domain/policy-diff';
import { EARLIER_STANDARD_POLICIES, type PolicyDocument } from '../../src/domain/policy';

// The windowless default of earlier releases, so that adding a window is a change to name.
const STANDARD_POLICY = EARLIER_STANDARD_POLICIES[0]!;

describe('diffPolicies', () => {
  it('finds nothing between a policy and itself', () => {
    expect(diffPolicies(STANDARD_POLICY, structuredClone(STANDARD_POLICY))).toEqual([]);
  });

  it('names each changed field, added and removed step, window and description', () => {
    const next: PolicyDocument = {
      ...STANDARD_POLICY,
      description: 'Stricter',
      sendWindow: { days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '09:00', end: '17:00' },
      steps: STANDARD_POLICY.steps
        .slice(0, 5)
        .map((s, i) => (i === 3 ? { ...s, offset: '10d', lateFee: { amountCents: 2500, currency: 'USD' } } : s)),
    };
    expect(diffPolicies(STANDARD_POLICY, next).map(describeChange)).toEqual([
      `~ description: ${STANDARD_POLICY.description} → Stricter`,
      '~ sendWindow: none → {"days":["mon","tue","wed","thu","fri"],"start":"09:00","end":"17:00"}',
      '~ step 3 offset: 14d → 10d',
      '~ step 3 lateFee: {"percent":1.5} → {"amountCents":2500,"currency":"USD"}',
      '- step 5: 45d handoff_notice',
    ]);
    expect(diffPolicies(next, STANDARD_POLICY).map((c) => c.kind)).toEqual([
      'description_changed',
      'send_window_changed',
      'step_changed',
      'step_changed',
      'step_added',
    ]);
  });

  it('treats a flag set to false the same as absent', () => {
    const a: PolicyDocument = { name: 'a', steps: [{ offset: '1d', template: 'reminder_overdue' }] };
    const explicit: PolicyDocument = { name: 'a', steps: [{ offset: '1d', template: 'reminder_overdue', handOff: false }] };
    const b: PolicyDocument = { name: 'a', steps: [{ offset: '1d', template: 'reminder_overdue', handOff: true }] };
    expect(diffPolicies(a, explicit)).toEqual([]);
    expect(diffPolicies(a, b)).toEqual([{ kind: 'step_changed', index: 0, field: 'handOff', from: false, to: true }]);
  });
});
