/**
 * `FusedBatchNorm` for the wasm backend, as inference runs it (per-channel statistics): each
 * channel's a = scale / √(variance + ε) and b = offset - mean·a computed once, then one pass
 * x·a + b over the tensor, four channels at a time, where the stock kernel takes 7-20 ns an
 * element (a fifth of a small student's scoring call at batch 256). Other shapes (statistics not of
 * the channels' size) and non-float32 inputs go to the stock kernel.
 *
 * @module
 */

import * as tf from "../../tf.ts";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { callStockKernel, heap, type Info, release } from "./_ops.ts";
import { address, simdKernels } from "./_simd.ts";

/**
 * The kernel function: inputs `x` [..., C], `mean`, `variance` and optionally `offset`, `scale`
 * (each [C]); attribute `varianceEpsilon`.
 *
 * @example
 * ```ts
 * import { assertAlmostEquals } from "@std/assert";
 * import * as tf from "../../tf.ts";
 * import "@tensorflow/tfjs-backend-wasm";
 * import { registerWasmTrainingKernels } from "./register.ts";
 * await tf.setBackend("wasm");
 * registerWasmTrainingKernels();
 * const x = tf.tensor4d([1, 2, 3, 4], [1, 2, 1, 2]);
 * const y = tf.batchNorm4d(x, tf.tensor1d([1, 2]), tf.tensor1d([4, 1]), tf.tensor1d([0, 1]),
 *   tf.tensor1d([2, 1]), 0).dataSync();
 * [0, 1, 2, 3].forEach((v, i) => assertAlmostEquals(y[i], [0, 1, 2, 3][i], 1e-6));
 * ```
 */
export function batchNorm(
  args: { inputs: tf.NamedTensorInfoMap; backend: BackendWasm; attrs: tf.NamedAttrMap },
): Info {
  const { inputs, backend, attrs } = args;
  const { x, mean, variance, offset, scale } = inputs as Record<string, Info | undefined>;
  const simd = simdKernels(backend);
  const channels = x!.shape[x!.shape.length - 1] ?? 1;
  const perChannel = (t: Info | undefined) =>
    t === undefined || (t.dtype === "float32" && tf.util.sizeFromShape(t.shape) === channels);
  if (
    simd === undefined || x!.dtype !== "float32" || x!.shape.length === 0 ||
    ![mean, variance, offset, scale].every(perChannel) || mean === undefined ||
    variance === undefined
  ) {
    return callStockKernel(tf.FusedBatchNorm, args);
  }
  const epsilon = (attrs.varianceEpsilon as number | undefined) ?? 0.001;
  const [m, v] = [heap(backend, mean).slice(), heap(backend, variance).slice()];
  const o = offset ? heap(backend, offset).slice() : undefined;
  const s = scale ? heap(backend, scale).slice() : undefined;
  const a = backend.makeOutput([channels], "float32");
  const b = backend.makeOutput([channels], "float32");
  const [aHeap, bHeap] = [heap(backend, a), heap(backend, b)];
  for (let c = 0; c < channels; c++) {
    // As tfjs computes it: (x - mean) · scale / √(variance + ε) + offset, folded.
    aHeap[c] = (s?.[c] ?? 1) / Math.sqrt(v[c] + epsilon);
    bHeap[c] = (o?.[c] ?? 0) - m[c] * aHeap[c];
  }
  const out = backend.makeOutput(x!.shape, "float32");
  const size = tf.util.sizeFromShape(x!.shape);
  if (size > 0) {
    simd.channelAffine(
      address(backend, x!),
      address(backend, out),
      size / channels,
      channels,
      address(backend, a),
      address(backend, b),
    );
  }
  release(backend, a, b);
  return out;
}

/**
 * The kernel's registration (`registerWasmTrainingKernels` registers it).
 *
 * @example
 * ```ts
 * import { batchNormConfig } from "./batch_norm.ts";
 * if (batchNormConfig.kernelName !== "FusedBatchNorm") throw new Error();
 * ```
 */
export const batchNormConfig: tf.KernelConfig = {
  kernelName: tf.FusedBatchNorm,
  backendName: "wasm",
  kernelFunc: batchNorm as unknown as tf.KernelFunc,
};
