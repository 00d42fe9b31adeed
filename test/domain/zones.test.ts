import fc from 'fast-check';
import { IANAZone } from 'luxon';
import { zoneOf } from '../../src/domain/zones';

// The remembered offsets must be exactly Intl's, including in the quarter hours that hold a transition.
const ZONES = [
  'Europe/Berlin',
  'America/New_York',
  'Australia/Lord_Howe',
  'Asia/Kathmandu',
  'Pacific/Chatham',
  'Antarctica/Casey',
  'America/Goose_Bay',
  'America/St_Johns',
  'Asia/Gaza',
  'Pacific/Kiritimati',
  'Pacific/Pago_Pago',
  'UTC',
];

it('gives every instant the offset Intl gives it', () => {
  fc.assert(
    fc.property(fc.constantFrom(...ZONES), fc.integer({ min: Date.UTC(1900, 0, 1), max: Date.UTC(2100, 0, 1) }), (name, ts) => {
      expect(zoneOf(name).offset(ts)).toBe(IANAZone.create(name).offset(ts));
    }),
    { numRuns: 20_000 },
  );
});

it('is exact minute by minute around transitions that fall off the quarter hour', () => {
  // Casey moved to +08 at 00:01 local on 2022-10-02 (16:01 UTC); Goose Bay changed at 00:01 local until 2011.
  for (const [name, at] of [
    ['Antarctica/Casey', Date.UTC(2022, 9, 1, 16, 1)],
    ['America/Goose_Bay', Date.UTC(2010, 2, 14, 4, 1)],
    ['Europe/Berlin', Date.UTC(2026, 2, 29, 1, 0)],
  ] as const) {
    for (let ts = at - 3_600_000; ts <= at + 3_600_000; ts += 30_000)
      expect([name, ts, zoneOf(name).offset(ts)]).toEqual([name, ts, IANAZone.create(name).offset(ts)]);
  }
});

it('leaves an unknown zone invalid', () => {
  expect(zoneOf('Mars/Olympus_Mons').isValid).toBe(false);
});
