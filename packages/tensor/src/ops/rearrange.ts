/**
 * einops `rearrange` and `repeat` (Rogozhnikov, ICLR 2022), written only with the view
 * primitives: reshape to the elementary axes of the left side, permute them into the order of the
 * right side, (for `repeat`) insert and expand the new axes, and reshape to the right side's
 * groups. No kernel is needed and autograd differentiates the result through the views.
 *
 * ```ts
 * rearrange(x, 'b t c (h p1) (w p2) -> b t (h w) (p1 p2 c)', { p1: 2, p2: 2 }); // ViViT tubelets
 * repeat(x, 'h w -> h (w r)', { r: 3 });
 * ```
 * @module
 */
import { ArgumentError, ShapeError, fmtShape } from '../errors.js';
import { type Tensor } from '../tensor.js';
import { checkTensor } from './util.js';
import { tidy } from '../scope.js';
import { expand, permute, reshape } from './views.js';

/** One entry of a group: a named axis, a non-unit anonymous axis (`3`), or the ellipsis. */
type Item = { kind: 'name'; name: string } | { kind: 'anon'; size: number; id: string } | { kind: 'ellipsis' };

/** One top-level dim of a side: `h` is a group of one, `(h w)` of two, `1` and `()` of none. */
interface Group {
  readonly items: readonly Item[];
  /** Written in parentheses (an ellipsis inside one is merged into a single dim). */
  readonly paren: boolean;
}

/** One side of a pattern. */
interface Side {
  readonly groups: readonly Group[];
  /** Names (not anonymous axes or the ellipsis), in order of appearance. */
  readonly names: readonly string[];
  readonly hasEllipsis: boolean;
}

/** A parsed pattern, independent of the input's shape and of the `axes` sizes. */
interface ParsedPattern {
  readonly left: Side;
  readonly right: Side;
}

type Op = 'rearrange' | 'repeat';

/** Parsed patterns by `op|pattern`; a model reuses a handful of patterns every forward. */
const cache = new Map<string, ParsedPattern>();
const CACHE_LIMIT = 1024;

const ELLIPSIS_PREFIX = '\u2026'; // elementary axes of the ellipsis are named …0, …1, …
const isName = (s: string): boolean => /^[A-Za-z_][A-Za-z0-9_]*$/.test(s);

/** Builds the error messages: `rearrange: 'b c -> c': axis 'b' … (input [2,3])`. */
class Ctx {
  constructor(
    readonly op: Op,
    readonly pattern: string,
    readonly shape: readonly number[],
  ) {}
  /** A malformed or inconsistent pattern or `axes` argument. */
  arg(reason: string): ArgumentError {
    return new ArgumentError(`${this.op}: '${this.pattern}': ${reason} (input ${fmtShape(this.shape)})`);
  }
  /** A pattern that does not fit the input's shape (the reason names the input). */
  shapeErr(reason: string): ShapeError {
    return new ShapeError(`${this.op}: '${this.pattern}': ${reason}`);
  }
}

/** Splits one side into groups; `where` is 'left' or 'right' for messages. */
function parseSide(ctx: Ctx, src: string, where: 'left' | 'right'): Side {
  const groups: Group[] = [];
  const names: string[] = [];
  let hasEllipsis = false;
  let open: Item[] | null = null; // items of the group being read inside parentheses
  let anon = 0;
  const tokens = src.match(/\.\.\.|[()]|[^\s().]+|\S/g) ?? [];
  for (const tok of tokens) {
    if (tok === '(') {
      if (open) throw ctx.arg(`nested parentheses on the ${where} side`);
      open = [];
    } else if (tok === ')') {
      if (!open) throw ctx.arg(`unbalanced ')' on the ${where} side`);
      groups.push({ items: open, paren: true });
      open = null;
    } else {
      let item: Item | null;
      if (tok === '...') {
        if (hasEllipsis) throw ctx.arg(`'...' appears twice on the ${where} side`);
        if (open && where === 'left') throw ctx.arg(`'...' inside parentheses is not allowed on the left side`);
        hasEllipsis = true;
        item = { kind: 'ellipsis' };
      } else if (/^[0-9]+$/.test(tok)) {
        const size = Number(tok);
        if (size === 0) throw ctx.arg(`anonymous axis '${tok}' on the ${where} side must be positive`);
        item = size === 1 ? null : { kind: 'anon', size, id: `#${where}${anon++}` };
      } else if (isName(tok)) {
        if (names.includes(tok)) throw ctx.arg(`axis '${tok}' appears twice on the ${where} side`);
        names.push(tok);
        item = { kind: 'name', name: tok };
      } else {
        throw ctx.arg(`unexpected '${tok}' on the ${where} side (axis names are identifiers, sizes are integers)`);
      }
      if (open) {
        if (item) open.push(item);
      } else {
        groups.push({ items: item ? [item] : [], paren: false });
      }
    }
  }
  if (open) throw ctx.arg(`unbalanced '(' on the ${where} side`);
  return { groups, names, hasEllipsis };
}

