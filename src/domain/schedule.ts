import { DateTime, IANAZone } from 'luxon';
import { calendarDays, parseDuration } from './duration';
import { zoneOf } from './zones';
import { WEEKDAYS, type LateFee, type PolicyDocument, type SendWindow, type StepTemplate } from './policy';

/**
 * The one schedule function: turns a policy, a due instant and the customer's time zone into the
 * instants at which each step acts. The workflow, the simulator, the API and the portal all call it.
 *
 * Under the `calendar` rules (invoices started since the 'calendar-day-offsets' patch), an offset of
 * days or weeks means a day on the customer's calendar: due date + N, acting at the opening of the
 * send window that day (or the next opening), or at 09:00 when the policy has no window. Offsets with
 * hours, minutes or seconds stay relative to the due instant. Under the `instant` rules (invoices
 * started before), every offset is added to the due instant, which is the end of the due day.
 */
export interface ScheduledStep {
  readonly index: number;
  readonly offset: string;
  readonly template: StepTemplate;
  readonly lateFee?: LateFee;
  readonly creditHold: boolean;
  readonly finalNotice: boolean;
  readonly handOff: boolean;
  /** Due instant + offset (+ time paused by disputes), ISO-8601 UTC. */
  readonly scheduledAt: string;
  /** Set on a step of the policy's repeating tail: which repetition of the last step it is (1, 2, …). */
  readonly repetition?: number;
  /** `scheduledAt` moved into the send window, ISO-8601 UTC. Equal to it when there is no window. */
  readonly sendAt: string;
}

export interface ScheduleInput {
  readonly policy: PolicyDocument;
  /** ISO-8601 instant the invoice falls due. */
  readonly dueAt: string;
  /** IANA zone of the customer, e.g. `Europe/Berlin`. */
  readonly timeZone: string;
  /** Milliseconds the ladder was paused (disputes); pushes every step later. */
  readonly shiftMs?: number;
  /** How day offsets are read (see above). @default 'instant' */
  readonly rules?: ScheduleRules;
  /**
   * For a policy with `repeatEvery`: the instant around which its endless tail is listed, as the
   * latest repetition due by then (if any) and the next one after it. Without it, the first one.
   */
  readonly repeatAround?: number;
}

export type ScheduleRules = 'instant' | 'calendar';

/**
 * When day offsets act for a policy without a send window: from 09:00 in the customer's zone, any
 * day (a step pushed later by a dispute acts then if it falls before 17:00, else at the next 09:00).
 */
export const DEFAULT_DAY_WINDOW: SendWindow = { days: WEEKDAYS, start: '09:00', end: '17:00' };

/**
 * Policies are validated to ±10 years of the due date; one stored before that bound may say more.
 * Its steps act at the bound instead of making a date no clock can show (which would stop the workflow).
 */
const MAX_OFFSET_DAYS = 3650;
const MAX_OFFSET_MS = MAX_OFFSET_DAYS * 86_400_000;

/** `window.start` on `date` (YYYY-MM-DD) on the customer's wall clock (a time in a DST gap resolves forward). */
function openingOn(date: string, window: SendWindow, timeZone: string): number {
  const [hour, minute] = window.start.split(':').map(Number) as [number, number];
  return DateTime.fromISO(date, { zone: zoneOf(timeZone) })
    .set({ hour, minute })
    .toMillis();
}

export function computeSchedule(input: ScheduleInput): ScheduledStep[] {
  const { policy } = input;
  const steps = policy.steps.map((step, index) => ({
    index,
    offset: step.offset,
    template: step.template,
    ...(step.lateFee ? { lateFee: step.lateFee } : {}),
    creditHold: step.creditHold ?? false,
    finalNotice: step.finalNotice ?? false,
    handOff: step.handOff ?? false,
    ...instantsOf(input, step.offset),
  }));
  return [...steps, ...repetitions(input, steps[steps.length - 1])];
}

/** When a step with this offset acts: the two instants of `ScheduledStep`. */
function instantsOf(
  { policy, dueAt, timeZone, shiftMs = 0, rules = 'instant' }: ScheduleInput,
  offset: string,
): { scheduledAt: string; sendAt: string } {
  const dueMs = Date.parse(dueAt);
  const days = rules === 'calendar' ? calendarDays(offset) : null;
  let scheduledMs: number;
  let sendMs: number;
  if (days !== null) {
    const window = policy.sendWindow ?? DEFAULT_DAY_WINDOW;
    const day = addDays(localDate(dueMs, timeZone), Math.max(-MAX_OFFSET_DAYS, Math.min(MAX_OFFSET_DAYS, days)));
    scheduledMs = openingOn(day, window, timeZone) + shiftMs;
    sendMs = nextOpening(scheduledMs, window, timeZone);
  } else {
    scheduledMs = dueMs + Math.max(-MAX_OFFSET_MS, Math.min(MAX_OFFSET_MS, safeDuration(offset))) + shiftMs;
    sendMs = policy.sendWindow ? nextOpening(scheduledMs, policy.sendWindow, timeZone) : scheduledMs;
  }
  return { scheduledAt: new Date(scheduledMs).toISOString(), sendAt: new Date(sendMs).toISOString() };
}

