import { type DomainError } from '../../src/domain/errors';
import { STANDARD_POLICY } from '../../src/domain/policy';
import { parsePolicyDocument } from '../../src/domain/policy-schema';

function errorOf(input: unknown): DomainError {
  try {
    parsePolicyDocument(input);
  } catch (err) {
    return err as DomainError;
  }
  throw new Error('expected the policy to be rejected');
}

describe('parsePolicyDocument', () => {
  it('accepts the standard policy', () => {
    expect(parsePolicyDocument(STANDARD_POLICY)).toEqual(STANDARD_POLICY);
  });

  it('accepts an endless tail after the last step', () => {
    const endless = {
      name: 'p',
      steps: [{ offset: '7d', template: 'reminder_overdue' }],
      repeatEvery: '1w',
      repeatTemplate: 'reminder_firm',
    };
    expect(parsePolicyDocument(endless)).toEqual(endless);
  });

  it.each([
    ['bad offset', { name: 'p', steps: [{ offset: 'soon', template: 'reminder_overdue' }] }, /steps\[0\]\.offset: must be a duration/],
    ['unknown template', { name: 'p', steps: [{ offset: '1d', template: 'shout' }] }, /steps\[0\]\.template: unknown template/],
    [
      'out of order',
      {
        name: 'p',
        steps: [
          { offset: '7d', template: 'reminder_overdue' },
          { offset: '1d', template: 'reminder_firm' },
        ],
      },
      /steps\[1\]\.offset: steps must be in strictly increasing/,
    ],
    ['negative fee', { name: 'p', steps: [{ offset: '1d', template: 'late_fee_notice', lateFee: { percent: -1 } }] }, /lateFee/],
    [
      'float cents',
      { name: 'p', steps: [{ offset: '1d', template: 'late_fee_notice', lateFee: { amountCents: 1.5, currency: 'USD' } }] },
      /lateFee/,
    ],
    ['too many decimals', { name: 'p', steps: [{ offset: '1d', template: 'late_fee_notice', lateFee: { percent: 1.234 } }] }, /lateFee/],
    [
      'hand-off not last',
      {
        name: 'p',
        steps: [
          { offset: '1d', template: 'handoff_notice', handOff: true },
          { offset: '2d', template: 'reminder_firm' },
        ],
      },
      /steps\[0\]\.handOff/,
    ],
    ['no steps', { name: 'p', steps: [] }, /at least one step/],
    ['bad name', { name: 'Bad Name', steps: [{ offset: '1d', template: 'reminder_overdue' }] }, /name:/],
    ['unknown field', { name: 'p', steps: [{ offset: '1d', template: 'reminder_overdue', fee: 1 }] }, /steps\[0\]/],
    [
      'window start after end',
      { name: 'p', steps: [{ offset: '1d', template: 'reminder_overdue' }], sendWindow: { days: ['mon'], start: '18:00', end: '09:00' } },
      /sendWindow\.end: start must be before end/,
    ],
    [
      'window without days',
      { name: 'p', steps: [{ offset: '1d', template: 'reminder_overdue' }], sendWindow: { days: [], start: '09:00', end: '17:00' } },
      /sendWindow\.days/,
    ],
    [
      'repeat that is no duration',
      { name: 'p', steps: [{ offset: '1d', template: 'reminder_overdue' }], repeatEvery: 'weekly' },
      /repeatEvery: must be a duration/,
    ],
    [
      'repeat too often',
      { name: 'p', steps: [{ offset: '1d', template: 'reminder_overdue' }], repeatEvery: '5s' },
      /repeatEvery: must be at least 10s/,
    ],
    [
      'repeat after a hand-off',
      { name: 'p', steps: [{ offset: '1d', template: 'handoff_notice', handOff: true }], repeatEvery: '7d' },
      /repeatEvery: the last step hands off/,
    ],
    [
      'repeat template without repeat',
      { name: 'p', steps: [{ offset: '1d', template: 'reminder_overdue' }], repeatTemplate: 'reminder_firm' },
      /repeatTemplate: needs repeatEvery/,
    ],
  ])('rejects %s with a message naming the field', (_label, input, message) => {
    const err = errorOf(input);
    expect(err.code).toBe('INVALID_POLICY');
    expect(err.message).toMatch(message);
  });
});
