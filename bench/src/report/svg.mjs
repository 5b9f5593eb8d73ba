// @ts-check
/**
 * A horizontal bar chart of the results, written by hand: one group per case, one bar per
 * configuration that ran it. A bar's length is its speed relative to the fastest configuration
 * in that case (fastest median ÷ its median), so every group reads on the same 0-1 scale; the
 * label gives the median itself.
 * @module
 */
import { fmtMs, fmtGflops } from './format.mjs';

/** @typedef {import('../main.mjs').Results} Results */

const PALETTE = {
  Tessera: '#d9480f',
  'tfjs-backend-wasm': '#1971c2',
  'tfjs-backend-webgpu': '#74c0fc',
  'onnxruntime-web': '#2f9e44',
  'onnxruntime-node': '#8ce99a',
  'jax-js': '#7048e8',
};

/** @param {Results} r @returns {string} */
export function toSvg(r) {
  const W = 920, left = 170, barMax = 560, rowH = 17, barH = 12, groupGap = 14, headH = 20;
  const ran = r.configs.filter((c) => c.status === 'ok');
  /** @type {string[]} */
  const body = [];
  let y = 62;
  for (const k of r.cases) {
    const rows = ran
      .map((c) => ({ c, x: r.results[k.id]?.[c.id] }))
      .filter((e) => e.x?.status === 'ok' && e.x.medianMs !== undefined);
    if (!rows.length) continue;
    const best = Math.min(...rows.map((e) => /** @type {number} */ (e.x?.medianMs)));
    body.push(`<text x="10" y="${y + 13}" class="case">${esc(k.label)}</text>`);
    y += headH;
    for (const { c, x } of rows) {
      const ms = /** @type {number} */ (x?.medianMs);
      const len = Math.max(1, (barMax * best) / ms);
      const color = PALETTE[/** @type {keyof typeof PALETTE} */ (c.library)] ?? '#868e96';
      const stroke = c.tessera ? ' stroke="#000" stroke-width="1"' : '';
      const v = `${fmtMs(ms)} ms${x?.gflops ? `, ${fmtGflops(x.gflops)} GFLOP/s` : ''}`;
      body.push(
        `<text x="${left - 6}" y="${y + barH - 2}" class="cfg${c.tessera ? ' ours' : ''}" text-anchor="end">${esc(c.label)}</text>`,
        `<rect x="${left}" y="${y}" width="${len.toFixed(1)}" height="${barH}" fill="${color}"${stroke}><title>${esc(`${c.label}, ${k.label}: median ${v} (${x?.samples} samples)`)}</title></rect>`,
        `<text x="${(left + len + 5).toFixed(1)}" y="${y + barH - 2}" class="val">${esc(v)}</text>`,
      );
      y += rowH;
    }
    y += groupGap;
  }
  const libs = [...new Set(ran.map((c) => c.library))];
  const legend = libs
    .map((lib, i) => {
      const x = 10 + i * 150;
      const color = PALETTE[/** @type {keyof typeof PALETTE} */ (lib)] ?? '#868e96';
      return `<rect x="${x}" y="36" width="10" height="10" fill="${color}"/><text x="${x + 14}" y="45" class="val">${esc(lib)}</text>`;
    })
    .join('');
  const H = y + 10;
  const title = `Tessera and peers, ${r.date}${r.mode === 'quick' ? ' (quick)' : ''}: median per call, bar = speed relative to the fastest`;
  const sub = `${r.machine.cpu}, ${r.machine.logicalCores} cores, Node ${r.machine.node}; float32, result read back each call`;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="Helvetica, Arial, sans-serif">`,
    '<style>.case{font-size:13px;font-weight:bold}.cfg{font-size:11px}.ours{font-weight:bold}.val{font-size:11px;fill:#333}.t{font-size:14px;font-weight:bold}.s{font-size:11px;fill:#555}</style>',
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
    `<text x="10" y="16" class="t">${esc(title)}</text>`,
    `<text x="10" y="30" class="s">${esc(sub)}</text>`,
    legend,
    ...body,
    '</svg>',
    '',
  ].join('\n');
}

/** @param {string} s */
const esc = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
