/**
 * Loops XNNPACK has no good operator for, as a hand-assembled WebAssembly SIMD module
 * that works in place on the wasm backend's own memory (it imports tfjs's `WebAssembly.Memory`):
 *
 * - `rowDots`: out[i·rows + r] = a[r,:]·b[i,:] for a few rows i of b: a matrix-vector product
 *   that reads the big operand once and packs nothing (XNNPACK repacks its weights on every call,
 *   and a 1-wide output wastes its 8-wide tiles).
 * - `smallGemm`: out [m, n] = a [m, k] · b [k, n] for a short k (an outer product when k = 1).
 * - `oneChannel`: the input gradient of a convolution with one input channel, each dx pixel a sum
 *   of dot products of dy positions with filter taps, written in place (no col2im).
 * - `gemm`: out [m, n] = a [m, k] · b [k, n] for any sizes, b (the filter, or dy) read where it
 *   lies: XNNPACK packs its weights operand into an operator cached per tensor, and training makes
 *   every filter a new tensor after each optimiser step, so at small batches it repacks more than
 *   it multiplies.
 * - `sqrt`: four square roots at a time (the stock Sqrt, which Adam calls on every weight, is a
 *   scalar loop).
 * - `adam`: one Adam update in one pass over weights, gradient and moments.
 * - `tanh`: four tanh at a time by a rational function (the stock Tanh is a scalar loop).
 * - `leakyRelu`: max(x, α·x) four at a time (LeakyReLU, and ReLU at α = 0).
 * - `channelAffine`: x·a[c] + b[c] per channel, four channels at a time (inference BatchNorm).
 * - `oneChannelNarrow`: a transposed convolution to one channel from a few channels (scoring's
 *   last decoder layer of the smallest students), one vector of four taps per kernel row.
 * - `oneChannelConv`: a 4x4 convolution from one channel to at most four (scoring's first
 *   encoder layer of the smallest students), one vector of the output channels per position.
 *
 * This file binds the module to tfjs's memory; each loop's generator lies beside the kernel that
 * calls it (`_simd_row_dots.ts`, `_simd_small_gemm.ts`, `_simd_one_channel.ts`, `_simd_gemm.ts`,
 * `_simd_sqrt.ts`, `_simd_adam.ts`, `_simd_tanh.ts`, `_simd_leaky_relu.ts`, `_simd_channel_affine.ts`,
 * `_simd_one_channel_narrow.ts`, `_simd_one_channel_conv.ts`), written with the assembler of `_wasm_assembler.ts`.
 *
 * Pointers and sizes are in floats' byte offsets as the backend's `memoryOffset` gives them.
 * Without WebAssembly SIMD (never the case in Deno) {@link simdKernels} returns undefined and the
 * callers keep their XNNPACK paths.
 *
 * @module
 */

import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { wasmModule } from "./_wasm_assembler.ts";
import { adamFunction } from "./_simd_adam.ts";
import { GEMM_ROWS, gemmFunction } from "./_simd_gemm.ts";
import { oneChannelFunction } from "./_simd_one_channel.ts";
import { oneChannelNarrowFunction } from "./_simd_one_channel_narrow.ts";
import { oneChannelConvFunction } from "./_simd_one_channel_conv.ts";
import { rowDotsFunction } from "./_simd_row_dots.ts";
import { smallGemmFunction } from "./_simd_small_gemm.ts";
import { sqrtFunction } from "./_simd_sqrt.ts";
import { tanhFunction } from "./_simd_tanh.ts";
import { leakyReluFunction } from "./_simd_leaky_relu.ts";
import { channelAffineFunction } from "./_simd_channel_affine.ts";

