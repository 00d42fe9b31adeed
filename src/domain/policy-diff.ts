import type { PolicyDocument, PolicyStep } from './policy';

/** One difference between two versions of a policy, in words a finance lead reads. */
export type PolicyChange =
  | { readonly kind: 'step_added'; readonly index: number; readonly step: PolicyStep }
  | { readonly kind: 'step_removed'; readonly index: number; readonly step: PolicyStep }
  | {
      readonly kind: 'step_changed';
      readonly index: number;
      readonly field: keyof PolicyStep;
      readonly from: unknown;
      readonly to: unknown;
    }
  | {
      readonly kind: 'send_window_changed';
      readonly from: PolicyDocument['sendWindow'] | null;
      readonly to: PolicyDocument['sendWindow'] | null;
    }
  | { readonly kind: 'description_changed'; readonly from: string | null; readonly to: string | null }
  | { readonly kind: 'repeat_changed'; readonly from: string | null; readonly to: string | null };

const STEP_FIELDS: readonly (keyof PolicyStep)[] = ['offset', 'template', 'lateFee', 'creditHold', 'finalNotice', 'handOff'];
const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

/** Step-by-step differences from `a` to `b` (steps compared by position, as the ladder runs). */
export function diffPolicies(a: PolicyDocument, b: PolicyDocument): PolicyChange[] {
  const changes: PolicyChange[] = [];
  if (!same(a.description, b.description))
    changes.push({ kind: 'description_changed', from: a.description ?? null, to: b.description ?? null });
  if (!same(a.sendWindow, b.sendWindow))
    changes.push({ kind: 'send_window_changed', from: a.sendWindow ?? null, to: b.sendWindow ?? null });
  const repeat = (p: PolicyDocument) =>
    p.repeatEvery ? `every ${p.repeatEvery}${p.repeatTemplate ? ` (${p.repeatTemplate})` : ''}` : null;
  if (repeat(a) !== repeat(b)) changes.push({ kind: 'repeat_changed', from: repeat(a), to: repeat(b) });
  // Flags default to false: `"handOff": false` and no handOff are the same step.
  const flags = (s: PolicyStep | undefined) =>
    s && { ...s, creditHold: s.creditHold ?? false, finalNotice: s.finalNotice ?? false, handOff: s.handOff ?? false };
  for (let index = 0; index < Math.max(a.steps.length, b.steps.length); index++) {
    const from = flags(a.steps[index]);
    const to = flags(b.steps[index]);
    if (!from) changes.push({ kind: 'step_added', index, step: to! });
    else if (!to) changes.push({ kind: 'step_removed', index, step: from });
    else
      for (const field of STEP_FIELDS)
        if (!same(from[field], to[field]))
          changes.push({ kind: 'step_changed', index, field, from: from[field] ?? null, to: to[field] ?? null });
  }
  return changes;
}

/** One line per change, e.g. `step 3 lateFee: {"percent":1.5} → {"percent":2}`. */
export function describeChange(c: PolicyChange): string {
  const show = (v: unknown) => (v === null || v === undefined ? 'none' : typeof v === 'string' ? v : JSON.stringify(v));
  switch (c.kind) {
    case 'step_added':
      return `+ step ${c.index}: ${c.step.offset} ${c.step.template}${c.step.lateFee ? ` fee ${show(c.step.lateFee)}` : ''}`;
    case 'step_removed':
      return `- step ${c.index}: ${c.step.offset} ${c.step.template}`;
    case 'step_changed':
      return `~ step ${c.index} ${c.field}: ${show(c.from)} → ${show(c.to)}`;
    case 'send_window_changed':
      return `~ sendWindow: ${show(c.from)} → ${show(c.to)}`;
    case 'description_changed':
      return `~ description: ${show(c.from)} → ${show(c.to)}`;
    case 'repeat_changed':
      return `~ repeat: ${show(c.from)} → ${show(c.to)}`;
  }
}
