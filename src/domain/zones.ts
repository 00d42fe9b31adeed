import { IANAZone, Zone, type ZoneOffsetFormat, type ZoneOffsetOptions } from 'luxon';

/**
 * An IANA zone whose UTC offsets are remembered per quarter hour. Luxon asks Intl for the offset of
 * every instant it touches (`formatToParts`, half the cost of working out a schedule), though an
 * offset only changes at a transition, months apart. A quarter hour whose first and last millisecond
 * have the same offset has it throughout (two transitions never fall within 15 minutes), so it is
 * remembered; one holding a transition (most fall on a quarter hour of UTC, not all: Casey's 2022
 * one is at 16:01) is asked of Intl instant by instant. Pure: safe in workflow code.
 */
class QuarterHourZone extends Zone {
  /** Per quarter hour since the epoch: its offset, or null where a transition falls inside it. */
  private readonly offsets = new Map<number, number | null>();
  constructor(private readonly zone: IANAZone) {
    super();
  }
  override get type(): string {
    return this.zone.type;
  }
  override get name(): string {
    return this.zone.name;
  }
  override get isUniversal(): boolean {
    return this.zone.isUniversal;
  }
  override get isValid(): boolean {
    return this.zone.isValid;
  }
  override offsetName(ts: number, options: ZoneOffsetOptions): string | null {
    return this.zone.offsetName(ts, options);
  }
  override formatOffset(ts: number, format: ZoneOffsetFormat): string {
    return this.zone.formatOffset(ts, format);
  }
  override equals(other: Zone): boolean {
    return other instanceof QuarterHourZone ? other.name === this.name : this.zone.equals(other);
  }
  override offset(ts: number): number {
    if (!Number.isFinite(ts)) return this.zone.offset(ts);
    const block = Math.floor(ts / QUARTER_HOUR_MS);
    let offset = this.offsets.get(block);
    if (offset === undefined) {
      if (this.offsets.size >= MAX_REMEMBERED) this.offsets.clear();
      const first = this.zone.offset(block * QUARTER_HOUR_MS);
      offset = first === this.zone.offset((block + 1) * QUARTER_HOUR_MS - 1) ? first : null;
      this.offsets.set(block, offset);
    }
    return offset ?? this.zone.offset(ts);
  }
}

const QUARTER_HOUR_MS = 15 * 60_000;
/** Quarter hours remembered per zone (about 40 days' worth) before it starts afresh. */
const MAX_REMEMBERED = 4096;
const zones = new Map<string, Zone>();

/** The zone named `timeZone` for luxon, with its offsets remembered (an invalid name stays invalid). */
export function zoneOf(timeZone: string): Zone {
  let zone = zones.get(timeZone);
  if (!zone) {
    const iana = IANAZone.create(timeZone);
    zone = iana.isValid ? new QuarterHourZone(iana) : iana;
    zones.set(timeZone, zone);
  }
  return zone;
}
