// A first tour of @tessera/tensor on the reference cpu backend.
//
// `@tessera/tensor` resolves through the npm workspace link to packages/tensor/dist, so build first:
//   npm run example        (= npm run build && node examples/hello.mjs)
import { manualSeed, randn, tensor, arange, rearrange, tidy, memory } from '@tessera/tensor';

const round = (nested) =>
  Array.isArray(nested) ? nested.map(round) : typeof nested === 'number' ? Number(nested.toFixed(4)) : nested;
const show = (label, t) => console.log(`${label.padEnd(28)} shape=${JSON.stringify(t.shape)} ${JSON.stringify(round(t.toArraySync()))}`);

// Same seed, same numbers, on every backend: random tensors are drawn on the host.
manualSeed(0);

// matmul -> softmax -> sum: each row of a softmax sums to 1, so the total is the number of rows.
const x = randn([2, 3]);
const w = tensor([[1, 0], [0, 1], [1, -1]]);
const logits = x.matmul(w);
const probs = logits.softmax(-1);
show('x = randn([2, 3])', x);
show('logits = x @ w', logits);
show('probs = softmax(logits, -1)', probs);
show('probs.sum(-1)', probs.sum(-1));
console.log(`${'probs.sum()'.padEnd(28)} ${probs.sum().item().toFixed(4)}`);

// Broadcasting: [2, 3] + [3] adds the row vector to every row.
const grid = tensor([[0, 10, 20], [30, 40, 50]]);
show('grid + [1, 2, 3]', grid.add(tensor([1, 2, 3])));

// rearrange (einops): split a flat axis into a 2x3 grid, then swap the grid's axes.
const seq = arange(0, 12).reshape(2, 6);
show("rearrange 'b (h w) -> b w h'", rearrange(seq, 'b (h w) -> b w h', { h: 2 }));

// Memory: tidy() disposes every tensor created inside except what it returns.
const before = memory().numTensors;
const kept = tidy(() => {
  const a = randn([64, 64]);
  const b = randn([64, 64]);
  return a.matmul(b).relu().mean(); // a, b, the product and the relu are disposed here
});
const after = memory().numTensors;
console.log(`memory: ${before} live tensors before tidy (all made above), ${after} after (+${after - before}: the returned mean)`);
kept.dispose();
console.log(`memory: ${memory().numTensors} after kept.dispose(), ${memory().numBytes} bytes live`);
