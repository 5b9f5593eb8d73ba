#!/usr/bin/env bash
# Pack smoke test: does the published @tessera/tensor work for someone who installs the tarball?
#
# 1. builds the workspace (tsc -b);
# 2. `npm pack`s packages/tensor into a temporary directory and checks the file list: no tests, no
#    .tsbuildinfo, no TypeScript sources, and every file named by package.json "exports" present;
# 3. installs the tarball offline into an empty ESM project (`npm init -y`, type module) and runs a
#    small program there that imports `@tessera/tensor` the way a user would, checking what it
#    prints. It also imports every other subpath in "exports" (`@tessera/tensor/testing`, the
#    conformance kit, …) and checks that each loads and exports something; PACK_SMOKE_SUBPATHS=0
#    skips that part (the main entry is always checked).
#
# Usage: bash tools/pack-smoke.sh      (exit 0 on success, non-zero on any failure)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

fail() {
  echo "pack-smoke: FAIL: $*" >&2
  exit 1
}

tmp="$(mktemp -d "${TMPDIR:-/tmp}/tessera-pack-smoke.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

echo "pack-smoke: building"
npm run build --silent

echo "pack-smoke: packing packages/tensor"
(cd packages/tensor && npm pack --pack-destination "$tmp" --silent >"$tmp/pack-name.txt")
tarball="$tmp/$(tail -n 1 "$tmp/pack-name.txt")"
[[ -f "$tarball" ]] || fail "npm pack did not produce a tarball (got: $(cat "$tmp/pack-name.txt"))"
echo "pack-smoke: $(basename "$tarball"), $(wc -c <"$tarball") bytes"

tar tzf "$tarball" >"$tmp/files.txt"
if grep -E '(\.test\.|\.spec\.|__tests__/|\.tsbuildinfo$)' "$tmp/files.txt"; then
  fail "the tarball contains tests or .tsbuildinfo files (listed above)"
fi
if grep -E '^package/src/' "$tmp/files.txt"; then
  fail "the tarball contains TypeScript sources (listed above); only dist/ should be published"
fi
# Every file that package.json "exports" points to (import and types conditions) must be packed.
node -e '
  const pkg = require(process.argv[1]);
  const out = new Set(["package.json"]);
  const walk = (v) => {
    if (typeof v === "string") out.add(v.replace(/^\.\//, ""));
    else if (v && typeof v === "object") Object.values(v).forEach(walk);
  };
  walk(pkg.exports ?? pkg.main ?? "index.js");
  console.log([...out].map((f) => "package/" + f).join("\n"));
' "$root/packages/tensor/package.json" >"$tmp/needed.txt"
while read -r f; do
  grep -qxF "$f" "$tmp/files.txt" || fail "the tarball lacks $f (named by package.json exports)"
done <"$tmp/needed.txt"
echo "pack-smoke: tarball holds $(wc -l <"$tmp/files.txt") files: no tests, no .tsbuildinfo, all $(wc -l <"$tmp/needed.txt") export targets"

echo "pack-smoke: installing into an empty project"
mkdir "$tmp/project"
cd "$tmp/project"
npm init -y >/dev/null
npm pkg set type=module
# The tarball has no dependencies, so nothing needs fetching: --offline proves it.
npm install --offline --no-audit --no-fund --loglevel=error "$tarball" >/dev/null
[[ -f node_modules/@tessera/tensor/package.json ]] || fail "@tessera/tensor is not in node_modules after install"

cat >smoke.mjs <<'EOF'
import { readFileSync } from 'node:fs';
import * as T from '@tessera/tensor';

// Every other subpath in "exports" must load, through the package name, and export something.
const pkg = JSON.parse(readFileSync('node_modules/@tessera/tensor/package.json', 'utf8'));
const subpaths = [];
if (process.env.PACK_SMOKE_SUBPATHS !== '0') {
  for (const key of Object.keys(pkg.exports ?? {})) {
    if (key === '.' || key.includes('*')) continue;
    const name = `@tessera/tensor/${key.replace(/^\.\//, '')}`;
    const mod = await import(name);
    if (Object.keys(mod).length === 0) throw new Error(`${name} exports nothing`);
    subpaths.push(name);
  }
}
if (subpaths.includes('@tessera/tensor/testing')) {
  const { runConformance } = await import('@tessera/tensor/testing');
  if (typeof runConformance !== 'function') throw new Error('@tessera/tensor/testing has no runConformance()');
}
console.error(`smoke: imported @tessera/tensor${subpaths.map((s) => `, ${s}`).join('')}`);

T.manualSeed(0);
const a = T.tensor([[1, 2], [3, 4]]);
const b = T.tensor([[1], [1]]);
const rowSums = a.matmul(b); // [[3], [7]]
const probs = T.randn([3, 4]).softmax(-1).sum(-1); // [1, 1, 1]
const before = T.memory().numTensors;
const kept = T.tidy(() => T.ones([8, 8]).mul(2).sum()); // 128; the temporaries are disposed
const after = T.memory().numTensors;
console.log(JSON.stringify({
  rowSums: rowSums.toArraySync(),
  probs: probs.toArraySync().map((v) => Number(v.toFixed(5))),
  tidy: kept.item(),
  leaked: after - before - 1,
}));
EOF

expected='{"rowSums":[[3],[7]],"probs":[1,1,1],"tidy":128,"leaked":0}'
actual="$(node smoke.mjs)" || fail "the smoke program threw (output above)"
echo "pack-smoke: printed  $actual"
if [[ "$actual" != "$expected" ]]; then
  echo "pack-smoke: expected $expected" >&2
  fail "unexpected output from the installed package"
fi
echo "pack-smoke: OK"