/** Parses and checks the pattern's structure (cached). */
function parse(ctx: Ctx): ParsedPattern {
  const { op, pattern } = ctx;
  const key = `${op}|${pattern}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const sides = pattern.split('->');
  if (sides.length !== 2) throw ctx.arg(`expected one '->' between the input and output axes`);
  const left = parseSide(ctx, sides[0]!, 'left');
  const right = parseSide(ctx, sides[1]!, 'right');
  const anonLeft = left.groups.flatMap((g) => g.items).find((i) => i.kind === 'anon');
  if (anonLeft && anonLeft.kind === 'anon') {
    throw ctx.arg(`anonymous axis ${anonLeft.size} on the left side is not supported (only 1)`);
  }
  if (left.hasEllipsis !== right.hasEllipsis) {
    throw ctx.arg(`'...' appears on the ${left.hasEllipsis ? 'left' : 'right'} side only`);
  }
  const onlyLeft = left.names.filter((n) => !right.names.includes(n));
  if (onlyLeft.length > 0) throw ctx.arg(`axis '${onlyLeft[0]}' is on the left side only`);
  if (op === 'rearrange') {
    const onlyRight = right.names.filter((n) => !left.names.includes(n));
    if (onlyRight.length > 0) throw ctx.arg(`axis '${onlyRight[0]}' is on the right side only (new axes need repeat)`);
    const anonRight = right.groups.flatMap((g) => g.items).find((i) => i.kind === 'anon');
    if (anonRight && anonRight.kind === 'anon') {
      throw ctx.arg(`anonymous axis ${anonRight.size} is not supported by rearrange (only 1); use repeat`);
    }
  }
  const parsed = { left, right };
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(key, parsed);
  return parsed;
}

/** Elementary axis names of a group, with the ellipsis expanded to `k` axes. */
function expandItems(items: readonly Item[], k: number): string[] {
  return items.flatMap((i) => {
    if (i.kind === 'name') return [i.name];
    if (i.kind === 'anon') return [i.id];
    return Array.from({ length: k }, (_, j) => `${ELLIPSIS_PREFIX}${j}`);
  });
}

/** Groups of elementary axis names, the ellipsis expanded: bare `...` gives `k` groups of one. */
function expandSide(side: Side, k: number): string[][] {
  return side.groups.flatMap((g) => {
    if (!g.paren && g.items[0]?.kind === 'ellipsis') return expandItems(g.items, k).map((n) => [n]);
    return [expandItems(g.items, k)];
  });
}

/** What `rearrange`/`repeat` do to one input: the view steps, resolved. */
interface Plan {
  /** Sizes of the left side's elementary axes (the first reshape). */
  elemShape: number[];
  /** Permutation of those axes into their right-side order. */
  perm: number[];
  /** Right side's elementary axes in order, with sizes; `isNew` for axes only `repeat` adds. */
  outElems: { size: number; isNew: boolean }[];
  /** Right side's top-level dims (the final reshape). */
  outShape: number[];
}

/** Resolves every axis size from the input shape and `axes`, and checks they fit. */
function plan(ctx: Ctx, axes: Readonly<Record<string, number>>): Plan {
  const { left, right } = parse(ctx);
  const shape = ctx.shape;
  const sizes = new Map<string, number>();
  for (const [name, v] of Object.entries(axes)) {
    if (!left.names.includes(name) && !right.names.includes(name)) throw ctx.arg(`axes.${name} is given but '${name}' is not in the pattern`);
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw ctx.arg(`axes.${name} must be a positive integer, got ${String(v)}`);
    sizes.set(name, v);
  }
  for (const g of right.groups) for (const i of g.items) if (i.kind === 'anon') sizes.set(i.id, i.size);

  // Rank: a bare '...' on the left stands for every dim the other groups do not claim.
  const fixed = left.groups.length - (left.hasEllipsis ? 1 : 0);
  if (left.hasEllipsis ? shape.length < fixed : shape.length !== fixed) {
    const want = left.hasEllipsis ? `at least ${fixed}` : `${fixed}`;
    throw ctx.shapeErr(`the left side has ${want} dims but input ${fmtShape(shape)} has rank ${shape.length}`);
  }
  const k = shape.length - fixed;
  const leftGroups = expandSide(left, k);

  // One unknown size per group is inferred from the dim it composes.
  leftGroups.forEach((names, dim) => {
    const d = shape[dim]!;
    if (names.length === 1 && names[0]!.startsWith(ELLIPSIS_PREFIX)) {
      sizes.set(names[0]!, d);
      return;
    }
    const unknown = names.filter((n) => !sizes.has(n));
    const known = names.filter((n) => sizes.has(n));
    const prod = known.reduce((p, n) => p * sizes.get(n)!, 1);
    const of = `dim ${dim} of input ${fmtShape(shape)} is ${d}`;
    if (unknown.length > 1) {
      throw ctx.arg(`cannot infer ${unknown.join(', ')} together from dim ${dim} = ${d}; give all but one in axes`);
    }
    if (unknown.length === 1) {
      if (d % prod !== 0) throw ctx.shapeErr(`${of}, not divisible by ${known.map((n) => `${n}=${sizes.get(n)}`).join('*')}`);
      sizes.set(unknown[0]!, d / prod);
    } else if (prod !== d) {
      const expr = names.length === 0 ? `1 (a unit axis)` : known.map((n) => `${n}=${sizes.get(n)}`).join('*');
      throw ctx.shapeErr(`${of}, expected ${expr}${names.length > 1 ? ` = ${prod}` : ''}`);
    }
  });

  const leftElems = leftGroups.flat();
  const index = new Map(leftElems.map((n, i) => [n, i]));
  const rightGroups = expandSide(right, k);
  const rightElems = rightGroups.flat();
  const outElems = rightElems.map((n) => {
    const size = sizes.get(n);
    if (size === undefined) throw ctx.arg(`new axis '${n}' needs a size: pass { ${n}: n } in axes`);
    return { size, isNew: !index.has(n) };
  });
  return {
    elemShape: leftElems.map((n) => sizes.get(n)!),
    perm: rightElems.filter((n) => index.has(n)).map((n) => index.get(n)!),
    outElems,
    outShape: rightGroups.map((g) => g.reduce((p, n) => p * sizes.get(n)!, 1)),
  };
}

const sameShape = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((v, i) => v === b[i]);

/** Shared front half: validate, plan, reshape to the elementary axes and permute them. */
function prepare(op: Op, x: Tensor, pattern: string, axes: Readonly<Record<string, number>> | undefined): { y: Tensor; p: Plan } {
  checkTensor(op, 'input', x);
  if (typeof pattern !== 'string') throw new ArgumentError(`${op}: pattern must be a string, got ${typeof pattern}`);
  if (axes !== undefined && (axes === null || typeof axes !== 'object')) {
    throw new ArgumentError(`${op}: axes must be an object of axis sizes, got ${axes === null ? 'null' : typeof axes}`);
  }
  const p = plan(new Ctx(op, pattern, x.shape), axes ?? {});
  let y = sameShape(x.shape, p.elemShape) ? x : reshape(x, p.elemShape);
  if (p.perm.some((d, i) => d !== i)) y = permute(y, p.perm);
  return { y, p };
}

/**
 * Reorders, splits and merges axes as an einops pattern says, using only views (reshape, permute,
 * reshape); it copies only when a reshape cannot be a view of the permuted layout.
 *
 * Grammar: axis names (identifiers), parenthesised groups `(h p1)` on either side, `1` or `()` for
 * a unit axis, and `...` at most once per side (on the right it may sit inside a group: `(...)`).
 * Each side names the same axes. One unknown size per left-side group is inferred from the input;
 * the others come from `axes`.
 *
 * ```ts
 * rearrange(x, 'b (h w) c -> b h w c', { h: 4 });
 * rearrange(video, 'b t c (h p1) (w p2) -> b t (h w) (p1 p2 c)', { p1: 2, p2: 2 });
 * rearrange(x, 'b ... c -> b c ...');
 * ```
 * @param x the input
 * @param pattern `'left -> right'`
 * @param axes sizes of axes the input shape alone does not determine (or checks of those it does)
 * @throws ArgumentError for a malformed pattern, an axis on one side only, a repeated name, or a
 *   bad `axes` entry; ShapeError when the input's rank or a dim does not fit the pattern.
 */
export function rearrange(x: Tensor, pattern: string, axes?: Readonly<Record<string, number>>): Tensor {
  return tidy(() => {
    const { y, p } = prepare('rearrange', x, pattern, axes);
    return reshape(y, p.outShape);
  });
}

/**
 * Repeats (tiles) along new axes named on the right side of an einops pattern: sizes from `axes`
 * or numeric literals (`'h w -> h w 3'`). Written as permute, a reshape that inserts unit axes,
 * expand, and one final reshape, which is the only copy (none when each new axis stays a dim of
 * its own). A new axis to the left of an existing one in a group repeats blocks (`'h w -> (r h)
 * w'` tiles the whole image), to the right repeats elements (`'h w -> (h r) w'`), as in einops.
 *
 * ```ts
 * repeat(img, 'h w -> h (w r)', { r: 3 });   // each pixel three times along w
 * repeat(x, 'c -> b c', { b: 8 });            // a batch of copies (an expanded view)
 * ```
 * @param x the input
 * @param pattern `'left -> right'`; every left axis appears on the right
 * @param axes sizes of the new axes (and optionally of left axes, as for `rearrange`)
 * @throws ArgumentError / ShapeError as `rearrange`, and ArgumentError for a new axis without a size.
 */
export function repeat(x: Tensor, pattern: string, axes?: Readonly<Record<string, number>>): Tensor {
  return tidy(() => {
    const { y, p } = prepare('repeat', x, pattern, axes);
    if (!p.outElems.some((e) => e.isNew)) return reshape(y, p.outShape);
    // y holds the kept axes in right-side order; a unit dim goes where each new axis will be.
    let kept = 0;
    const unit = p.outElems.map((e) => (e.isNew ? 1 : y.shape[kept++]!));
    const full = expand(reshape(y, unit), p.outElems.map((e) => e.size));
    return reshape(full, p.outShape);
  });
}
