import { z } from 'zod';
import { isDuration, parseDuration } from './duration';
import { DomainError, ErrorCode } from './errors';
import { SUPPORTED_CURRENCIES } from './money';
import { STEP_TEMPLATES, WEEKDAYS, type PolicyDocument } from './policy';

const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be HH:MM (24-hour)');

const lateFeeSchema = z.union([
  z.strictObject({
    percent: z
      .number()
      .positive('must be greater than 0')
      .max(100, 'must be at most 100')
      .refine((p) => Number.isInteger(Math.round(p * 100)) && Math.abs(p * 100 - Math.round(p * 100)) < 1e-9, 'at most two decimals'),
  }),
  z.strictObject({
    amountCents: z.number().int('must be an integer number of minor units').positive('must be greater than 0').max(Number.MAX_SAFE_INTEGER),
    currency: z.string().transform((c) => c.toUpperCase()).pipe(z.enum(SUPPORTED_CURRENCIES as [string, ...string[]])),
  }),
], { error: 'lateFee must be { percent } or { amountCents, currency }' });

const stepSchema = z.strictObject({
  offset: z.string().refine(isDuration, 'must be a duration such as -3d, 0d, 7d, 12h, 2m or 30s'),
  template: z.enum(STEP_TEMPLATES, { error: `unknown template; expected one of ${STEP_TEMPLATES.join(', ')}` }),
  lateFee: lateFeeSchema.optional(),
  creditHold: z.boolean().optional(),
  finalNotice: z.boolean().optional(),
  handOff: z.boolean().optional(),
});

export const sendWindowSchema = z
  .strictObject({
    days: z.array(z.enum(WEEKDAYS)).min(1, 'needs at least one day').refine((d) => new Set(d).size === d.length, 'days must be unique'),
    start: hhmm,
    end: hhmm,
  })
  .refine((w) => w.start < w.end, { message: 'start must be before end', path: ['end'] });

export const policyDocumentSchema = z
  .strictObject({
    name: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'must be lower-case letters, digits, - or _ (max 63)'),
    description: z.string().max(500).optional(),
    steps: z.array(stepSchema).min(1, 'a policy needs at least one step').max(50, 'at most 50 steps'),
    sendWindow: sendWindowSchema.optional(),
  })
  .superRefine((policy, ctx) => {
    let previous = -Infinity;
    policy.steps.forEach((step, index) => {
      if (!isDuration(step.offset)) return;
      const offset = parseDuration(step.offset);
      if (offset <= previous) {
        ctx.addIssue({ code: 'custom', path: ['steps', index, 'offset'], message: 'steps must be in strictly increasing offset order' });
      }
      previous = offset;
      if (step.handOff && index !== policy.steps.length - 1) {
        ctx.addIssue({ code: 'custom', path: ['steps', index, 'handOff'], message: 'hand-off ends the ladder, so it must be the last step' });
      }
    });
  });

export type PolicyDocumentInput = z.input<typeof policyDocumentSchema>;

/** Formats zod issues as `steps[2].offset: message` lines. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      const path = issue.path.reduce<string>((acc, part) => (typeof part === 'number' ? `${acc}[${part}]` : acc ? `${acc}.${String(part)}` : String(part)), '');
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
