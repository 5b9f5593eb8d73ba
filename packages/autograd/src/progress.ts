/**
 * A progress bar for training loops (examples, the `tessera` CLI), on `cli-progress`: the bar,
 * `value/total`, the rate (steps per second), the ETA, and any live metrics you pass (`loss`, …).
 *
 * It draws only on an interactive terminal: when the stream is not a TTY, or `CI` is set in the
 * environment, it is silent (no control codes in logs), unless `enabled` forces it. It touches no
 * tensor: callers pass plain numbers (read a loss with `item()` only when you want to show it).
 *
 * ```ts
 * const bar = new Progress({ total: steps, label: 'train' });
 * for (let i = 0; i < steps; i++) { ...; bar.increment(1, { loss: lossValue }); }
 * bar.stop();
 * ```
 *
 * Node only (it writes to a stream, `process.stderr` by default).
 * @module
 */
import cliProgress from 'cli-progress';

/** Options of `Progress`. */
export interface ProgressOptions {
  /** Number of steps. */
  total: number;
  /** A label shown before the bar. */
  label?: string;
  /** Where to draw (default `process.stderr`, so stdout stays clean for results). */
  stream?: NodeJS.WriteStream;
  /** Force drawing on (`true`) or off (`false`); default: on for a TTY when `CI` is not set. */
  enabled?: boolean;
  /** What a step is, for the rate (default 'it', giving 'it/s'). */
  unit?: string;
}

/** Metrics shown after the ETA: `{loss: 0.1234, acc: 0.98}` renders `loss=0.1234 acc=0.98`. */
export type ProgressMetrics = Record<string, number | string>;

/** Whether a bar would draw on `stream` (a TTY, and `CI` unset). */
export function progressEnabled(stream: NodeJS.WriteStream = process.stderr): boolean {
  const ci = process.env.CI;
  return Boolean(stream.isTTY) && (ci === undefined || ci === '' || ci === '0' || ci.toLowerCase() === 'false');
}

/** A progress bar with rate and ETA; silent when not on a TTY or under CI. */
export class Progress {
  /** Whether this bar draws. */
  readonly enabled: boolean;
  private readonly bar: cliProgress.SingleBar | null;
  private readonly start = performance.now();
  private readonly unit: string;
  private value = 0;
  private stopped = false;

  /** @param opts the total, label, stream and whether to draw */
  constructor(readonly opts: ProgressOptions) {
    const stream = opts.stream ?? process.stderr;
    this.enabled = opts.enabled ?? progressEnabled(stream);
    this.unit = opts.unit ?? 'it';
    if (!this.enabled) {
      this.bar = null;
      return;
    }
    const label = opts.label ? `${opts.label} ` : '';
    this.bar = new cliProgress.SingleBar(
      {
        format: `${label}{bar} {value}/{total} | {rate} | ETA {eta_formatted} {metrics}`,
        stream,
        hideCursor: true,
        barsize: 30,
        etaBuffer: 50,
        fps: 10,
        noTTYOutput: opts.enabled === true && !stream.isTTY,
        notTTYSchedule: 2000,
      },
      cliProgress.Presets.shades_classic,
    );
    this.bar.start(opts.total, 0, { rate: '', metrics: '' });
  }

  /** Sets the number of steps done, and optionally the metrics shown. */
  update(value: number, metrics?: ProgressMetrics): void {
    this.value = value;
    this.bar?.update(value, this.payload(metrics));
  }

  /** Adds `delta` steps done (default 1). */
  increment(delta = 1, metrics?: ProgressMetrics): void {
    this.update(this.value + delta, metrics);
  }

  /** Steps per second so far. */
  rate(): number {
    const s = (performance.now() - this.start) / 1000;
    return s > 0 ? this.value / s : 0;
  }

  /** Seconds since the bar started. */
  elapsed(): number {
    return (performance.now() - this.start) / 1000;
  }

  /** Stops drawing (leaves the last frame on screen). Idempotent. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.bar?.stop();
  }

  private payload(metrics?: ProgressMetrics): Record<string, string> {
    const r = this.rate();
    const rate = r >= 1 || r === 0 ? `${r.toFixed(1)} ${this.unit}/s` : `${(1 / r).toFixed(2)} s/${this.unit}`;
    const m = metrics ? Object.entries(metrics).map(([k, v]) => `${k}=${typeof v === 'number' ? fmt(v) : v}`).join(' ') : undefined;
    return m === undefined ? { rate } : { rate, metrics: m };
  }
}

function fmt(v: number): string {
  if (Number.isInteger(v)) return String(v);
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-3 || a >= 1e5) ? v.toExponential(3) : v.toFixed(4);
}
