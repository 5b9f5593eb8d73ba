/**
 * Command-line options for the `tessera` tool: a declarative table per command, parsed with
 * `node:util` `parseArgs` (strict: unknown flags and stray arguments are errors), numbers and
 * choices validated, and every failure reported as a `UsageError` that names the command, the
 * flag and the value. The same table renders `--help`.
 * @module
 */
import { parseArgs } from 'node:util';

/** A bad command line: the message names the command, the flag and the value. Exit status 2. */
export class UsageError extends Error {
  /** `'UsageError'`. */
  override name = 'UsageError';
  /**
   * @param message what is wrong, e.g. `tessera dit train: --steps must be an integer >= 1, got 'x'`
   * @param command the command whose `--help` explains it (e.g. `'dit train'`), if any
   */
  constructor(
    message: string,
    /** The command whose `--help` explains it, if any. */
    readonly command?: string,
  ) {
    super(message);
  }
}

/** One flag of a command. */
export interface OptionSpec {
  /** `'int'` and `'number'` are parsed and range-checked; `'string'` may list `choices`. */
  readonly type: 'int' | 'number' | 'string' | 'boolean';
  /** One line of help. */
  readonly help: string;
  /** The default (shown in `--help`). Options with neither a default nor `required` may be undefined. */
  readonly default?: number | string | boolean;
  /** The option must be given. */
  readonly required?: boolean;
  /** The allowed values of a string option. */
  readonly choices?: readonly string[];
  /** Smallest allowed number (inclusive). */
  readonly min?: number;
  /** Largest allowed number (inclusive). */
  readonly max?: number;
  /** The value's placeholder in `--help` (default from the type: N, X, PATH, or the choices). */
  readonly metavar?: string;
}

/** A command's name, one-line summary, longer description and flags. */
export interface CommandSpec {
  /** The words after `tessera`, e.g. `'dit train'`. */
  readonly name: string;
  /** One line, for the command list. */
  readonly summary: string;
  /** Paragraphs after the usage line in `--help`. */
  readonly description?: string;
  /** The flags, by long name (without `--`). */
  readonly options: Readonly<Record<string, OptionSpec>>;
}

/** The parsed type of an option: a number, a boolean, one of its choices, or a string. */
export type OptionValue<O extends OptionSpec> = O['type'] extends 'int' | 'number'
  ? number
  : O['type'] extends 'boolean'
    ? boolean
    : O extends { choices: readonly (infer C extends string)[] }
      ? C
      : string;

/** The parsed values of a command's options: numbers as numbers; optional ones may be undefined. */
export type ParsedOptions<S extends Readonly<Record<string, OptionSpec>>> = {
  -readonly [K in keyof S]: S[K] extends { default: number | string | boolean } | { required: true } | { type: 'boolean' } ? OptionValue<S[K]> : OptionValue<S[K]> | undefined;
};

function closest(name: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = editDistance(name, c);
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  return bestD <= Math.max(1, Math.floor(name.length / 3)) ? best : undefined;
}

/** Edit distance with adjacent transpositions (optimal string alignment): `stpes` is 1 from `steps`. */
function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

/** The reply of `parseOptions` to `--help`. */
export const HELP: unique symbol = Symbol('help');

/**
 * Parses `argv` (the words after the command's name) against `spec`. Returns the values, or `HELP`
 * when `-h`/`--help` is among them. Throws `UsageError` for an unknown flag, a missing or
 * malformed value, a value out of range or not among the choices, a missing required flag, or a
 * positional argument.
 */
