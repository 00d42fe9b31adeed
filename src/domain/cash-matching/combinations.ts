/**
 * Sets of open items whose amounts add up to exactly `target`: a depth-first search over the items in
 * the order given (oldest first), at most `maxItems` in a set and at most `maxSteps` steps, stopping
 * at the second set found (one set is an answer; two are a question for a human). Pure.
 */
export function combinationsSumming<T extends { readonly amountDueCents: number }>(
  items: readonly T[],
  target: number,
  o: { maxItems: number; maxSteps: number },
): { readonly sets: T[][]; readonly exhausted: boolean } {
  const sets: T[][] = [];
  const candidates = items.filter((i) => i.amountDueCents > 0 && i.amountDueCents <= target);
  // What is left to the right of each position: a branch that cannot reach the target is cut.
  const rest: number[] = new Array(candidates.length + 1).fill(0);
  for (let i = candidates.length - 1; i >= 0; i--) rest[i] = rest[i + 1]! + candidates[i]!.amountDueCents;
  let steps = 0;
  let exhausted = false;
  const chosen: T[] = [];
  const walk = (from: number, sum: number): void => {
    if (sets.length >= 2 || exhausted) return;
    if (sum === target && chosen.length > 0) {
      sets.push([...chosen]);
      return;
    }
    if (chosen.length >= o.maxItems || sum + rest[from]! < target) return;
    for (let i = from; i < candidates.length; i++) {
      if (++steps > o.maxSteps) {
        exhausted = true;
        return;
      }
      const next = sum + candidates[i]!.amountDueCents;
      if (next > target) continue;
      chosen.push(candidates[i]!);
      walk(i + 1, next);
      chosen.pop();
      if (sets.length >= 2 || exhausted) return;
    }
  };
  walk(0, 0);
  return { sets, exhausted };
}
