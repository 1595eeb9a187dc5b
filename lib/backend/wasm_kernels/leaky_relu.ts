/**
 * `LeakyRelu` and `Relu` for the wasm backend: max(x, α·x) four at a time (α = 0 for ReLU), where
 * the stock kernels take 5-8 ns an element; every block of the encoders and the discriminator ends
 * in a LeakyReLU and every decoder block in a ReLU (about a fifth of a scoring call, teacher or
 * student). Non-float32 inputs, and α outside [0, 1] (where max(x, α·x) is not LeakyReLU), go to
 * the stock kernel.
 *
 * @module
 */

import * as tf from "../../tf.ts";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { callStockKernel, type Info } from "./_ops.ts";
import { address, simdKernels } from "./_simd.ts";

const bits = (value: number): number => {
  const view = new DataView(new ArrayBuffer(4));
  view.setFloat32(0, value);
  return view.getInt32(0);
};

function run(kernelName: string, alpha: number, args: {
  inputs: tf.NamedTensorInfoMap;
  backend: BackendWasm;
  attrs: tf.NamedAttrMap;
}): Info {
  const { inputs, backend } = args;
  const { x } = inputs as { x: Info };
  const simd = simdKernels(backend);
  if (x.dtype !== "float32" || simd === undefined || !(alpha >= 0 && alpha <= 1)) {
    return callStockKernel(kernelName, args);
  }
  const out = backend.makeOutput(x.shape, "float32");
  const size = tf.util.sizeFromShape(x.shape);
  if (size > 0) simd.leakyRelu(address(backend, x), address(backend, out), size, bits(alpha));
  return out;
}

/**
 * The `LeakyRelu` kernel function (attribute `alpha`).
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import * as tf from "../../tf.ts";
 * import "@tensorflow/tfjs-backend-wasm";
 * import { registerWasmTrainingKernels } from "./register.ts";
 * await tf.setBackend("wasm");
 * registerWasmTrainingKernels();
 * const y = tf.leakyRelu(tf.tensor1d([-2, -0.5, 0, 1, 3]), 0.2).dataSync();
 * assertEquals(Array.from(y), [-0.4, -0.1, 0, 1, 3].map(Math.fround));
 * ```
 */
export function leakyRelu(
  args: { inputs: tf.NamedTensorInfoMap; backend: BackendWasm; attrs: tf.NamedAttrMap },
): Info {
  return run(tf.LeakyRelu, args.attrs.alpha as number, args);
}

/**
 * The `Relu` kernel function.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import * as tf from "../../tf.ts";
 * import "@tensorflow/tfjs-backend-wasm";
 * import { registerWasmTrainingKernels } from "./register.ts";
 * await tf.setBackend("wasm");
 * registerWasmTrainingKernels();
 * assertEquals(Array.from(tf.relu(tf.tensor1d([-2, 0, 3.5])).dataSync()), [0, 0, 3.5]);
 * ```
 */
export function relu(
  args: { inputs: tf.NamedTensorInfoMap; backend: BackendWasm; attrs: tf.NamedAttrMap },
): Info {
  return run(tf.Relu, 0, args);
}

/**
 * The kernels' registrations (`registerWasmTrainingKernels` registers them).
 *
 * @example
 * ```ts
 * import { leakyReluConfig, reluConfig } from "./leaky_relu.ts";
 * if (leakyReluConfig.kernelName !== "LeakyRelu" || reluConfig.kernelName !== "Relu") throw new Error();
 * ```
 */
export const leakyReluConfig: tf.KernelConfig = {
  kernelName: tf.LeakyRelu,
  backendName: "wasm",
  kernelFunc: leakyRelu as unknown as tf.KernelFunc,
};
/** See {@link leakyReluConfig}. */
export const reluConfig: tf.KernelConfig = {
  kernelName: tf.Relu,
  backendName: "wasm",
  kernelFunc: relu as unknown as tf.KernelFunc,
};