/** The module's exports; see the module comment. */
export interface SimdKernels {
  /** rows % 4 = 0, k % 4 = 0. */
  rowDots(a: number, b: number, out: number, rows: number, k: number, n: number): void;
  /** n % 4 = 0. */
  smallGemm(a: number, b: number, out: number, m: number, k: number, n: number): void;
  /**
   * out [m, n] = a [m, k] · b [k, n], any sizes; b is read in place (never packed), a's element
   * (i, t) is at a + 4·(i·rowStride + t·colStride): (k, 1) for a as stored, (1, m) transposed.
   */
  gemm(
    a: number,
    b: number,
    out: number,
    m: number,
    k: number,
    n: number,
    rowStride: number,
    colStride: number,
  ): void;
  /**
   * One Adam step of n weights (see the generator): new p, m, v into pOut, mOut, vOut; the seven
   * constants β1, 1-β1, β2, 1-β2, c2, ε, stepSize as float32 bits.
   */
  adam(
    p: number,
    g: number,
    m: number,
    v: number,
    pOut: number,
    mOut: number,
    vOut: number,
    n: number,
    ...constantBits: number[]
  ): void;
  /** out[i] = √x[i], i < n (out may be x). */
  sqrt(x: number, out: number, n: number): void;
  /** out[i] = tanh(x[i]), i < n (out may be x), within 6 float32 ulps and 4e-7. */
  tanh(x: number, out: number, n: number): void;
  /** out[i] = max(x[i], α·x[i]), i < n (out may be x), α given as its float32 bits. */
  leakyRelu(x: number, out: number, n: number, alphaBits: number): void;
  /** out[p, c] = x[p, c]·a[c] + b[c], p < positions, c < channels (out may be x). */
  channelAffine(
    x: number,
    out: number,
    positions: number,
    channels: number,
    a: number,
    b: number,
  ): void;
  /**
   * dx [N, H, W] (one channel, every element written) from dy [N, Ho, Wo, Co] and filter
   * [kh, kw, 1, Co], kw % 4 = 0, Co % 4 = 0: dx[n, y, x] = Σ dy[n, i, j, :] · f[a, b, 0, :] over
   * y = i·sh + a - pt, x = j·sw + b - pl.
   */
  oneChannel(
    dy: number,
    filter: number,
    dx: number,
    batch: number,
    outHeight: number,
    outWidth: number,
    height: number,
    width: number,
    filterHeight: number,
    filterWidth: number,
    strideHeight: number,
    strideWidth: number,
    padTop: number,
    padLeft: number,
    channels: number,
  ): void;
  /**
   * dx [N, H, W] (one channel, every element written) from dy [N, Ho, Wo, Co] and fT [kh, Co, 4]
   * (the filter [kh, 4, 1, Co] with each kernel row's four taps side by side), any Co:
   * dx[n, y, x] = Σ dy[n, i, j, c] · fT[a, c, b] over y = i·sh + a - pt, x = j·sw + b - pl.
   */
  oneChannelNarrow(
    dy: number,
    filterT: number,
    dx: number,
    batch: number,
    outHeight: number,
    outWidth: number,
    height: number,
    width: number,
    filterHeight: number,
    strideHeight: number,
    strideWidth: number,
    padTop: number,
    padLeft: number,
    channels: number,
  ): void;
  /**
   * y [N, Ho, Wo, Co] (every element written) from x [N, H, W] (one channel) and fT [5, 4, 4]
   * (the filter [4, 4, 1, Co] with each tap's Co weights padded with zeros to four, then a row of
   * zeros), Co in 1..4: y[n, i, j, c] = Σ x[n, y, x] · fT[a, b, c] over y = i·sh + a - pt,
   * x = j·sw + b - pl.
   */
  oneChannelConv(
    x: number,
    filterT: number,
    y: number,
    batch: number,
    height: number,
    width: number,
    outHeight: number,
    outWidth: number,
    strideHeight: number,
    strideWidth: number,
    padTop: number,
    padLeft: number,
    channels: number,
  ): void;
}

/**
 * The module's bytes: every generator's function, exported under the names of
 * {@link SimdKernels}; the memory import shared when tfjs's memory is (its threaded build), the
 * multiply-adds fused (relaxed SIMD) when `fused`.
 *
 * @example
 * ```ts
 * import { simdModuleBytes } from "./_simd.ts";
 * if (!WebAssembly.validate(simdModuleBytes(false, false))) throw new Error("invalid module");
 * ```
 */
export function simdModuleBytes(shared: boolean, fused: boolean): Uint8Array<ArrayBuffer> {
  return wasmModule([
    { name: "rowDots", ...rowDotsFunction(fused) },
    { name: "smallGemm", ...smallGemmFunction(fused) },
    { name: "oneChannel", ...oneChannelFunction(fused) },
    { name: "gemm", ...gemmFunction(GEMM_ROWS, fused) },
    { name: "sqrt", ...sqrtFunction() },
    { name: "adam", ...adamFunction() },
    { name: "tanh", ...tanhFunction() },
    { name: "leakyRelu", ...leakyReluFunction() },
    { name: "channelAffine", ...channelAffineFunction() },
    { name: "oneChannelNarrow", ...oneChannelNarrowFunction(fused) },
    { name: "oneChannelConv", ...oneChannelConvFunction(fused) },
  ], shared);
}

const instances = new WeakMap<WebAssembly.Memory, SimdKernels | null>();

/**
 * The SIMD loops bound to a wasm backend's memory (compiled once per memory), or undefined where
 * WebAssembly SIMD is missing.
 *
 * @example
 * ```ts
 * import * as tf from "../../tf.ts";
 * import "@tensorflow/tfjs-backend-wasm";
 * import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
 * import { simdKernels } from "./_simd.ts";
 * await tf.setBackend("wasm");
 * console.log(simdKernels(tf.backend() as BackendWasm) ? "SIMD loops ready" : "no SIMD");
 * ```
 */
export function simdKernels(backend: BackendWasm): SimdKernels | undefined {
  const memory = (backend.wasm as unknown as { asm?: { memory?: WebAssembly.Memory } }).asm
    ?.memory;
  if (memory === undefined) return undefined;
  let kernels = instances.get(memory);
  if (kernels === undefined) {
    const shared = typeof SharedArrayBuffer !== "undefined" &&
      memory.buffer instanceof SharedArrayBuffer;
    kernels = null;
    // With fused multiply-adds (relaxed SIMD) if the engine has them, else without.
    for (const fused of [true, false]) {
      try {
        const module = new WebAssembly.Module(simdModuleBytes(shared, fused));
        const instance = new WebAssembly.Instance(module, { env: { memory } });
        kernels = instance.exports as unknown as SimdKernels;
        break;
      } catch {
        // try the next variant
      }
    }
    instances.set(memory, kernels);
  }
  return kernels ?? undefined;
}

/**
 * The byte offset of a tensor on the wasm heap, as the SIMD loops take it.
 *
 * @example
 * ```ts
 * import * as tf from "../../tf.ts";
 * import "@tensorflow/tfjs-backend-wasm";
 * import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
 * import { address } from "./_simd.ts";
 * await tf.setBackend("wasm");
 * const x = tf.ones([4]);
 * if (address(tf.backend() as BackendWasm, x) % 4 !== 0) throw new Error("misaligned");
 * x.dispose();
 * ```
 */
export function address(backend: BackendWasm, info: { dataId: object }): number {
  return backend.dataIdMap.get(info.dataId)!.memoryOffset;
}
