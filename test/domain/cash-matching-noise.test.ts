import { buildMatchBook, matchCredit } from '../../src/domain/cash-matching/match';
import { generateMatchingData } from '../../scripts/bench/matching-data';

// The benchmark's generator at a small scale, over several seeds: at the default threshold the
// matcher must post nothing to a wrong invoice, whatever the noise.
it.each([1, 2, 3, 4, 5])('posts nothing wrongly on a noisy statement (seed %i)', (seed) => {
  const data = generateMatchingData({ seed, customers: 300, invoices: 3_000, lines: 600 });
  const book = buildMatchBook(data);
  const spent = new Map<string, number>();
  const wrong: string[] = [];
  let auto = 0;
  for (const line of data.lines) {
    const d = matchCredit(line, book, undefined, spent);
    if (d.kind !== 'auto') continue;
    auto++;
    const ids = d.proposal.allocations.map((a) => a.invoiceId);
    for (const a of d.proposal.allocations) spent.set(a.invoiceId, (spent.get(a.invoiceId) ?? 0) + a.amountCents);
    if (line.truth.length === 0 || ids.length !== line.truth.length || !ids.every((i) => line.truth.includes(i)))
      wrong.push(
        `${line.scenario}: "${line.remittance}" ${line.payerName ?? ''} → ${d.proposal.allocations.map((a) => a.number).join(', ')} (${d.proposal.rules.join('; ')})`,
      );
  }
  expect(wrong).toEqual([]);
  expect(auto / data.lines.length).toBeGreaterThan(0.6);
});
