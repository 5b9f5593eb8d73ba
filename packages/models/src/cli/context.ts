/**
 * What a `tessera` command writes to: results on stdout, progress and log lines on stderr (so that
 * stdout stays clean to pipe). Tests pass their own streams to capture both.
 * @module
 */

/** The streams of one `main` call (default: the process's). */
export interface CliIO {
  /** Results: summaries, accuracies, paths written. */
  stdout: NodeJS.WritableStream;
  /** Progress bars, log lines and errors. */
  stderr: NodeJS.WritableStream;
}

/** The streams and switches a command runs with. */
export interface CommandContext {
  /** Writes a line to stdout. */
  out(line: string): void;
  /** Writes a line to stderr. */
  log(line: string): void;
  /** The stderr stream, for progress bars (which draw only on a TTY with `CI` unset). */
  progressStream: NodeJS.WriteStream;
  /** `--quiet`: no progress bar and no log lines, only results. */
  quiet: boolean;
}

/** A context writing to `io`. */
export function makeContext(io: CliIO, quiet = false): CommandContext {
  return {
    out: (line) => void io.stdout.write(`${line}\n`),
    log: (line) => {
      if (!quiet) io.stderr.write(`${line}\n`);
    },
    progressStream: io.stderr as NodeJS.WriteStream,
    quiet,
  };
}

/** `12.3 s`, `4m05s`, `1h02m`: a duration for log lines. */
export function formatSeconds(s: number): string {
  if (!Number.isFinite(s) || s < 0) return '?';
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(Math.floor(s - 60 * m)).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}
