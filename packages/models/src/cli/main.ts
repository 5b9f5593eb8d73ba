/**
 * The `tessera` command line: `tessera <group> <command> [options]`.
 *
 * ```
 * tessera dit train   [--steps N] [--batch N] [--lr X] [--config small|DiT-S/2] [--out ckpt.safetensors] …
 * tessera dit sample  --ckpt ckpt.safetensors [--sampler ddim|ddpm] [--steps N] [--cfg X] [--per-class N] [--out samples.png]
 * tessera vivit train [--steps N] … [--out vivit.safetensors]
 * tessera vivit eval  --ckpt vivit.safetensors
 * tessera info
 * ```
 *
 * `main(argv)` runs a command in-process and resolves to its exit status (0 done, 1 failed, 2 a
 * bad command line); it never calls `process.exit`. `bin/tessera.js` calls it.
 * @module
 */
import { UsageError } from './args.js';
import { BackendUnavailableError } from './backend.js';
import { type CliIO, type CommandContext, makeContext } from './context.js';
import { DIT_SAMPLE, DIT_TRAIN, ditSampleCommand, ditTrainCommand } from './dit.js';
import { INFO, infoCommand, modelsVersion } from './info.js';
import { VIVIT_EVAL, VIVIT_TRAIN, vivitEvalCommand, vivitTrainCommand } from './vivit.js';

type Command = { summary: string; run: (argv: readonly string[], ctx: CommandContext) => Promise<number> };

/** The commands by their words after `tessera`. */
const COMMANDS: Record<string, Command> = {
  'dit train': { summary: DIT_TRAIN.summary, run: ditTrainCommand },
  'dit sample': { summary: DIT_SAMPLE.summary, run: ditSampleCommand },
  'vivit train': { summary: VIVIT_TRAIN.summary, run: vivitTrainCommand },
  'vivit eval': { summary: VIVIT_EVAL.summary, run: vivitEvalCommand },
  info: { summary: INFO.summary, run: infoCommand },
};

const GROUPS = ['dit', 'vivit'];

function usage(group?: string): string {
  const names = Object.keys(COMMANDS).filter((n) => !group || n.startsWith(`${group} `));
  const width = Math.max(...names.map((n) => n.length)) + 2;
  return [
    `Usage: tessera ${group ?? '<command>'}${group ? ' <command>' : ''} [options]`,
    '',
    'Commands:',
    ...names.map((n) => `  ${n.padEnd(width)}${COMMANDS[n]!.summary}`),
    '',
    `Run 'tessera ${group ? `${group} ` : ''}<command> --help' for a command's options.`,
  ].join('\n');
}

/** The command named by `argv`, or the usage to print: asked for (`--help`), or because no command was named. */
function resolveCommand(argv: readonly string[]): { name: string; rest: readonly string[] } | { help: string; missing: boolean } {
  const [first, second] = argv;
  if (first === undefined || first === '-h' || first === '--help' || first === 'help') return { help: usage(), missing: first === undefined };
  if (first === 'info') return { name: 'info', rest: argv.slice(1) };
  if (GROUPS.includes(first)) {
    if (second === undefined || second === '-h' || second === '--help') return { help: usage(first), missing: second === undefined };
    const name = `${first} ${second}`;
    if (COMMANDS[name]) return { name, rest: argv.slice(2) };
    throw new UsageError(`tessera ${first}: unknown command '${second}' (expected ${Object.keys(COMMANDS).filter((n) => n.startsWith(`${first} `)).map((n) => n.split(' ')[1]).join(' or ')}; see 'tessera ${first} --help')`);
  }
  throw new UsageError(`tessera: unknown command '${first}' (expected dit, vivit or info; see 'tessera --help')`);
}

/** Options of `main`. */
export interface MainOptions {
  /** Streams (default: the process's stdout and stderr). */
  io?: Partial<CliIO>;
  /** Only results: no progress bars or log lines (as `--quiet`). */
  quiet?: boolean;
}

/**
 * Runs the `tessera` command line `argv` (the words after `tessera`) in-process. Resolves to the
 * exit status: 0 done, 1 the command failed (the message is on stderr), 2 a bad command line.
 */
export async function main(argv: readonly string[] = process.argv.slice(2), opts: MainOptions = {}): Promise<number> {
  const io: CliIO = { stdout: opts.io?.stdout ?? process.stdout, stderr: opts.io?.stderr ?? process.stderr };
  const ctx = makeContext(io, opts.quiet ?? false);
  const error = (line: string): void => void io.stderr.write(`${line}\n`);
  let name = 'tessera';
  try {
    if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-v')) {
      ctx.out(`tessera ${(await modelsVersion()) ?? '?'}`);
      return 0;
    }
    const r = resolveCommand(argv);
    if ('help' in r) {
      // Asked for: stdout, status 0. No command named: stderr, status 2.
      if (!r.missing) ctx.out(r.help);
      else error(r.help);
      return r.missing ? 2 : 0;
    }
    name = `tessera ${r.name}`;
    return await COMMANDS[r.name]!.run(r.rest, ctx);
  } catch (e) {
    if (e instanceof UsageError) {
      error(e.message);
      return 2;
    }
    const err = e as Error;
    // Library errors (StateDictError, ArgumentError, BackendError, …) carry messages written to be
    // read; anything else gets its stack when TESSERA_DEBUG is set.
    const kind = err instanceof BackendUnavailableError || !err.name || err.name === 'Error' ? '' : `${err.name}: `;
    error(`${name}: ${kind}${err.message ?? String(e)}`);
    if (process.env.TESSERA_DEBUG && err.stack) error(err.stack);
    return 1;
  }
}
