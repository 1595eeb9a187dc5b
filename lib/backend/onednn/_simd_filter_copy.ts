/**
 * Generators of the SIMD `copyRuns` and `copyTiles` loops that `filter_copy.ts` calls: exact copies of a filter between tfjs's HWIO layout and the blocked layouts oneDNN's
 * convolutions want (the bytes moved as they are: loads, stores and lane shuffles only, so every
 * bit, NaN payloads included, arrives unchanged).
 *
 * Both walk four nested loops given as (count, source stride, destination stride), strides in
 * bytes, and at each innermost point copy one piece: `copyRuns` a run of contiguous bytes,
 * `copyTiles` a tile of floats transposed.
 *
 * @module
 */

import {
  ADD,
  type Bytes,
  get,
  I32,
  i32,
  loop,
  MUL,
  set,
  V128,
  V_LOAD,
  V_STORE,
  type WasmFunction,
} from "../wasm_kernels/_wasm_assembler.ts";

/** `i8x16.shuffle` of two f32x4 vectors: output lane k is lane `lanes[k]` of a (0-3) or b (4-7). */
const shuffle = (lanes: number[]): Bytes => [
  0xfd,
  0x0d,
  ...lanes.flatMap((l) => [4 * l, 4 * l + 1, 4 * l + 2, 4 * l + 3]),
];

/**
 * Four nested loops over local counters `k`, each setting a source and a destination address
 * (`a[level]`, `b[level]`) from the level above (the function's `src` and `dst` at the top):
 * a = a_above + k·sourceStride, b = b_above + k·destinationStride; `inner` runs at the innermost
 * point with the last level's addresses.
 */
function nest(
  src: number,
  dst: number,
  levels: { count: number; srcStride: number; dstStride: number }[],
  k: number[],
  a: number[],
  b: number[],
  inner: Bytes,
): Bytes {
  let body = inner;
  for (let level = levels.length - 1; level >= 0; level--) {
    const { count, srcStride, dstStride } = levels[level];
    const [aAbove, bAbove] = level === 0 ? [src, dst] : [a[level - 1], b[level - 1]];
    body = loop(k[level], i32(0), get(count), 1, [
      ...get(aAbove),
      ...get(k[level]),
      ...get(srcStride),
      ...MUL,
      ...ADD,
      ...set(a[level]),
      ...get(bAbove),
      ...get(k[level]),
      ...get(dstStride),
      ...MUL,
      ...ADD,
      ...set(b[level]),
      ...body,
    ]);
  }
  return body;
}

/**
 * Copies runs: at each point of four nested loops, `run` bytes (a multiple of 16·`vectors`) from
 * the source address to the destination address, `vectors` vectors (2 or 4) at a time, or with
 * one `memory.copy` (bulk memory) when `vectors` is 0. Parameters (src, dst, run,
 * then count, source stride, destination stride for each of the four loops, outermost first),
 * addresses and strides in bytes. A blocked filter whose block runs along the output channels
 * (oneDNN's `Acdb64a`, `ABcd16b16a`) is one such copy from or to HWIO.
 *
 * @example
 * ```ts
 * import { wasmModule } from "../wasm_kernels/_wasm_assembler.ts";
 * import { copyRunsFunction } from "./_simd_filter_copy.ts";
 * const bytes = wasmModule([{ name: "copyRuns", ...copyRunsFunction(4) }], false);
 * if (!WebAssembly.validate(bytes)) throw new Error("invalid module");
 * ```
 */
export function copyRunsFunction(vectors: 0 | 2 | 4): WasmFunction {
  const [src, dst, run] = [0, 1, 2];
  const levels = [0, 1, 2, 3].map((l) => ({
    count: 3 + 3 * l,
    srcStride: 4 + 3 * l,
    dstStride: 5 + 3 * l,
  }));
  const k = [15, 16, 17, 18], a = [19, 20, 21, 22], b = [23, 24, 25, 26];
  const [j, from, to] = [27, 28, 29];
  const moves: Bytes = [];
  for (let v = 0; v < vectors; v++) {
    moves.push(...get(to), ...get(from), ...V_LOAD(16 * v), ...V_STORE(16 * v));
  }
  if (vectors === 0) {
    // memory.copy (bulk memory) of the whole run
    const bulk = [...get(b[3]), ...get(a[3]), ...get(run), 0xfc, 0x0a, 0, 0];
    return { params: 15, locals: [[15, I32]], body: nest(src, dst, levels, k, a, b, bulk) };
  }
  const inner = loop(j, i32(0), get(run), 16 * vectors, [
    ...get(a[3]),
    ...get(j),
    ...ADD,
    ...set(from),
    ...get(b[3]),
    ...get(j),
    ...ADD,
    ...set(to),
    ...moves,
  ]);
  return { params: 15, locals: [[15, I32]], body: nest(src, dst, levels, k, a, b, inner) };
}

