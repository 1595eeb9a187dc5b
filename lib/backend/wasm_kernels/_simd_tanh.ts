/**
 * Generator of the SIMD `tanh` loop that `tanh.ts` calls.
 *
 * @module
 */

import {
  ADD,
  AND,
  type Bytes,
  F32_DIV,
  F32_LOAD,
  F32_MUL,
  F32_STORE,
  F4_ADD,
  F4_DIV,
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

/**
 * The odd numerator (x·(α1 + α3·x² + … + α13·x¹²)) and even denominator (β0 + β2·x² + … + β6·x⁶)
 * of Eigen's rational approximation of tanh on [-7.905, 7.905] (`generic_fast_tanh_float`, the
 * float tanh of Eigen and TensorFlow's CPU kernels), beyond which float32 tanh rounds to ±1.
 */
export const TANH_CLAMP = 7.90531110763549805;
const ALPHA = [
  4.89352455891786e-03,
  6.37261928875436e-04,
  1.48572235717979e-05,
  5.12229709037114e-08,
  -8.60467152213735e-11,
  2.00018790482477e-13,
  -2.76076847742355e-16,
];
const BETA = [
  4.89352518554385e-03,
  2.26843463243900e-03,
  1.18534705686654e-04,
  1.19825839466702e-06,
];

const F32 = 0x7d;
/** f32.const c. */
const f32 = (c: number): Bytes => [0x43, ...new Uint8Array(new Float32Array([c]).buffer)];
/** f32x4.splat of f32.const c. */
const f4 = (c: number): Bytes => [...f32(c), 0xfd, 0x13];
const F4_MIN = [0xfd, 0xe8, 0x01], F4_MAX = [0xfd, 0xe9, 0x01];
const F32_ADD = [0x92], F32_MIN = [0x96], F32_MAX = [0x97];

/**
 * out[i] = tanh(x[i]), i < n (out may be x): four at a time, then one at a time, by the same
 * rational function (a NaN stays NaN). Parameters (x, out, n).
 *
 * @example
 * ```ts
 * import { wasmModule } from "./_wasm_assembler.ts";
 * import { tanhFunction } from "./_simd_tanh.ts";
 * const bytes = wasmModule([{ name: "tanh", ...tanhFunction() }], false);
 * if (!WebAssembly.validate(bytes)) throw new Error("invalid module");
 * ```
 */
export function tanhFunction(): WasmFunction {
  const [x, out, n] = [0, 1, 2];
  const [i, n4, end16] = [3, 4, 5];
  const [v, v2, p, q] = [6, 7, 8, 9]; // v128
  const [s, s2, sp, sq] = [10, 11, 12, 13]; // f32
  /** The rational function of the value in local `a` (squared into `a2`), left on the stack. */
  const rational = (
    a: number,
    a2: number,
    pp: number,
    qq: number,
    ops: { c: (c: number) => Bytes; mul: Bytes; add: Bytes; div: Bytes },
  ): Bytes => {
    const horner = (acc: number, coefficients: number[]): Bytes => [
      ...ops.c(coefficients.at(-1)!),
      ...set(acc),
      ...coefficients.slice(0, -1).reverse().flatMap((c) => [
        ...get(acc),
        ...get(a2),
        ...ops.mul,
        ...ops.c(c),
        ...ops.add,
        ...set(acc),
      ]),
    ];
    return [
      ...get(a),
      ...get(a),
      ...ops.mul,
      ...set(a2),
      ...horner(pp, ALPHA),
      ...horner(qq, BETA),
      ...get(pp),
      ...get(a),
      ...ops.mul,
      ...get(qq),
      ...ops.div,
    ];
  };
  const vector = { c: f4, mul: F4_MUL, add: F4_ADD, div: F4_DIV };
  const scalar = { c: f32, mul: F32_MUL, add: F32_ADD, div: F32_DIV };
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
      ...f4(-TANH_CLAMP),
      ...F4_MAX,
      ...f4(TANH_CLAMP),
      ...F4_MIN,
      ...set(v),
      ...rational(v, v2, p, q, vector),
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
      ...f32(-TANH_CLAMP),
      ...F32_MAX,
      ...f32(TANH_CLAMP),
      ...F32_MIN,
      ...set(s),
      ...rational(s, s2, sp, sq, scalar),
      ...F32_STORE,
    ]),
  ];
  return { params: 3, locals: [[3, I32], [4, V128], [4, F32]], body };
}
