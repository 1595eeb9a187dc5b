/**
 * `Sqrt` for the wasm backend: the stock kernel takes a square root per element (1.4 ns each:
 * 0.7 ms for one 4x4x128x256 filter), and Adam takes one per weight every step, about 6 ms of a
 * batch-1 training step of the teacher. Here it is `f32x4.sqrt` (`_simd_sqrt.ts`). Other dtypes go to
 * the stock kernel.
 *
 * @module
 */

import * as tf from "../../tf.ts";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { callStockKernel, type Info } from "./_ops.ts";
import { address, simdKernels } from "./_simd.ts";

/**
 * The kernel function: √x elementwise.
 *
 * @example
 * ```ts
 * import * as tf from "../../tf.ts";
 * import "@tensorflow/tfjs-backend-wasm";
 * import { registerWasmTrainingKernels } from "./register.ts";
 * await tf.setBackend("wasm");
 * registerWasmTrainingKernels();
 * const y = tf.sqrt(tf.tensor1d([4, 9, 16, 25, 36]));
 * if (y.dataSync().join() !== "2,3,4,5,6") throw new Error(String(y.dataSync()));
 * ```
 */
export function sqrt(
  args: { inputs: tf.NamedTensorInfoMap; backend: BackendWasm; attrs: tf.NamedAttrMap },
): Info {
  const { inputs, backend } = args;
  const { x } = inputs as { x: Info };
  const simd = simdKernels(backend);
  if (x.dtype !== "float32" || simd === undefined) {
    return callStockKernel(tf.Sqrt, args);
  }
  const out = backend.makeOutput(x.shape, "float32");
  const size = tf.util.sizeFromShape(x.shape);
  if (size > 0) simd.sqrt(address(backend, x), address(backend, out), size);
  return out;
}

/**
 * The kernel config registered by `registerWasmTrainingKernels`.
 *
 * @example
 * ```ts
 * import { sqrtConfig } from "./sqrt.ts";
 * if (sqrtConfig.kernelName !== "Sqrt") throw new Error();
 * ```
 */
export const sqrtConfig: tf.KernelConfig = {
  kernelName: tf.Sqrt,
  backendName: "wasm",
  kernelFunc: sqrt as unknown as tf.KernelFunc,
};
