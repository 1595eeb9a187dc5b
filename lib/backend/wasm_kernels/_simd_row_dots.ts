/**
 * Generator of the SIMD `rowDots` loop that `conv2d_backprop_input.ts` calls.
 *
 * @module
 */

import {
  ADD,
  type Bytes,
  F32_ADD,
  F32_STORE,
  get,
  I32,
  i32,
  lane,
  loop,
  MUL,
  multiplyAdd,
  set,
  SHL2,
  V128,
  V_LOAD,
  V_ZERO,
  type WasmFunction,
} from "./_wasm_assembler.ts";

/** Sum of the four lanes of a v128 local, as an f32 on the stack. */
const hsum = (v: number): Bytes => [
  ...get(v),
  ...lane(0),
  ...get(v),
  ...lane(1),
  ...F32_ADD,
  ...get(v),
  ...lane(2),
  ...get(v),
  ...lane(3),
  ...F32_ADD,
  ...F32_ADD,
];

/**
 * The `rowDots` loop of `_simd.ts`, for few dy positions in `conv2d_backprop_input.ts`: out[i·rows + r] = a[r,:]·b[i,:] for a few rows i of b, a matrix-vector product that reads
 * the big operand once and packs nothing (XNNPACK repacks its weights on every call, and a 1-wide
 * output wastes its 8-wide tiles). Parameters (a, b, out, rows, k, n), rows % 4 = 0, k % 4 = 0.
 *
 * @example
 * ```ts
 * import { wasmModule } from "./_wasm_assembler.ts";
 * import { rowDotsFunction } from "./_simd_row_dots.ts";
 * const bytes = wasmModule([{ name: "f", ...rowDotsFunction(true) }], false);
 * if (!WebAssembly.validate(bytes)) throw new Error("invalid module");
 * ```
 */
export function rowDotsFunction(fused: boolean): WasmFunction {
  const madd = multiplyAdd(fused);
  /** acc += load(address) * vector */
  const macc = (acc: number, address: Bytes, vector: Bytes): Bytes =>
    madd(acc, [...address, ...V_LOAD()], vector);
  // params: a b out rows k n; locals (i32): r i j pa pb k4 ; (v128): acc0..3 bv
  const [a, b, out, rows, k, n] = [0, 1, 2, 3, 4, 5];
  const [r, i, j, pa, pb, k4] = [6, 7, 8, 9, 10, 11];
  const [acc0, bv] = [12, 16];
  // pa + j + m·k4: byte j of row r + m of a.
  const row = (m: number): Bytes => [
    ...get(pa),
    ...get(j),
    ...ADD,
    ...(m === 0 ? [] : [...get(k4), ...i32(m), ...MUL, ...ADD]),
  ];
  const inner: Bytes = [
    ...get(pb),
    ...get(j),
    ...ADD,
    ...V_LOAD(),
    ...set(bv),
    ...[0, 1, 2, 3].flatMap((m) => macc(acc0 + m, row(m), get(bv))),
  ];
  const store = (m: number): Bytes => [
    // out + ((i·rows + r + m) << 2)
    ...get(out),
    ...get(i),
    ...get(rows),
    ...MUL,
    ...get(r),
    ...ADD,
    ...i32(m),
    ...ADD,
    ...SHL2,
    ...ADD,
    ...hsum(acc0 + m),
    ...F32_STORE,
  ];
  const perRow: Bytes = [
    ...get(b),
    ...get(i),
    ...get(k4),
    ...MUL,
    ...ADD,
    ...set(pb),
    ...[0, 1, 2, 3].flatMap((m) => [...V_ZERO, ...set(acc0 + m)]),
    ...loop(j, i32(0), get(k4), 16, inner),
    ...[0, 1, 2, 3].flatMap(store),
  ];
  const body: Bytes = [
    ...get(k),
    ...SHL2,
    ...set(k4),
    ...loop(r, i32(0), get(rows), 4, [
      ...get(a),
      ...get(r),
      ...get(k4),
      ...MUL,
      ...ADD,
      ...set(pa),
      ...loop(i, i32(0), get(n), 1, perRow),
    ]),
  ];
  return { params: 6, locals: [[6, I32], [5, V128]], body };
}
