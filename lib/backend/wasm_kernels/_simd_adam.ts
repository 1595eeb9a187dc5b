/**
 * Generator of the SIMD one-pass Adam update that `adam_update.ts` calls.
 *
 * @module
 */

import {
  ADD,
  AND,
  type Bytes,
  F32_ADD,
  F32_DIV,
  F32_LOAD,
  F32_MUL,
  F32_SQRT,
  F32_STORE,
  F32_SUB,
  F4_ADD,
  F4_DIV,
  F4_MUL,
  F4_SQRT,
  F4_SUB,
  get,
  I32,
  i32,
  loop,
  set,
  SHL2,
  tee,
  V128,
  V_LOAD,
  V_STORE,
  type WasmFunction,
} from "./_wasm_assembler.ts";

/**
 * One Adam update of n weights in a single pass (Adam as tf ops makes 13 passes, each memory-bound):
 * m' = β1·m + (1-β1)·g, v' = β2·v + (1-β2)·g², p' = p - (m' / (√(v' / c2) + ε))·stepSize, with
 * the same float32 operations in the same order as those ops (no fused multiply-add), so the
 * result is identical. Constants are passed as the bits of float32 values. Parameters (p, g, m,
 * v, pOut, mOut, vOut, n, β1, 1-β1, β2, 1-β2, c2, ε, stepSize), as `adam_update.ts`
 * calls it.
 *
 * @example
 * ```ts
 * import { wasmModule } from "./_wasm_assembler.ts";
 * import { adamFunction } from "./_simd_adam.ts";
 * const bytes = wasmModule([{ name: "f", ...adamFunction() }], false);
 * if (!WebAssembly.validate(bytes)) throw new Error("invalid module");
 * ```
 */
export function adamFunction(): WasmFunction {
  const [p, g, m, v, pOut, mOut, vOut, n] = [0, 1, 2, 3, 4, 5, 6, 7];
  const constants = [8, 9, 10, 11, 12, 13, 14]; // β1 1-β1 β2 1-β2 c2 ε stepSize
  const [i, n4, end16] = [15, 16, 17];
  const splats = (c: number): number => 18 + c; // v128 locals
  const [mv, vv] = [25, 26];
  const F32_REINTERPRET = [0xbe], F4_SPLAT = [0xfd, 0x13];
  const ops = (vector: boolean) => ({
    load: vector ? V_LOAD() : F32_LOAD,
    store: vector ? V_STORE() : F32_STORE,
    add: vector ? F4_ADD : F32_ADD,
    sub: vector ? F4_SUB : F32_SUB,
    mul: vector ? F4_MUL : F32_MUL,
    div: vector ? F4_DIV : F32_DIV,
    sqrt: vector ? F4_SQRT : F32_SQRT,
    constant: (c: number): Bytes =>
      vector ? get(splats(c)) : [...get(constants[c]), ...F32_REINTERPRET],
  });
  const at = (base: number): Bytes => [...get(base), ...get(i), ...ADD];
  // Scalar locals would need f32 locals; the scalar tail keeps m' and v' in their outputs.
  const element = (vector: boolean): Bytes => {
    const o = ops(vector);
    const newM: Bytes = [
      ...at(m),
      ...o.load,
      ...o.constant(0),
      ...o.mul,
      ...at(g),
      ...o.load,
      ...o.constant(1),
      ...o.mul,
      ...o.add,
    ];
    const newV: Bytes = [
      ...at(v),
      ...o.load,
      ...o.constant(2),
      ...o.mul,
      ...at(g),
      ...o.load,
      ...at(g),
      ...o.load,
      ...o.mul,
      ...o.constant(3),
      ...o.mul,
      ...o.add,
    ];
    const mValue = vector ? get(mv) : [...at(mOut), ...F32_LOAD];
    const vValue = vector ? get(vv) : [...at(vOut), ...F32_LOAD];
    return [
      ...(vector ? [...newM, ...set(mv), ...at(mOut), ...get(mv)] : [...at(mOut), ...newM]),
      ...o.store,
      ...(vector ? [...newV, ...set(vv), ...at(vOut), ...get(vv)] : [...at(vOut), ...newV]),
      ...o.store,
      ...at(pOut),
      ...at(p),
      ...o.load,
      ...mValue,
      ...vValue,
      ...o.constant(4),
      ...o.div,
      ...o.sqrt,
      ...o.constant(5),
      ...o.add,
      ...o.div,
      ...o.constant(6),
      ...o.mul,
      ...o.sub,
      ...o.store,
    ];
  };
  const body: Bytes = [
    ...constants.flatMap((
      c,
      index,
    ) => [...get(c), ...F32_REINTERPRET, ...F4_SPLAT, ...set(splats(index))]),
    ...get(n),
    ...SHL2,
    ...tee(n4),
    ...i32(-16),
    ...AND,
    ...set(end16),
    ...loop(i, i32(0), get(end16), 16, element(true)),
    ...loop(i, get(end16), get(n4), 4, element(false)),
  ];
  return { params: 15, locals: [[3, I32], [9, V128]], body };
}
