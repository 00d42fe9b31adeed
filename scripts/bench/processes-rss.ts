import { readdir, readFile } from 'node:fs/promises';

/** Resident set size of a process in MiB (Linux `/proc`); null where there is no such file. */
export async function rssMiB(pid: number | undefined): Promise<number | null> {
  if (pid === undefined) return null;
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => null);
  const kb = status?.match(/^VmRSS:\s+(\d+) kB/m)?.[1];
  return kb ? Math.round(Number(kb) / 1024) : null;
}

/** The pid of a running process whose command line contains every one of `parts` (Linux `/proc`). */
export async function findPid(parts: readonly string[]): Promise<number | undefined> {
  const entries = await readdir('/proc').catch(() => [] as string[]);
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    const args = cmdline.split('\0');
    if (parts.every((p) => args.some((a) => a.includes(p)))) return Number(entry);
  }
  return undefined;
}
