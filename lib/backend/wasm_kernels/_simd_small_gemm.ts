/**
 * Generator of the SIMD `smallGemm` loop that `conv2d_backprop_filter.ts` calls.
 *
 * @module
 */

import {
  ADD,
  type Bytes,
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
  V128,
  V_LOAD,
  V_SPLAT_LOAD,
  V_STORE,
  V_ZERO,
  type WasmFunction,
  whileNot,
} from "./_wasm_assembler.ts";

/**
 * The `smallGemm` loop of `_simd.ts`, for short products in `conv2d_backprop_filter.ts`:
 * out [m, n] = a [m, k] · b [k, n] for a short k (an outer product when k = 1). Parameters
 * (a, b, out, m, k, n), n % 4 = 0.
 *
 * @example
 * ```ts
 * import { wasmModule } from "./_wasm_assembler.ts";
 * import { smallGemmFunction } from "./_simd_small_gemm.ts";
 * const bytes = wasmModule([{ name: "f", ...smallGemmFunction(true) }], false);
 * if (!WebAssembly.validate(bytes)) throw new Error("invalid module");
 * ```
 */
export function smallGemmFunction(fused: boolean): WasmFunction {
  const madd = multiplyAdd(fused);
  // params: a b out m k n; locals (i32): i j t pa pbj n4 po k4; (v128): acc0..7 av0 av1 bv
  const [a, b, out, m, k, n] = [0, 1, 2, 3, 4, 5];
  const [i, j, t, pa, pbj, n4, po, k4] = [6, 7, 8, 9, 10, 11, 12, 13];
  const [acc0, av0, bv] = [14, 22, 24];
  // Rows i..i+R-1, columns j..j+4·width-1: R·width independent accumulators, so that the adds
  // do not wait on each other, and each vector of b is loaded once for the R rows.
  const block = (R: number, width: number): Bytes => [
    ...Array.from({ length: R * width }, (_, v) => [...V_ZERO, ...set(acc0 + v)]).flat(),
    ...get(b),
    ...get(j),
    ...ADD,
    ...set(pbj),
    ...loop(t, i32(0), get(k), 1, [
      ...Array.from({ length: R }, (_, r) => [
        ...get(pa),
        ...get(t),
        ...SHL2,
        ...ADD,
        ...(r === 0 ? [] : [...get(k4), ...i32(r), ...MUL, ...ADD]),
        ...V_SPLAT_LOAD,
        ...set(av0 + r),
      ]).flat(),
      ...Array.from({ length: width }, (_, v) => [
        ...get(pbj),
        ...V_LOAD(16 * v),
        ...set(bv),
        ...Array.from({ length: R }, (_, r) => [
          ...madd(acc0 + r * width + v, get(bv), get(av0 + r)),
        ]).flat(),
      ]).flat(),
      ...get(pbj),
      ...get(n4),
      ...ADD,
      ...set(pbj),
    ]),
    ...Array.from({ length: R }, (_, r) =>
      Array.from({ length: width }, (_, v) => [
        ...get(po),
        ...get(j),
        ...ADD,
        ...(r === 0 ? [] : [...get(n4), ...i32(r), ...MUL, ...ADD]),
        ...get(acc0 + r * width + v),
        ...V_STORE(16 * v),
      ]).flat()).flat(),
  ];
  const rows = (R: number): Bytes => [
    ...get(a),
    ...get(i),
    ...get(k4),
    ...MUL,
    ...ADD,
    ...set(pa),
    ...get(out),
    ...get(i),
    ...get(n4),
    ...MUL,
    ...ADD,
    ...set(po),
    ...i32(0),
    ...set(j),
    // 16-column blocks while they fit, then 4-column blocks.
    ...whileNot([...get(j), ...i32(64), ...ADD, ...get(n4), ...GT_S], [
      ...block(R, 4),
      ...get(j),
      ...i32(64),
      ...ADD,
      ...set(j),
    ]),
    ...whileNot([...get(j), ...get(n4), ...GE_S], [
      ...block(R, 1),
      ...get(j),
      ...i32(16),
      ...ADD,
      ...set(j),
    ]),
  ];
  const body: Bytes = [
    ...get(n),
    ...SHL2,
    ...set(n4),
    ...get(k),
    ...SHL2,
    ...set(k4),
    ...i32(0),
    ...set(i),
    // Pairs of rows, then the last row when m is odd.
    ...whileNot([...get(i), ...i32(2), ...ADD, ...get(m), ...GT_S], [
      ...rows(2),
      ...get(i),
      ...i32(2),
      ...ADD,
      ...set(i),
    ]),
    ...whileNot([...get(i), ...get(m), ...GE_S], [
      ...rows(1),
      ...get(i),
      ...i32(1),
      ...ADD,
      ...set(i),
    ]),
  ];
  return { params: 6, locals: [[8, I32], [11, V128]], body };
}
