// @ts-check
/**
 * The results as markdown: medians per case and configuration, then each Tessera
 * configuration's ratio to each peer (peer median ÷ Tessera median).
 * @module
 */
import { fmtMs, fmtRatio, fmtGflops } from './format.mjs';

/** @typedef {import('../main.mjs').Results} Results */

/** @param {Results} r @returns {string} */
export function toMarkdown(r) {
  const L = [];
  const m = r.machine;
  L.push(`# Tessera benchmarks, ${r.date}${r.mode === 'quick' ? ' (quick mode)' : ''}`, '');
  L.push(
    `Machine: ${m.cpu}, ${m.logicalCores} logical cores, ${m.memoryGiB} GiB; ${m.platform}-${m.arch}; Node ${m.node} (V8 ${m.v8}). ` +
      `Load average (1 min) ${m.loadavgStart.toFixed(2)} at start, ${m.loadavgEnd.toFixed(2)} at end` +
      `${m.loadavgStart > 0.5 || m.loadavgEnd > 0.5 ? ': the machine was not idle; read small differences as noise' : ''}.`,
    '',
  );
  const rounds = r.timing.rounds ?? 1;
  L.push(
    `Float32; every call computes the op and reads the result back to the host. Each cell is the median of ` +
      `benchmark.js samples (each sample the mean time of one timed cycle; minSamples ${r.timing.minSamples}, ` +
      `maxTime ${r.timing.maxTime} s per benchmark${rounds > 1 ? ' and round' : ''}), after a warm-up and a correctness check against a float64 ` +
      `reference (max error ≤ ${r.tolerance} of the largest reference magnitude; for the model cases the reference is ` +
      `onnxruntime-node's output on the same exported weights). ` +
      (r.timing.schedule === 'case'
        ? `One process per configuration, kept for the run; each case is timed by every configuration in turn, seconds apart` +
          (rounds > 1
            ? `, in ${rounds} rounds (the configurations in order, then in reverse${rounds > 2 ? ', and so on' : ''}), each case's samples pooled over the rounds, so that the drift of a shared machine falls on every configuration alike.`
            : '.')
        : `One process per configuration` +
          (rounds > 1
            ? ` and round: ${rounds} rounds, the configurations in order, then in reverse${rounds > 2 ? ', and so on' : ''}, each case's samples pooled over the rounds, so that the drift of a shared machine falls on every configuration alike.`
            : '.')) +
      (r.webgpu ? ` WebGPU: ${r.webgpu}.` : ' WebGPU configurations not run (use --webgpu).') +
      mallocNote(r.timing.malloc),
    '',
  );
  if (r.filter || r.configsFilter) L.push(`Partial run: cases \`${r.filter ?? 'all'}\`, configurations \`${r.configsFilter ?? 'all'}\`.`, '');

  L.push('## Versions', '', '| configuration | library | version | detail |', '|---|---|---|---|');
  for (const c of r.configs) L.push(`| ${c.label} | ${c.library} | ${c.version ?? '—'} | ${c.status === 'ok' ? c.detail ?? '' : `**${c.status}**: ${oneLine(c.reason)}`} |`);
  L.push('', `Also: ${['@tensorflow/tfjs-core', 'webgpu', 'benchmark'].map((n) => `${n} ${r.versions[n] ?? '?'}`).join(', ')}.`, '');

  const ran = r.configs.filter((c) => c.status === 'ok');
  L.push('## Medians', '');
  if (!ran.length) L.push('No configuration ran.', '');
  else L.push('Milliseconds; GFLOP/s in parentheses where the case counts its flops, samples/s (`/s`) for the model cases. — not run, ✗ wrong result, ! error.', '');
  const counts = r.cases.flatMap((k) => ran.map((c) => r.results[k.id]?.[c.id]?.samples ?? 0)).filter((n) => n > 0);
  if (counts.length) L.push(`Samples per cell: ${Math.min(...counts)} to ${Math.max(...counts)} (each in the JSON).`, '');
  if (ran.length) L.push(`| case | ${ran.map((c) => c.label).join(' | ')} |`, `|---|${ran.map(() => '---:').join('|')}|`);
  for (const k of ran.length ? r.cases : []) {
    const cells = ran.map((c) => {
      const x = r.results[k.id]?.[c.id];
      if (!x || x.status === 'skipped') return '—';
      if (x.status === 'mismatch') return '✗';
      if (x.status === 'error' || x.medianMs === undefined) return '!';
      return `${fmtMs(x.medianMs)}${x.gflops ? ` (${fmtGflops(x.gflops)})` : ''}${x.samplesPerS ? ` (${x.samplesPerS.toPrecision(3)}/s)` : ''}`;
    });
    L.push(`| ${k.label} | ${cells.join(' | ')} |`);
  }
  L.push('');

  const ours = ran.filter((c) => c.tessera);
  const peers = ran.filter((c) => !c.tessera);
  L.push('## Tessera vs peers', '', 'Peer median ÷ Tessera median: above 1, Tessera is that many times faster; below 1, slower.', '');
  if (!ours.length) L.push('No Tessera configuration ran.', '');
  for (const t of ours) {
    const rows = r.cases.filter((k) => r.results[k.id]?.[t.id]?.status === 'ok');
    L.push(`### ${t.label}`, '');
    if (!rows.length) {
      L.push('No case ran.', '');
      continue;
    }
    L.push(`| case | ${t.label} ms | ${peers.map((c) => `vs ${c.label}`).join(' | ')} |`, `|---|---:|${peers.map(() => '---:').join('|')}|`);
    for (const k of rows) {
      const ms = /** @type {number} */ (r.results[k.id]?.[t.id]?.medianMs);
      const cells = peers.map((c) => {
        const x = r.results[k.id]?.[c.id];
        return x?.status === 'ok' && x.medianMs !== undefined ? `${fmtRatio(x.medianMs / ms)}×` : '—';
      });
      L.push(`| ${k.label} | ${fmtMs(ms)} | ${cells.join(' | ')} |`);
    }
    L.push('');
  }

  // Page faults: a readback into fresh host pages pays one per 4 KiB, which on a VM can cost more than
  // the op; whether a process's heap hands out fresh pages depends on its history, not its library.
  const faultRows = r.cases.filter((k) => ran.some((c) => (r.results[k.id]?.[c.id]?.faultsPerCall ?? 0) >= 16));
  if (faultRows.length) {
    L.push(
      '## Page faults per timed call',
      '',
      'Minor page faults of the process per call (mean over the rounds), for the cases where some configuration had 16 or more: ' +
        'a result read back into fresh host pages faults once per 4 KiB page, ~2.5 µs each on the dev VM. Whether the C heap hands ' +
        'a process fresh pages depends on what the process did before, so a gap here is a gap in luck, not in the library' +
        (r.timing.malloc?.applied ? ' (with the steady malloc settings of this run, what faults remain come from elsewhere: V8\'s own heap, allocations above 32 MiB).' : '.'),
      '',
      `| case | ${ran.map((c) => c.label).join(' | ')} |`,
      `|---|${ran.map(() => '---:').join('|')}|`,
    );
    for (const k of faultRows) {
      const cells = ran.map((c) => {
        const f = r.results[k.id]?.[c.id]?.faultsPerCall;
        return f === undefined ? '—' : f.toFixed(f < 10 ? 1 : 0);
      });
      L.push(`| ${k.label} | ${cells.join(' | ')} |`);
    }
    L.push('');
  }

  const problems = [];
  for (const c of r.configs) if (c.status !== 'ok') problems.push(`- ${c.label}: ${c.status}: ${oneLine(c.reason)}`);
  for (const k of r.cases) {
    for (const c of r.configs) {
      const x = r.results[k.id]?.[c.id];
      if (x && (x.status === 'mismatch' || x.status === 'error')) problems.push(`- ${c.label}, ${k.label}: ${x.status}: ${oneLine(x.reason)}`);
    }
  }
  const skipped = new Map();
  for (const k of r.cases) {
    for (const c of ran) {
      const x = r.results[k.id]?.[c.id];
      if (x?.status === 'skipped') skipped.set(`${c.label}: ${x.reason}`, [...(skipped.get(`${c.label}: ${x.reason}`) ?? []), k.label]);
    }
  }
  for (const [why, cases] of skipped) problems.push(`- skipped, ${why} (${cases.join(', ')})`);
  if (problems.length) L.push('## Not run, failed or skipped', '', ...problems, '');
  return L.join('\n');
}

/** @param {string | undefined} s */
const oneLine = (s) => (s ?? '').split('\n')[0].replace(/\|/g, '\\|');

/**
 * The sentence on the processes' malloc settings (absent in results from before --malloc).
 * @param {{ mode: 'steady' | 'system', applied: boolean, tunables: string | null } | undefined} m
 */
function mallocNote(m) {
  if (!m) return '';
  if (m.applied) {
    return ` Every configuration's process ran with the same glibc malloc settings (\`GLIBC_TUNABLES=${m.tunables}\`: no heap trimming, no mmap below 32 MiB), so a readback reuses host pages the process already has instead of faulting in fresh ones by the luck of the heap's history.`;
  }
  return m.mode === 'steady'
    ? ' The steady malloc settings were asked for but apply to glibc only; the processes ran with the system allocator as it is.'
    : ` The processes ran with the system's malloc settings${m.tunables ? ` (GLIBC_TUNABLES=${m.tunables})` : ''}: readbacks may fault in fresh pages, by the luck of each heap's history.`;
}
