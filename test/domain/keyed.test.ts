import { emptyKeyed, keyedEntries, keyedGet, keyedSet, keyedToRecord } from '../../src/domain/keyed';

describe('a keyed record', () => {
  it('holds what was set, leaves the record it came from alone, and round-trips through JSON', () => {
    let r = emptyKeyed<number>();
    const plain: Record<string, number> = {};
    for (let i = 0; i < 2_000; i++) {
      const before = r;
      r = keyedSet(r, `p-${i}`, i);
      plain[`p-${i}`] = i;
      expect(keyedGet(before, `p-${i}`)).toBeUndefined();
    }
    r = keyedSet(r, 'p-7', 70);
    plain['p-7'] = 70;
    expect(keyedGet(r, 'p-7')).toBe(70);
    expect(keyedGet(r, 'missing')).toBeUndefined();
    expect(keyedToRecord(r)).toEqual(plain);
    expect(keyedEntries(r)).toHaveLength(2_000);
    const revived = JSON.parse(JSON.stringify(r));
    expect(keyedGet(revived, 'p-1999')).toBe(1999);
  });

  it('puts a key in the same bucket on every run (workflow code replays)', () => {
    expect(Object.keys(keyedSet(emptyKeyed(), 'pi_3QxYz', 1))).toEqual(['210']);
  });
});
