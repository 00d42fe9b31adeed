/**
 * Text every store and reader can take. Postgres refuses NUL in `text` and `jsonb`, and an unpaired
 * UTF-16 surrogate in `jsonb`; other control characters (escape sequences, bells, C1 controls) have no
 * business in names, references or reasons and turn up in emails, PDFs and terminals. Multi-line text
 * may hold tabs and line breaks. Pure, so the workflow bundle can use it.
 */
/* eslint-disable no-control-regex -- matching control characters is what these are for */
const SINGLE_LINE_FORBIDDEN = /[\u0000-\u001f\u007f-\u009f\ud800-\udfff\ufffe\uffff]/u;
const MULTI_LINE_FORBIDDEN = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\ud800-\udfff\ufffe\uffff]/u;
const SINGLE_LINE_RUNS = /[\u0000-\u001f\u007f-\u009f\ud800-\udfff\ufffe\uffff]+/gu;
const MULTI_LINE_RUNS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\ud800-\udfff\ufffe\uffff]+/gu;
/* eslint-enable no-control-regex */

export const CONTROL_CHARACTERS_MESSAGE = 'must not contain control characters';

/** True when `value` holds nothing a store or reader cannot take. */
export function isStorableText(value: string, o: { multiline?: boolean } = {}): boolean {
  return !(o.multiline ? MULTI_LINE_FORBIDDEN : SINGLE_LINE_FORBIDDEN).test(value);
}

/**
 * `value` with each run of forbidden characters replaced by one space, trimmed and cut to `max`
 * characters: for facts that must be recorded whatever they carry (a payment signal from any client).
 */
export function cleanText(value: string, o: { multiline?: boolean; max?: number } = {}): string {
  const cleaned = value.replace(o.multiline ? MULTI_LINE_RUNS : SINGLE_LINE_RUNS, ' ').trim();
  // Cut by code points, so a surrogate pair is never split into an unpaired half.
  return o.max !== undefined && cleaned.length > o.max ? [...cleaned].slice(0, o.max).join('') : cleaned;
}
