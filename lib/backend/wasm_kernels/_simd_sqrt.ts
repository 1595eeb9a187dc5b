/**
 * Generator of the SIMD square root loop that `sqrt.ts` calls.
 *
 * @module
 */

import {
  ADD,
  AND,
  type Bytes,
  F32_LOAD,
  F32_SQRT,
  F32_STORE,
  F4_SQRT,
  get,
  I32,
  i32,
  loop,
  set,
  SHL2,
  tee,
  V_LOAD,
  V_STORE,
  type WasmFunction,
} from "./_wasm_assembler.ts";

/**
 * out[i] = √x[i] for n floats, four at a time (the stock Sqrt is a scalar loop). Parameters
 * (x, out, n); out may be x.
 *
 * @example
 * ```ts
 * import { wasmModule } from "./_wasm_assembler.ts";
 * import { sqrtFunction } from "./_simd_sqrt.ts";
 * const bytes = wasmModule([{ name: "f", ...sqrtFunction() }], false);
 * if (!WebAssembly.validate(bytes)) throw new Error("invalid module");
 * ```
 */
export function sqrtFunction(): WasmFunction {
  const [x, out, n] = [0, 1, 2];
  const [i, n4, end16] = [3, 4, 5];
  const body: Bytes = [
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
      ...F4_SQRT,
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
      ...F32_SQRT,
      ...F32_STORE,
    ]),
  ];
  return { params: 3, locals: [[3, I32]], body };
}
