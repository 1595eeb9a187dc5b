/**
 * `Tanh` for the wasm backend: four at a time by Eigen's rational approximation (the float tanh of
 * Eigen and TensorFlow's CPU kernels: within 6 float32 ulps and 4e-7 of tanh), where the stock kernel
 * calls a scalar tanh per element: 40 ns an element, so the decoder's last activation (256 images
 * of 32x32) took 7-10 ms of a student's 20 ms scoring call at batch 256. Non-float32 inputs go to
 * the stock kernel.
 *
 * @module
 */

import * as tf from "../../tf.ts";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { callStockKernel, type Info } from "./_ops.ts";
import { address, simdKernels } from "./_simd.ts";

/**
 * The kernel function: tanh of every element.
 *
 * @example
 * ```ts
 * import { assertAlmostEquals } from "@std/assert";
 * import * as tf from "../../tf.ts";
 * import "@tensorflow/tfjs-backend-wasm";
 * import { registerWasmTrainingKernels } from "./register.ts";
 * await tf.setBackend("wasm");
 * registerWasmTrainingKernels();
 * const y = tf.tanh(tf.tensor1d([-20, -1, 0, 0.5, 3, 20])).dataSync();
 * [-20, -1, 0, 0.5, 3, 20].forEach((x, i) => assertAlmostEquals(y[i], Math.tanh(x), 1e-7));
 * ```
 */
export function tanh(
  args: { inputs: tf.NamedTensorInfoMap; backend: BackendWasm; attrs: tf.NamedAttrMap },
): Info {
  const { inputs, backend } = args;
  const { x } = inputs as { x: Info };
  const simd = simdKernels(backend);
  if (x.dtype !== "float32" || simd === undefined) {
    return callStockKernel(tf.Tanh, args);
  }
  const out = backend.makeOutput(x.shape, "float32");
  const size = tf.util.sizeFromShape(x.shape);
  if (size > 0) simd.tanh(address(backend, x), address(backend, out), size);
  return out;
}

/**
 * The kernel's registration (`registerWasmTrainingKernels` registers it).
 *
 * @example
 * ```ts
 * import { tanhConfig } from "./tanh.ts";
 * if (tanhConfig.kernelName !== "Tanh") throw new Error();
 * ```
 */
export const tanhConfig: tf.KernelConfig = {
  kernelName: tf.Tanh,
  backendName: "wasm",
  kernelFunc: tanh as unknown as tf.KernelFunc,
};
