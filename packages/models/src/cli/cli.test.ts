/**
 * The `tessera` command line, run in-process through `main(argv)`: parse errors name the flag and
 * the value, every command has `--help`, a DiT trains for 2 steps at a tiny size on cpu and its
 * checkpoint samples a valid PNG grid with 2 DDIM steps, a ViViT trains and evaluates from its
 * checkpoint, and `info` runs. Each run is sized to take well under a second or two.
 */
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getBackend, memory } from '@tessera/tensor';
import { readSafetensorsMetadata } from './checkpoint.js';
import { main } from './main.js';

interface Run {
  code: number;
  out: string;
  err: string;
}

async function run(...argv: string[]): Promise<Run> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d: Buffer) => (out += d.toString()));
  stderr.on('data', (d: Buffer) => (err += d.toString()));
  const code = await main(argv, { io: { stdout, stderr } });
  return { code, out, err };
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tessera-cli-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('tessera: command line errors', () => {
  it.each([
    [['dit', 'train', '--stpes', '2'], /tessera dit train: unknown option '--stpes'; did you mean '--steps'\?/],
    [['dit', 'train', '--steps', 'abc'], /--steps must be an integer >= 1, got 'abc'/],
    [['dit', 'train', '--steps', '0'], /--steps must be an integer >= 1, got 0/],
    [['dit', 'train', '--steps', '1.5'], /--steps must be an integer >= 1, got '1.5'/],
    [['dit', 'train', '--lr', ''], /--lr must be a number >= 0, got ''/],
    [['dit', 'train', '--backend', 'tpu'], /--backend must be one of auto, cpu, wasm, webgpu, got 'tpu'/],
    [['dit', 'train', '--config', 'DiT-Q/2'], /--config must be one of small, DiT-XL\/2, .*got 'DiT-Q\/2'/],
    [['dit', 'train', '--patch', '3', '--backend', 'cpu'], /--patch must divide the image size 16, got 3/],
    [['dit', 'train', '--hidden', '20', '--heads', '3'], /width \(20\) must be a multiple of the heads \(3\)/],
    [['dit', 'train', 'extra'], /tessera dit train: unexpected argument 'extra'/],
    [['dit', 'train', '--quiet=yes'], /--quiet is a switch and takes no value/],
    [['dit', 'sample'], /tessera dit sample: --ckpt is required/],
    [['dit', 'sample', '--ckpt'], /--ckpt needs a value/],
    [['dit', 'sample', '--ckpt', 'x', '--sampler', 'euler'], /--sampler must be one of ddim, ddpm, got 'euler'/],
    [['dit', 'sample', '--ckpt', 'x', '--steps', '-3'], /--steps needs a value, and the next word starts with '-'/],
    [['dit', 'sample', '--ckpt', 'x', '--steps', '997'], /--steps 997 does not space the 1000 training steps for ddim/],
    [['dit', 'fly'], /tessera dit: unknown command 'fly' \(expected train or sample/],
    [['vivit', 'train', '--tubelet', '3'], /--tubelet must divide the 8 frames/],
    [['vivit', 'eval', '--test', '5'], /tessera vivit eval: --ckpt is required/],
    [['info', '--adapters', 'some'], /--adapters must be one of all, default, none, got 'some'/],
    [['frobnicate'], /tessera: unknown command 'frobnicate'/],
  ])('%j exits 2 with a message naming the flag and value', async (argv, message) => {
    const r = await run(...argv);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
    expect(r.out).toBe('');
  });

  it('a checkpoint that does not exist fails with status 1 and says so', async () => {
    const r = await run('dit', 'sample', '--ckpt', join(dir, 'missing.safetensors'), '--backend', 'cpu');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/tessera dit sample: checkpoint '.*missing\.safetensors' does not exist/);
  });
});

describe('tessera: --help', () => {
  it.each([
    [['dit', 'train', '--help'], ['Usage: tessera dit train [options]', '--steps N', '(default 3000)', '--backend auto|cpu|wasm|webgpu', '-h, --help']],
    [['dit', 'sample', '-h'], ['Usage: tessera dit sample [options]', '--ckpt PATH', '(required)', '--sampler ddim|ddpm', '--cfg X']],
    [['vivit', 'train', '--help'], ['Usage: tessera vivit train [options]', '--tubelet N', '--min-accuracy X']],
    [['vivit', 'eval', '--help'], ['Usage: tessera vivit eval [options]', '--ckpt PATH']],
    [['info', '--help'], ['Usage: tessera info [options]', '--adapters all|default|none', '--json']],
    [['--help'], ['Usage: tessera <command> [options]', 'dit train', 'dit sample', 'vivit train', 'vivit eval', 'info']],
    [['dit', '--help'], ['Usage: tessera dit <command> [options]', 'dit train', 'dit sample']],
  ])('%j', async (argv, parts) => {
    const r = await run(...argv);
    expect(r.code).toBe(0);
    for (const p of parts) expect(r.out).toContain(p);
    expect(r.err).toBe('');
  });

  it('no command prints the usage on stderr and exits 2; --version prints the version', async () => {
    const r = await run();
    expect(r.code).toBe(2);
    expect(r.err).toContain('Usage: tessera <command>');
    expect(r.out).toBe('');
    const g = await run('vivit');
    expect(g.code).toBe(2);
    expect(g.err).toContain('Usage: tessera vivit <command>');
    const v = await run('--version');
    expect(v.code).toBe(0);
    expect(v.out).toMatch(/^tessera \d+\.\d+\.\d+\n$/);
  });
});

