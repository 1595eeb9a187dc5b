/**
 * Generator of the SIMD `gemm` loop that `conv2d.ts` and both backprop kernels call.
 *
 * @module
 */

import {
  ADD,
  type Bytes,
  F32_ADD,
  F32_LOAD,
  F32_MUL,
  F32_STORE,
  F32_ZERO,
  GE_S,
  get,
  GT_S,
  I32,
  i32,
  loop,
  MUL,
  multiplyAdd,
  set,
  SHL2,
  tee,
  V128,
  V_LOAD,
  V_SPLAT_LOAD,
  V_STORE,
  V_ZERO,
  type WasmFunction,
  whileNot,
} from "./_wasm_assembler.ts";

/**
 * Rows per block of {@link gemmFunction}: 6 rows x 8 columns = 12 accumulators, plus 2 vectors of
 * b and one splat: 15 of the 16 SIMD registers V8 uses on x64 (about 15 % faster than 4 rows).
 */
export const GEMM_ROWS = 6;

/**
 * out [m, n] = a [m, k] · b [k, n] for any sizes, b read in place and never packed; a's element
 * (i, t) is at a + 4·(i·rowStride + t·colStride), so a can be given transposed. Blocks of R rows
 * (then 2, then 1) by 8 columns (2R accumulators; each vector of b is loaded once for R rows, each
 * element of a splatted once for 8 columns), then 4-column blocks, then scalar columns when
 * n % 4 ≠ 0. Column blocks are the outer loop, so the k x 8 panel of b being read stays in cache
 * across all rows. Parameters (a, b, out, m, k, n, rowStride, colStride); R rows per block
 * ({@link GEMM_ROWS}). `conv2d.ts` calls it, and both backprop kernels.
 *
 * @example
 * ```ts
 * import { wasmModule } from "./_wasm_assembler.ts";
 * import { GEMM_ROWS, gemmFunction } from "./_simd_gemm.ts";
 * const bytes = wasmModule([{ name: "f", ...gemmFunction(GEMM_ROWS, true) }], false);
 * if (!WebAssembly.validate(bytes)) throw new Error("invalid module");
 * ```
 */
export function gemmFunction(R: number, fused: boolean): WasmFunction {
  const madd = multiplyAdd(fused);
  // params: a b out m k n rowStride colStride;
  // locals (i32): i j t pb po n4 pat rs4 cs4 ro1..ro(R-1); (v128): acc.. bv0 bv1 av
  const [a, b, out, m, k, n, rowStride, colStride] = [0, 1, 2, 3, 4, 5, 6, 7];
  const [i, j, t, pb, po, n4, pat, rs4, cs4] = [8, 9, 10, 11, 12, 13, 14, 15, 16];
  const ro = (r: number): number => 16 + r; // ro(1)..ro(R-1): r·rowStride in bytes
  const v0 = 17 + R - 1;
  const acc = (r: number, v: number): number => v0 + r * 2 + v;
  const [bv0, av] = [v0 + 2 * R, v0 + 2 * R + 2];
  // pat = a + i·rs4: row i, column 0 of a.
  const rowStart: Bytes = [...get(a), ...get(i), ...get(rs4), ...MUL, ...ADD, ...set(pat)];
  // Rows i..i+rows-1, columns j..j+4·width-1 (width 1 or 2).
  const block = (rows: number, width: number): Bytes => [
    ...rowStart,
    ...Array.from({ length: rows * width }, (_, q) => [
      ...V_ZERO,
      ...set(acc(Math.floor(q / width), q % width)),
    ]).flat(),
    ...get(b),
    ...get(j),
    ...ADD,
    ...set(pb),
    ...loop(t, i32(0), get(k), 1, [
      ...Array.from({ length: width }, (_, v) => [...get(pb), ...V_LOAD(16 * v), ...set(bv0 + v)])
        .flat(),
      ...Array.from({ length: rows }, (_, r) => [
        ...get(pat),
        ...(r === 0 ? [] : [...get(ro(r)), ...ADD]),
        ...V_SPLAT_LOAD,
        ...set(av),
        ...Array.from({ length: width }, (_, v) => madd(acc(r, v), get(bv0 + v), get(av))).flat(),
      ]).flat(),
      ...get(pb),
      ...get(n4),
      ...ADD,
      ...set(pb),
      ...get(pat),
      ...get(cs4),
      ...ADD,
      ...set(pat),
    ]),
    ...Array.from({ length: rows }, (_, r) => [
      ...get(out),
      ...get(i),
      ...(r === 0 ? [] : [...i32(r), ...ADD]),
      ...get(n4),
      ...MUL,
      ...ADD,
      ...get(j),
      ...ADD,
      ...set(po),
      ...Array.from(
        { length: width },
        (_, v) => [...get(po), ...get(acc(r, v)), ...V_STORE(16 * v)],
      )
        .flat(),
    ]).flat(),
  ];
  // All rows of the current column block: R at a time, then two, then one.
  const rowSteps = [...new Set([R, 2, 1])].filter((step) => step <= R);
  const columnBlock = (width: number): Bytes => [
    ...i32(0),
    ...set(i),
    ...rowSteps.flatMap((step) =>
      whileNot([...get(i), ...i32(step), ...ADD, ...get(m), ...GT_S], [
        ...block(step, width),
        ...get(i),
        ...i32(step),
        ...ADD,
        ...set(i),
      ])
    ),
  ];
  // One column j (bytes) of every row, in scalar arithmetic: the n % 4 columns left over.
  const scalarColumn: Bytes = loop(i, i32(0), get(m), 1, [
    ...rowStart,
    ...get(b),
    ...get(j),
    ...ADD,
    ...set(pb),
    ...get(out),
    ...get(i),
    ...get(n4),
    ...MUL,
    ...ADD,
    ...get(j),
    ...ADD,
    ...tee(po),
    ...F32_ZERO,
    ...F32_STORE,
    ...loop(t, i32(0), get(k), 1, [
      ...get(po),
      ...get(po),
      ...F32_LOAD,
      ...get(pat),
      ...F32_LOAD,
      ...get(pb),
      ...F32_LOAD,
      ...F32_MUL,
      ...F32_ADD,
      ...F32_STORE,
      ...get(pb),
      ...get(n4),
      ...ADD,
      ...set(pb),
      ...get(pat),
      ...get(cs4),
      ...ADD,
      ...set(pat),
    ]),
  ]);
  const body: Bytes = [
    ...get(n),
    ...SHL2,
    ...set(n4),
    ...get(rowStride),
    ...SHL2,
    ...set(rs4),
    ...get(colStride),
    ...SHL2,
    ...set(cs4),
    ...Array.from({ length: R - 1 }, (_, q) => [
      ...get(rs4),
      ...i32(q + 1),
      ...MUL,
      ...set(ro(q + 1)),
    ]).flat(),
    ...i32(0),
    ...set(j),
    ...whileNot([...get(j), ...i32(32), ...ADD, ...get(n4), ...GT_S], [
      ...columnBlock(2),
      ...get(j),
      ...i32(32),
      ...ADD,
      ...set(j),
    ]),
    ...whileNot([...get(j), ...i32(16), ...ADD, ...get(n4), ...GT_S], [
      ...columnBlock(1),
      ...get(j),
      ...i32(16),
      ...ADD,
      ...set(j),
    ]),
    ...whileNot([...get(j), ...get(n4), ...GE_S], [
      ...scalarColumn,
      ...get(j),
      ...i32(4),
      ...ADD,
      ...set(j),
    ]),
  ];
  return { params: 8, locals: [[9 + R - 1, I32], [2 * R + 3, V128]], body };
}
