import { readFile } from 'node:fs/promises';
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { DomainError, ErrorCode } from '../domain/errors';
import { formatMoney } from '../domain/money';
import { parsePolicyDocument } from '../domain/policy-schema';
import { ConfigError } from '../config';
import { ApiError, apiClient, type ApiClient } from './api-client';
import { registerBank } from './bank';
import { registerImport } from './import';
import { registerLedger } from './ledger';
import { progressBar, type ProgressStream } from './progress';
import type { MigrationStatus as ServiceMigrationStatus } from '../services/policy-migrations';

export interface CliIo {
  readonly env: Record<string, string | undefined>;
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  /** Progress bars (the terminal's stderr); none when absent. */
  readonly progress?: ProgressStream;
  /** How often progress is polled and, off a terminal, printed (ms). */
  readonly pollMs?: number;
}

const positiveInt = (what: string) => (value: string) => {
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new InvalidArgumentError(`${what} must be a positive integer`);
  return Number(value);
};

/** Reads and validates a policy file; every problem is named by its path. */
async function readPolicyFile(file: string) {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    throw new DomainError(
      ErrorCode.VALIDATION,
      `${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : `not valid JSON (${(err as Error).message})`}`,
    );
  }
  return parsePolicyDocument(raw);
}

/**
 * `npm run cli -- …`: the finance lead's commands. Returns the exit code (0 ok, 1 refused or failed,
 * 2 usage) instead of exiting, so tests drive it in-process.
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let api: ApiClient;
  try {
    api = apiClient(io.env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    io.err(err.message);
    return 2;
  }
  const print = (value: unknown, json: boolean | undefined, human: () => string) => io.out(json ? JSON.stringify(value, null, 2) : human());
  const program = new Command('cli')
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .description('Collections engine command line');
  const policy = program.command('policy').description('dunning policies: list, show, validate, create, diff, simulate');

  policy
    .command('list')
    .description('every policy and its latest version')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }) => {
      const { policies } = await api.call<{
        policies: { name: string; latestVersion: number; steps: number; description: string | null }[];
      }>('GET', '/api/policies');
      print(policies, o.json, () =>
        policies
          .map(
            (p) =>
              `${p.name.padEnd(24)} v${String(p.latestVersion).padEnd(4)} ${String(p.steps).padStart(2)} steps  ${p.description ?? ''}`,
          )
          .join('\n'),
      );
    });

  policy
    .command('show <name>')
    .description('one version of a policy (the latest by default)')
    .option('-v, --version <n>', 'version', positiveInt('version'))
    .option('--json', 'print JSON')
    .action(async (name: string, o: { version?: number; json?: boolean }) => {
      const p = await api.call('GET', `/api/policies/${encodeURIComponent(name)}${o.version ? `?version=${o.version}` : ''}`);
      print(p, o.json, () =>
        [
          `${p.name} v${p.version} (versions ${p.versions.join(', ')})${p.description ? ` — ${p.description}` : ''}`,
          ...(p.sendWindow
            ? [`send window ${p.sendWindow.days.join(',')} ${p.sendWindow.start}–${p.sendWindow.end} (customer's time)`]
            : []),
          ...p.steps.map(
            (s: any, i: number) =>
              `  ${i}  ${s.offset.padStart(5)}  ${s.template.padEnd(20)}${s.lateFee ? ` fee ${JSON.stringify(s.lateFee)}` : ''}${s.creditHold ? ' credit-hold' : ''}${s.finalNotice ? ' final' : ''}${s.handOff ? ' hand-off' : ''}`,
          ),
        ].join('\n'),
      );
    });

  policy
    .command('validate <file>')
    .description('check a policy file without saving it')
    .action(async (file: string) => {
      const doc = await readPolicyFile(file);
      io.out(`${file}: valid policy ${doc.name} with ${doc.steps.length} steps`);
    });

  policy
    .command('create <file>')
    .description('save a policy file as the next version of its policy')
    .action(async (file: string) => {
      const doc = await readPolicyFile(file);
      const created = await api.call<{ name: string; version: number }>('POST', '/api/policies', doc);
      io.out(`created ${created.name} v${created.version}; running invoices stay on the version they started with`);
    });

  policy
    .command('diff')
    .description('what changed between two versions')
    .argument('<name>', 'policy name')
    .argument('<from>', 'older version', positiveInt('from'))
    .argument('<to>', 'newer version', positiveInt('to'))
    .option('--json', 'print JSON')
    .action(async (name: string, a: number, b: number, o: { json?: boolean }) => {
      const diff = await api.call<{ changes: { summary: string }[] }>(
        'GET',
        `/api/policies/${encodeURIComponent(name)}/diff?from=${a}&to=${b}`,
      );
      print(diff, o.json, () =>
        diff.changes.length ? diff.changes.map((c) => c.summary).join('\n') : `${name} v${a} and v${b} are the same`,
      );
    });

  policy
    .command('simulate <policy>')
    .description('the exact timeline a policy (a file, or name[@version]) gives an invoice')
    .option('--invoice <id>', 'an existing invoice')
    .option('--amount <cents>', 'hypothetical invoice: total in minor units', positiveInt('amount'))
    .option('--currency <code>', 'hypothetical invoice: currency', 'USD')
    .option('--tz <zone>', "hypothetical invoice: the customer's IANA time zone", 'UTC')
    .option('--due <date>', 'hypothetical invoice: due date YYYY-MM-DD')
    .option('--issued <instant>', 'hypothetical invoice: issue instant (default now)')
    .option('--json', 'print JSON')
    .action(
      async (
        ref: string,
        o: { invoice?: string; amount?: number; currency: string; tz: string; due?: string; issued?: string; json?: boolean },
      ) => {
        const named = /^([a-z0-9][a-z0-9_-]*)(?:@(\d+))?$/.exec(ref);
        const policyBody = named ? { name: named[1], ...(named[2] ? { version: Number(named[2]) } : {}) } : await readPolicyFile(ref);
        const invoice = o.invoice
          ? { invoiceId: o.invoice }
          : {
              invoice: {
                totalCents: o.amount,
                currency: o.currency,
                timeZone: o.tz,
                dueDate: o.due,
                ...(o.issued ? { issuedAt: o.issued } : {}),
              },
            };
        const sim = await api.call('POST', '/api/policies/simulate', { policy: policyBody, ...invoice });
        const money = (cents: number) => formatMoney(cents, sim.invoice.currency);
        print(sim, o.json, () =>
          [
            `${sim.policy.name}${sim.policy.version ? ` v${sim.policy.version}` : ' (draft)'} on ${sim.invoice.id ?? 'a hypothetical invoice'}: ${money(sim.invoice.totalCents)} due ${sim.invoice.dueAt} (${sim.invoice.timeZone})`,
            ...sim.actions.map(
              (a: any) =>
                `  ${a.past ? 'past ' : '     '}${a.actsAtLocal}  step ${a.index} ${a.template.padEnd(20)}${a.lateFeeCents ? ` +${money(a.lateFeeCents)}` : ''}  due ${money(a.amountDueCents)}${a.mergedSteps.length ? `  (catches up steps ${a.mergedSteps.join(', ')})` : ''}${a.creditHold ? '  credit hold' : ''}${a.handOff ? '  hand-off' : ''}`,
            ),
            `  → ${sim.final.status}, ${money(sim.final.amountDueCents)} due (fees ${money(sim.final.feesCents)})`,
          ].join('\n'),
        );
      },
    );

  policy
    .command('migrate <name>')
    .description('move every running invoice on a policy to a version, for its future steps')
    .requiredOption('--to <version>', 'target version', positiveInt('version'))
    .option('--reason <text>', "why (kept in each invoice's audit trail)")
    .option('--no-wait', 'start it and return; read progress later with `policy migration`')
    .option('--json', 'print JSON')
    .action(async (name: string, o: { to: number; reason?: string; wait: boolean; json?: boolean }) => {
      const route = `/api/policies/${encodeURIComponent(name)}/migrations`;
      let status = await api.call<MigrationStatus>('POST', route, { toVersion: o.to, ...(o.reason ? { reason: o.reason } : {}) });
      if (o.wait) {
        const bar = progressBar(io.progress, `${name} → v${o.to}`, io.pollMs ?? 2_000);
        try {
          while (status.state === 'running' || status.state === 'starting') {
            if (status.total !== null) bar.update(status.examined, Math.max(status.total, status.examined));
            await new Promise((r) => setTimeout(r, io.pollMs ?? 500));
            status = await api.call<MigrationStatus>('GET', `${route}/${o.to}`);
          }
          bar.update(status.examined, Math.max(status.total ?? 0, status.examined));
        } finally {
          bar.stop();
        }
      }
      print(status, o.json, () => describeMigration(status));
      if (status.failed > 0 || !['running', 'starting', 'completed'].includes(status.state)) throw new ExitCode(1);
    });

  policy
    .command('migration <name> <version>')
    .description('progress or report of the latest migration of a policy to a version')
    .option('--json', 'print JSON')
    .action(async (name: string, version: string, o: { json?: boolean }) => {
      const status = await api.call<MigrationStatus>(
        'GET',
        `/api/policies/${encodeURIComponent(name)}/migrations/${positiveInt('version')(version)}`,
      );
      print(status, o.json, () => describeMigration(status));
    });

  registerImport(
    program,
    () => api,
    io,
    (code) => {
      throw new ExitCode(code);
    },
  );
  registerBank(program, () => api, io);
  registerLedger(
    program,
    () => api,
    io,
    (code) => {
      throw new ExitCode(code);
    },
  );

  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    if (err instanceof ExitCode) return err.code;
    if (err instanceof ApiError) io.err(`error ${err.code}: ${err.message}`);
    else if (err instanceof DomainError) io.err(`error ${err.code}: ${err.message}`);
    else throw err;
    return 1;
  }
}

/** Ends a command with an exit code after it has printed its result. */
class ExitCode extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

/** What the API answers about a migration (the service's status plus its Temporal UI link). */
type MigrationStatus = ServiceMigrationStatus & { temporalUrl: string };

function describeMigration(s: MigrationStatus): string {
  const head =
    s.state === 'completed'
      ? `moved ${s.migrated} running invoice${s.migrated === 1 ? '' : 's'} on ${s.policyName} to v${s.toVersion}`
      : `migration of ${s.policyName} to v${s.toVersion}: ${s.state}, ${s.examined}/${s.total ?? '?'} examined, ${s.migrated} moved`;
  return [
    head,
    `  already on v${s.toVersion}: ${s.already}, skipped (closed meanwhile): ${s.skipped}, failed: ${s.failed}`,
    ...s.problems.map((p) => `  ${p.workflowId}: ${p.problem}`),
    ...(s.failed > 0 ? ['  run the same command again to retry the failed ones'] : []),
    `  ${s.temporalUrl}`,
  ].join('\n');
}