/**
 * Copies tiles transposed: at each point of three nested loops, a `rows` × `cols` tile of floats
 * (both multiples of 4) whose element (r, c) lies at source + r·srcRow + 4c goes to destination +
 * c·dstRow + 4r, a 4 × 4 block at a time (four loads, eight lane shuffles, four stores).
 * Parameters (src, dst, rows, cols, srcRow, dstRow, then count, source stride, destination stride
 * for each of the three loops, outermost first), addresses and strides in bytes. oneDNN's
 * `ABcd16a16b` (the data gradient's filter) is such a copy from HWIO: 16 × 16 tiles.
 *
 * @example
 * ```ts
 * import { wasmModule } from "../wasm_kernels/_wasm_assembler.ts";
 * import { copyTilesFunction } from "./_simd_filter_copy.ts";
 * const bytes = wasmModule([{ name: "copyTiles", ...copyTilesFunction() }], false);
 * if (!WebAssembly.validate(bytes)) throw new Error("invalid module");
 * ```
 */
export function copyTilesFunction(): WasmFunction {
  const [src, dst, rows, cols, srcRow, dstRow] = [0, 1, 2, 3, 4, 5];
  const levels = [0, 1, 2].map((l) => ({
    count: 6 + 3 * l,
    srcStride: 7 + 3 * l,
    dstStride: 8 + 3 * l,
  }));
  const k = [15, 16, 17], a = [18, 19, 20], b = [21, 22, 23];
  const [r, c, from, to] = [24, 25, 26, 27];
  const [v0, v1, v2, v3, t0, t1, t2, t3] = [28, 29, 30, 31, 32, 33, 34, 35]; // v128
  const load = (row: number, into: number): Bytes => [
    ...get(from),
    ...get(srcRow),
    ...i32(row),
    ...MUL,
    ...ADD,
    ...V_LOAD(),
    ...set(into),
  ];
  const pair = (x: number, y: number, lanes: number[], into: number): Bytes => [
    ...get(x),
    ...get(y),
    ...shuffle(lanes),
    ...set(into),
  ];
  const store = (row: number, x: number, y: number, lanes: number[]): Bytes => [
    ...get(to),
    ...get(dstRow),
    ...i32(row),
    ...MUL,
    ...ADD,
    ...get(x),
    ...get(y),
    ...shuffle(lanes),
    ...V_STORE(),
  ];
  const block: Bytes = [
    // from = a + r·srcRow + 4c; to = b + c·dstRow + 4r
    ...get(a[2]),
    ...get(r),
    ...get(srcRow),
    ...MUL,
    ...ADD,
    ...get(c),
    ...i32(4),
    ...MUL,
    ...ADD,
    ...set(from),
    ...get(b[2]),
    ...get(c),
    ...get(dstRow),
    ...MUL,
    ...ADD,
    ...get(r),
    ...i32(4),
    ...MUL,
    ...ADD,
    ...set(to),
    ...load(0, v0),
    ...load(1, v1),
    ...load(2, v2),
    ...load(3, v3),
    // rows x0..x3 of v0, v1 interleaved, then of v2, v3; the columns are halves of those
    ...pair(v0, v1, [0, 4, 1, 5], t0),
    ...pair(v0, v1, [2, 6, 3, 7], t1),
    ...pair(v2, v3, [0, 4, 1, 5], t2),
    ...pair(v2, v3, [2, 6, 3, 7], t3),
    ...store(0, t0, t2, [0, 1, 4, 5]),
    ...store(1, t0, t2, [2, 3, 6, 7]),
    ...store(2, t1, t3, [0, 1, 4, 5]),
    ...store(3, t1, t3, [2, 3, 6, 7]),
  ];
  const inner = loop(r, i32(0), get(rows), 4, loop(c, i32(0), get(cols), 4, block));
  return {
    params: 15,
    locals: [[13, I32], [8, V128]],
    body: nest(src, dst, levels, k, a, b, inner),
  };
}
