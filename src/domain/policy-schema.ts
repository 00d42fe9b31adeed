import { z } from 'zod';
import { isDuration, parseDuration } from './duration';
import { DomainError, ErrorCode } from './errors';
import { SUPPORTED_CURRENCIES } from './money';
import { STEP_TEMPLATES, WEEKDAYS, type PolicyDocument } from './policy';
import { multiLine, policyName } from './input';

const DAY_MS = 86_400_000;

const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be HH:MM (24-hour)');

/**
 * Bounds that make every accepted policy run on every accepted invoice: steps within ten years of
 * the due date, and fees that can at most double a bill (percent fees compounded) plus bounded
 * fixed fees, so no amount leaves safe integers or a 64-bit search attribute.
 */
export const POLICY_LIMITS = {
  maxOffsetDays: 3650,
  maxPercentPerStep: 25,
  /** Percent fees of one policy, compounded, add at most this much to the open amount. */
  maxCompoundedPercent: 100,
  maxFixedFeeMinor: 10_000_000_000,
  maxFixedFeesTotalMinor: 100_000_000_000,
} as const;

function withinOffsetBounds(offset: string): boolean {
  try {
    return Math.abs(parseDuration(offset)) <= POLICY_LIMITS.maxOffsetDays * DAY_MS;
  } catch {
    return false; // beyond safe integers
  }
}

const lateFeeSchema = z.union(
  [
    z.strictObject({
      percent: z
        .number()
        .positive('must be greater than 0')
        .max(POLICY_LIMITS.maxPercentPerStep, `must be at most ${POLICY_LIMITS.maxPercentPerStep}`)
        .refine((p) => Number.isInteger(Math.round(p * 100)) && Math.abs(p * 100 - Math.round(p * 100)) < 1e-9, 'at most two decimals'),
    }),
    z.strictObject({
      amountCents: z
        .number()
        .int('must be an integer number of minor units')
        .positive('must be greater than 0')
        .max(POLICY_LIMITS.maxFixedFeeMinor, `must be at most ${POLICY_LIMITS.maxFixedFeeMinor} minor units`),
      currency: z
        .string()
        .transform((c) => c.toUpperCase())
        .pipe(z.enum(SUPPORTED_CURRENCIES as [string, ...string[]])),
    }),
  ],
  { error: 'lateFee must be { percent } or { amountCents, currency }' },
);

const stepSchema = z.strictObject({
  offset: z
    .string()
    .max(32)
    .refine(isDuration, 'must be a duration such as -3d, 0d, 7d, 12h, 2m or 30s')
    .refine(
      (o) => !isDuration(o) || withinOffsetBounds(o),
      `must be within ${POLICY_LIMITS.maxOffsetDays} days of the due date (±10 years)`,
    ),
  template: z.enum(STEP_TEMPLATES, { error: `unknown template; expected one of ${STEP_TEMPLATES.join(', ')}` }),
  lateFee: lateFeeSchema.optional(),
  creditHold: z.boolean().optional(),
  finalNotice: z.boolean().optional(),
  handOff: z.boolean().optional(),
  sendAlone: z.boolean().optional(),
});

export const sendWindowSchema = z
  .strictObject({
    days: z
      .array(z.enum(WEEKDAYS))
      .min(1, 'needs at least one day')
      .refine((d) => new Set(d).size === d.length, 'days must be unique'),
    start: hhmm,
    end: hhmm,
  })
  .refine((w) => w.start < w.end, { message: 'start must be before end', path: ['end'] });

export const policyDocumentSchema = z
  .strictObject({
    name: policyName,
    description: multiLine(500).optional(),
    steps: z.array(stepSchema).min(1, 'a policy needs at least one step').max(50, 'at most 50 steps'),
    sendWindow: sendWindowSchema.optional(),
    repeatEvery: z
      .string()
      .max(32)
      .refine(isDuration, 'must be a duration such as 7d, 2w or 12h')
      .refine(
        (d) => !isDuration(d) || (parseDuration(d) >= 10_000 && withinOffsetBounds(d)),
        `must be at least 10s and at most ${POLICY_LIMITS.maxOffsetDays} days`,
      )
      .optional(),
    repeatTemplate: z.enum(STEP_TEMPLATES, { error: `unknown template; expected one of ${STEP_TEMPLATES.join(', ')}` }).optional(),
  })
  .superRefine((policy, ctx) => {
    if (policy.repeatTemplate && !policy.repeatEvery)
      ctx.addIssue({ code: 'custom', path: ['repeatTemplate'], message: 'needs repeatEvery' });
    if (policy.repeatEvery && policy.steps[policy.steps.length - 1]?.handOff) {
      ctx.addIssue({ code: 'custom', path: ['repeatEvery'], message: 'the last step hands off, so nothing follows it to repeat' });
    }
    let previous = -Infinity;
    let growth = 1;
    let fixed = 0;
    for (const step of policy.steps) {
      if (step.lateFee && 'percent' in step.lateFee) growth *= 1 + step.lateFee.percent / 100;
      if (step.lateFee && 'amountCents' in step.lateFee) fixed += step.lateFee.amountCents;
    }
    if (growth > 1 + POLICY_LIMITS.maxCompoundedPercent / 100 + 1e-9) {
      ctx.addIssue({
        code: 'custom',
        path: ['steps'],
        message: `percent late fees compound to +${((growth - 1) * 100).toFixed(1)} %; at most +${POLICY_LIMITS.maxCompoundedPercent} % in all`,
      });
    }
    if (fixed > POLICY_LIMITS.maxFixedFeesTotalMinor) {
      ctx.addIssue({
        code: 'custom',
        path: ['steps'],
        message: `fixed late fees total ${fixed} minor units; at most ${POLICY_LIMITS.maxFixedFeesTotalMinor} in all`,
      });
    }
    policy.steps.forEach((step, index) => {
      if (!isDuration(step.offset) || !withinOffsetBounds(step.offset)) return;
      const offset = parseDuration(step.offset);
      if (offset <= previous) {
        ctx.addIssue({ code: 'custom', path: ['steps', index, 'offset'], message: 'steps must be in strictly increasing offset order' });
      }
      previous = offset;
      if (step.handOff && index !== policy.steps.length - 1) {
        ctx.addIssue({
          code: 'custom',
          path: ['steps', index, 'handOff'],
          message: 'hand-off ends the ladder, so it must be the last step',
        });
      }
    });
  });

export type PolicyDocumentInput = z.input<typeof policyDocumentSchema>;

/** Formats zod issues as `steps[2].offset: message` lines. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      const path = issue.path.reduce<string>(
        (acc, part) => (typeof part === 'number' ? `${acc}[${part}]` : acc ? `${acc}.${String(part)}` : String(part)),
        '',
      );
      return path ? `${path}: ${issue.message}` : issue.message;
    })
    .join('; ');
}

/** Validates a policy document, throwing `INVALID_POLICY` with every problem named. */
export function parsePolicyDocument(input: unknown): PolicyDocument {
  const result = policyDocumentSchema.safeParse(input);
  if (!result.success) {
    throw new DomainError(ErrorCode.INVALID_POLICY, `invalid policy: ${describeIssues(result.error)}`, {
      issues: result.error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message })),
    });
  }
  return result.data as PolicyDocument;
}