export function parseOptions<S extends CommandSpec>(spec: S, argv: readonly string[]): ParsedOptions<S['options']> | typeof HELP {
  const cmd = `tessera ${spec.name}`;
  const fail = (msg: string): UsageError => new UsageError(`${cmd}: ${msg} (see '${cmd} --help')`, spec.name);
  const config: Record<string, { type: 'string' | 'boolean'; short?: string }> = { help: { type: 'boolean', short: 'h' } };
  for (const [name, o] of Object.entries(spec.options)) config[name] = { type: o.type === 'boolean' ? 'boolean' : 'string' };
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({ args: [...argv], options: config, strict: true, allowPositionals: false }).values as Record<string, string | boolean | undefined>;
  } catch (e) {
    const err = e as Error & { code?: string };
    if (err.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
      const flag = /'([^']+)'/.exec(err.message)?.[1] ?? '?';
      const guess = flag.startsWith('--') ? closest(flag.slice(2).split('=')[0]!, Object.keys(spec.options)) : undefined;
      throw fail(`unknown option '${flag}'${guess ? `; did you mean '--${guess}'?` : ''}`);
    }
    if (err.code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') {
      const word = /'([^']*)'/.exec(err.message)?.[1] ?? '?';
      throw fail(`unexpected argument '${word}'`);
    }
    if (err.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
      const flag = /'(--?[\w-]+)/.exec(err.message)?.[1];
      if (flag && /argument missing/.test(err.message)) throw fail(`${flag} needs a value`);
      if (flag && /does not take an argument/.test(err.message)) throw fail(`${flag} is a switch and takes no value`);
      if (flag && /ambiguous/.test(err.message)) throw fail(`${flag} needs a value, and the next word starts with '-' (write ${flag}=VALUE for a value that does)`);
      throw fail(err.message.replace(/\.$/, ''));
    }
    throw fail(err.message);
  }
  if (values.help) return HELP;
  const out: Record<string, number | string | boolean | undefined> = {};
  for (const [name, o] of Object.entries(spec.options)) {
    const raw = values[name];
    if (raw === undefined) {
      if (o.required) throw fail(`--${name} is required`);
      out[name] = o.type === 'boolean' ? (o.default ?? false) : o.default;
      continue;
    }
    out[name] = convert(name, o, raw, fail);
  }
  return out as ParsedOptions<S['options']>;
}

function convert(name: string, o: OptionSpec, raw: string | boolean, fail: (msg: string) => UsageError): number | string | boolean {
  if (typeof raw === 'boolean') return raw;
  if (o.type === 'string') {
    if (o.choices && !o.choices.includes(raw)) throw fail(`--${name} must be one of ${o.choices.join(', ')}, got '${raw}'`);
    if (raw === '') throw fail(`--${name} must not be empty`);
    return raw;
  }
  const kind = o.type === 'int' ? 'an integer' : 'a number';
  const bounds = [o.min !== undefined ? `>= ${o.min}` : '', o.max !== undefined ? `<= ${o.max}` : ''].filter(Boolean).join(' and ');
  const want = `${kind}${bounds ? ` ${bounds}` : ''}`;
  const v = raw.trim() === '' ? NaN : Number(raw);
  if (!Number.isFinite(v) || (o.type === 'int' && !Number.isInteger(v))) throw fail(`--${name} must be ${want}, got '${raw}'`);
  if ((o.min !== undefined && v < o.min) || (o.max !== undefined && v > o.max)) throw fail(`--${name} must be ${want}, got ${raw}`);
  return v;
}

/** The `--help` text of a command: usage, description, and one line per flag with its default. */
export function formatHelp(spec: CommandSpec): string {
  const rows: [string, string][] = Object.entries(spec.options).map(([name, o]) => {
    const meta = o.type === 'boolean' ? '' : ` ${o.metavar ?? (o.choices ? o.choices.join('|') : o.type === 'int' ? 'N' : o.type === 'number' ? 'X' : 'VALUE')}`;
    const dflt = o.required ? ' (required)' : o.default !== undefined && o.type !== 'boolean' ? ` (default ${String(o.default)})` : '';
    return [`--${name}${meta}`, `${o.help}${dflt}`];
  });
  rows.push(['-h, --help', 'show this help']);
  const width = Math.min(30, Math.max(...rows.map(([l]) => l.length)) + 2);
  const lines = [`Usage: tessera ${spec.name} [options]`, '', spec.summary];
  if (spec.description) lines.push('', spec.description);
  lines.push('', 'Options:');
  for (const [l, r] of rows) lines.push(l.length + 2 > width ? `  ${l}\n  ${' '.repeat(width)}${r}` : `  ${l.padEnd(width)}${r}`);
  return lines.join('\n');
}
