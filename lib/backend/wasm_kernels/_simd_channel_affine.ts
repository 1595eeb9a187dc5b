/**
 * Generator of the SIMD `channelAffine` loop that `batch_norm.ts` calls.
 *
 * @module
 */

import {
  ADD,
  AND,
  type Bytes,
  F32_ADD,
  F32_LOAD,
  F32_MUL,
  F32_STORE,
  F4_ADD,
  F4_MUL,
  get,
  I32,
  i32,
  loop,
  MUL,
  set,
  SHL2,
  V_LOAD,
  V_STORE,
  type WasmFunction,
} from "./_wasm_assembler.ts";

/** The instructions of one loop width: four float32 lanes (SIMD) or one. */
interface Width {
  load: Bytes;
  mul: Bytes;
  add: Bytes;
  store: Bytes;
}

const SIMD_LANES: Width = { load: V_LOAD(), mul: F4_MUL, add: F4_ADD, store: V_STORE() };
const ONE_LANE: Width = { load: F32_LOAD, mul: F32_MUL, add: F32_ADD, store: F32_STORE };

/**
 * out[p, c] = x[p, c]·a[c] + b[c] over `positions` rows of `channels` (NHWC, channels last; out may
 * be x): four channels at a time, then the remaining channels one at a time. Parameters (x, out,
 * positions, channels, a, b).
 *
 * @example
 * ```ts
 * import { wasmModule } from "./_wasm_assembler.ts";
 * import { channelAffineFunction } from "./_simd_channel_affine.ts";
 * const bytes = wasmModule([{ name: "channelAffine", ...channelAffineFunction() }], false);
 * if (!WebAssembly.validate(bytes)) throw new Error("invalid module");
 * ```
 */
export function channelAffineFunction(): WasmFunction {
  const [x, out, positions, channels, a, b] = [0, 1, 2, 3, 4, 5];
  const [p, c, rowBytes, end16, base] = [6, 7, 8, 9, 10];
  // The loop body at one width: out[base + c] = x[base + c]·a[c] + b[c] (byte offsets).
  const affine = ({ load, mul, add, store }: Width): Bytes => [
    ...get(out),
    ...get(base),
    ...ADD,
    ...get(c),
    ...ADD,
    ...get(x),
    ...get(base),
    ...ADD,
    ...get(c),
    ...ADD,
    ...load,
    ...get(a),
    ...get(c),
    ...ADD,
    ...load,
    ...mul,
    ...get(b),
    ...get(c),
    ...ADD,
    ...load,
    ...add,
    ...store,
  ];
  const body: Bytes = [
    ...get(channels),
    ...SHL2,
    ...set(rowBytes),
    ...get(rowBytes),
    ...i32(-16),
    ...AND,
    ...set(end16),
    ...loop(p, i32(0), get(positions), 1, [
      ...get(p),
      ...get(rowBytes),
      ...MUL,
      ...set(base),
      // Four channels at a time (one v128 per load), then the rest one at a time.
      ...loop(c, i32(0), get(end16), 16, affine(SIMD_LANES)),
      ...loop(c, get(end16), get(rowBytes), 4, affine(ONE_LANE)),
    ]),
  ];
  return { params: 6, locals: [[5, I32]], body };
}