/** Width and height from a PNG's IHDR, after checking the signature and the chunk's name. */
function pngSize(bytes: Uint8Array): { width: number; height: number } {
  expect([...bytes.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  expect(dv.getUint32(8)).toBe(13);
  expect(Buffer.from(bytes.subarray(12, 16)).toString('latin1')).toBe('IHDR');
  expect(bytes[24]).toBe(8); // bit depth
  expect(bytes[25]).toBe(6); // colour type RGBA
  return { width: dv.getUint32(16), height: dv.getUint32(20) };
}

describe('tessera: end to end on cpu', () => {
  it('dit train (2 steps, tiny) then dit sample (2 DDIM steps) writes a PNG grid, one row per class', async () => {
    const before = memory().numTensors;
    const backend = getBackend().name;
    const ckpt = join(dir, 'dit.safetensors');
    const tiny = ['--hidden', '16', '--depth', '1', '--heads', '2', '--patch', '4', '--classes', '2'];
    const t = await run('dit', 'train', '--steps', '2', '--batch', '2', '--backend', 'cpu', ...tiny, '--out', ckpt, '--quiet');
    expect(t.err).toBe('');
    expect(t.code).toBe(0);
    expect(t.out).toMatch(/trained 2 steps on cpu in [\d.]+ s: loss [\d.]+ .* → [\d.]+/);
    expect(t.out).toContain(`wrote the EMA weights to ${ckpt}`);
    const meta = await readSafetensorsMetadata(ckpt);
    expect(meta.model).toBe('DiT');
    expect(JSON.parse(meta.config!)).toMatchObject({ inputSize: 16, patchSize: 4, hiddenSize: 16, depth: 1, numHeads: 2, numClasses: 2, inChannels: 3 });

    const png = join(dir, 'out', 'samples.png');
    const s = await run('dit', 'sample', '--ckpt', ckpt, '--sampler', 'ddim', '--steps', '2', '--per-class', '3', '--zoom', '1', '--backend', 'cpu', '--out', png, '--quiet');
    expect(s.err).toBe('');
    expect(s.code).toBe(0);
    expect(s.out).toContain(`wrote ${png}: 56x38, 2 rows (`);
    // 3 columns and 2 rows of 16x16 images with 2-pixel gaps and borders.
    expect(pngSize(await readFile(png))).toEqual({ width: 3 * 18 + 2, height: 2 * 18 + 2 });
    expect(getBackend().name).toBe(backend);
    // At most `before`: across the awaits the FinalizationRegistry may release tensors that
    // earlier code never disposed; anything this run leaked would push the count above it.
    expect(memory().numTensors).toBeLessThanOrEqual(before);
  }, 60_000);

  it('dit sample loads strictly: a ViViT checkpoint is refused, by its metadata', async () => {
    const ckpt = join(dir, 'vivit.safetensors');
    const t = await run('vivit', 'train', '--steps', '2', '--batch', '2', '--dim', '8', '--test', '16', '--backend', 'cpu', '--out', ckpt, '--quiet');
    expect(t.err).toBe('');
    expect(t.code).toBe(0);
    expect(t.out).toMatch(/held-out accuracy [\d.]+% \(16 clips\)/);
    const e = await run('vivit', 'eval', '--ckpt', ckpt, '--test', '16', '--backend', 'cpu');
    expect(e.code).toBe(0);
    // Same clips (seed 1), same standardisation, same weights: the accuracy training reported.
    expect(e.out).toContain(`accuracy ${/held-out accuracy ([\d.]+%)/.exec(t.out)![1]} on 16 held-out clips (seed 1) on cpu`);
    const never = join(dir, 'never.png');
    const s = await run('dit', 'sample', '--ckpt', ckpt, '--backend', 'cpu', '--out', never);
    expect(s.code).toBe(1);
    expect(s.err).toMatch(/is a ViViT checkpoint; expected a DiT checkpoint written by 'tessera dit train'/);
    expect(await stat(never).catch(() => null)).toBeNull();
  }, 60_000);

  it('info lists the backends', async () => {
    const r = await run('info', '--adapters', 'default');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^tessera \d+\.\d+\.\d+ \(@tessera\/models\), node /);
    expect(r.out).toContain('cpu     available');
    expect(r.out).toMatch(/ {2}wasm {4}(available|unavailable)/);
    expect(r.out).toMatch(/ {2}webgpu {2}/);
    const j = await run('info', '--json', '--adapters', 'none');
    expect(JSON.parse(j.out)).toMatchObject({ cores: expect.any(Number), registered: expect.arrayContaining(['cpu']) });
  }, 60_000);
});
