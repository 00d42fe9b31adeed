/**
 * A record that stays cheap to extend without mutation: entries are spread over up to 256 buckets by
 * a hash of their key, so adding one copies a bucket (about n/256 entries), not the whole record.
 * An invoice's books hold every payment and refund it ever applied (thousands, for a busy one), and
 * the workflow folds each new event into them: a plain spread would make that fold quadratic.
 *
 * Plain JSON (bucket number → entries), so it travels through continue-as-new and queries as is.
 */
export type KeyedRecord<T> = Readonly<Record<number, Readonly<Record<string, T>>>>;

const BUCKETS = 256;

/** FNV-1a over UTF-16 code units: stable across runs and platforms, as workflow code must be. */
function bucketOf(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % BUCKETS;
}

export const emptyKeyed = <T>(): KeyedRecord<T> => ({});

export function keyedGet<T>(record: KeyedRecord<T>, key: string): T | undefined {
  return record[bucketOf(key)]?.[key];
}

export function keyedSet<T>(record: KeyedRecord<T>, key: string, value: T): KeyedRecord<T> {
  const b = bucketOf(key);
  return { ...record, [b]: { ...record[b], [key]: value } };
}

/** Every entry, bucket by bucket (in no meaningful order). */
export function keyedEntries<T>(record: KeyedRecord<T>): [string, T][] {
  return Object.values(record).flatMap((bucket) => Object.entries(bucket));
}

/** A plain record of the same entries (for a ledger comparison or a report). */
export function keyedToRecord<T>(record: KeyedRecord<T>): Record<string, T> {
  return Object.fromEntries(keyedEntries(record));
}
