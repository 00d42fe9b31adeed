import { Presets, SingleBar } from 'cli-progress';

/** Where progress goes: the terminal's stderr, or any stream with `write` (tests, logs). */
export type ProgressStream = Pick<NodeJS.WriteStream, 'write'> & { readonly isTTY?: boolean };

export interface Progress {
  update(value: number, total: number): void;
  stop(): void;
}

/**
 * A progress bar (cli-progress) on a terminal; on anything else (CI logs, pipes) a line every
 * `lineEveryMs` so long runs still show they move.
 */
export function progressBar(stream: ProgressStream | undefined, label: string, lineEveryMs = 2_000): Progress {
  if (!stream) return { update: () => undefined, stop: () => undefined };
  const bar = new SingleBar(
    {
      stream: stream as NodeJS.WriteStream,
      format: `${label} [{bar}] {percentage}% | {value}/{total} | ETA {eta_formatted}`,
      noTTYOutput: true,
      notTTYSchedule: lineEveryMs,
      hideCursor: stream.isTTY === true,
      etaBuffer: 20,
    },
    Presets.shades_classic,
  );
  let started = false;
  return {
    update(value, total) {
      if (!started) {
        bar.start(total, value);
        started = true;
      } else {
        bar.setTotal(total);
        bar.update(value);
      }
    },
    stop() {
      if (started) bar.stop();
    },
  };
}
