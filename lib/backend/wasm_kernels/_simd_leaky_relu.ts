/**
 * Generator of the SIMD `leakyRelu` loop that `leaky_relu.ts` calls.
 *
 * @module
 */

import {
  ADD,
  AND,
  type Bytes,
  F32_LOAD,
  F32_MUL,
  F32_STORE,
  F4_MUL,
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

const F32 = 0x7d;
const F32_REINTERPRET = [0xbe], F4_SPLAT = [0xfd, 0x13];
const F4_MAX = [0xfd, 0xe9, 0x01], F32_MAX = [0x97];

/**
 * out[i] = max(x[i], α·x[i]) for 0 <= α <= 1 (LeakyReLU; ReLU at α = 0), i < n (out may be x):
 * four at a time, then one at a time. Parameters (x, out, n, αBits), α as its float32 bits. A NaN
 * stays NaN.
 *
 * @example
 * ```ts
 * import { wasmModule } from "./_wasm_assembler.ts";
 * import { leakyReluFunction } from "./_simd_leaky_relu.ts";
 * const bytes = wasmModule([{ name: "leakyRelu", ...leakyReluFunction() }], false);
 * if (!WebAssembly.validate(bytes)) throw new Error("invalid module");
 * ```
 */
export function leakyReluFunction(): WasmFunction {
  const [x, out, n, alphaBits] = [0, 1, 2, 3];
  const [i, n4, end16] = [4, 5, 6];
  const [v, alpha4] = [7, 8]; // v128
  const [s, alpha] = [9, 10]; // f32
  const body: Bytes = [
    ...get(alphaBits),
    ...F32_REINTERPRET,
    ...tee(alpha),
    ...F4_SPLAT,
    ...set(alpha4),
    ...get(n),
    ...SHL2,
    ...tee(n4),
    ...i32(-16),
    ...AND,
    ...set(end16),
    ...loop(i, i32(0), get(end16), 16, [
      ...get(out),
      ...get(i),
      ...ADD,
      ...get(x),
      ...get(i),
      ...ADD,
      ...V_LOAD(),
      ...tee(v),
      ...get(v),
      ...get(alpha4),
      ...F4_MUL,
      ...F4_MAX,
      ...V_STORE(),
    ]),
    ...loop(i, get(end16), get(n4), 4, [
      ...get(out),
      ...get(i),
      ...ADD,
      ...get(x),
      ...get(i),
      ...ADD,
      ...F32_LOAD,
      ...tee(s),
      ...get(s),
      ...get(alpha),
      ...F32_MUL,
      ...F32_MAX,
      ...F32_STORE,
    ]),
  ];
  return { params: 4, locals: [[3, I32], [2, V128], [2, F32]], body };
}