/**
 * The endless tail around `repeatAround`: repetition k of the last step is the last step's offset
 * plus k × `repeatEvery` (days on the customer's calendar when both are days, else an instant
 * offset), read by the same rules as any step. Its instants only grow with k, so the latest one due
 * is found by bisection, and the one after it is not due yet: no burst after an outage.
 */
function repetitions(input: ScheduleInput, last: ScheduledStep | undefined): ScheduledStep[] {
  const { policy } = input;
  if (!policy.repeatEvery || !last || last.handOff) return [];
  const every = repeatOffset(policy.repeatEvery, last.offset, input.rules ?? 'instant');
  if (!every) return [];
  const at = (k: number): ScheduledStep => ({
    index: last.index + k,
    offset: every.offsetOf(k),
    template: policy.repeatTemplate ?? last.template,
    creditHold: false,
    finalNotice: false,
    handOff: false,
    repetition: k,
    ...instantsOf(input, every.offsetOf(k)),
  });
  // Repetitions stop where any step would: ten years after the due date.
  const maxK = Math.floor((MAX_OFFSET_MS - every.lastMs) / every.stepMs);
  if (maxK < 1) return [];
  const now = input.repeatAround;
  if (now === undefined) return [at(1)];
  // The latest k whose sendAt ≤ now: sendAt ≥ scheduledAt, and scheduledAt ≤ now bounds k from above.
  let lo = 0;
  let hi = Math.max(0, Math.min(maxK, Math.floor((now - Date.parse(last.scheduledAt)) / every.stepMs) + 1));
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (Date.parse(at(mid).sendAt) <= now) lo = mid;
    else hi = mid - 1;
  }
  return [...(lo >= 1 ? [at(lo)] : []), ...(lo + 1 <= maxK ? [at(lo + 1)] : [])];
}

/** The k-th repetition's offset from the due date, in the units the rules read. */
function repeatOffset(
  every: string,
  lastOffset: string,
  rules: ScheduleRules,
): { offsetOf: (k: number) => string; stepMs: number; lastMs: number } | null {
  const stepMs = safeDuration(every);
  const lastMs = safeDuration(lastOffset);
  if (stepMs <= 0) return null;
  const everyDays = calendarDays(every);
  const lastDays = calendarDays(lastOffset);
  if (rules === 'calendar' && everyDays !== null && lastDays !== null) {
    return { offsetOf: (k) => signed(lastDays + k * everyDays, 'd'), stepMs, lastMs };
  }
  return { offsetOf: (k) => signed(Math.round((lastMs + k * stepMs) / 1000), 's'), stepMs, lastMs };
}

const signed = (n: number, unit: 'd' | 's') => `${n < 0 ? '-' : ''}${Math.abs(n)}${unit}`;

/**
 * The first instant at or after `instantMs` inside the window, evaluated on the wall clock of
 * `timeZone`. Opening times are resolved per calendar day, so they stay at 09:00 local across
 * daylight-saving changes; a wall time that does not exist (spring-forward gap) resolves forward.
 */
export function nextOpening(instantMs: number, window: SendWindow, timeZone: string): number {
  const local = DateTime.fromMillis(instantMs, { zone: zoneOf(timeZone) });
  const [startHour, startMinute] = window.start.split(':').map(Number) as [number, number];
  const [endHour, endMinute] = window.end.split(':').map(Number) as [number, number];
  for (let day = 0; day < 8; day++) {
    const date = local.startOf('day').plus({ days: day });
    if (!window.days.includes(WEEKDAYS[date.weekday - 1]!)) continue;
    const open = date.set({ hour: startHour, minute: startMinute });
    const close = date.set({ hour: endHour, minute: endMinute });
    if (day === 0) {
      if (local < open) return open.toMillis();
      if (local < close) return instantMs;
      continue;
    }
    return open.toMillis();
  }
  // Unreachable for a validated window (at least one weekday); fail safe by not delaying.
  return instantMs;
}

function safeDuration(offset: string): number {
  try {
    return parseDuration(offset);
  } catch {
    return offset.trim().startsWith('-') ? -MAX_OFFSET_MS : MAX_OFFSET_MS;
  }
}

export function isValidTimeZone(zone: string): boolean {
  return IANAZone.isValidZone(zone);
}

/** End of `date` (YYYY-MM-DD) on the customer's wall clock, as an ISO-8601 UTC instant. */
export function endOfLocalDay(date: string, timeZone: string): string {
  return DateTime.fromISO(date, { zone: zoneOf(timeZone) })
    .endOf('day')
    .toUTC()
    .toISO()!;
}

/** Start of `date` (YYYY-MM-DD) on the customer's wall clock, in epoch milliseconds. */
export function startOfLocalDay(date: string, timeZone: string): number {
  return DateTime.fromISO(date, { zone: zoneOf(timeZone) })
    .startOf('day')
    .toMillis();
}

/** The customer's calendar date at `instantMs` (YYYY-MM-DD). */
export function localDate(instantMs: number, timeZone: string): string {
  return DateTime.fromMillis(instantMs, { zone: zoneOf(timeZone) }).toISODate()!;
}

/** Calendar days from `from` to `to` (YYYY-MM-DD, zone-free): negative when `to` is earlier. */
export function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);
}

/** `date` plus `days` calendar days (YYYY-MM-DD arithmetic, zone-free). */
export function addDays(date: string, days: number): string {
  return DateTime.fromISO(date, { zone: 'UTC' }).plus({ days }).toISODate()!;
}
