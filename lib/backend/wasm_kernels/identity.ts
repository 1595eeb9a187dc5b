/**
 * `Identity` for the wasm backend: the stock kernel copies its input, and a training step of the
 * teacher runs it on every weight-sized gradient (about 3 ms a step at batch 1). Tensors are
 * immutable and every kernel writes only its own outputs, so the output can share the input's
 * data, as the cpu backend's Identity and the wasm backend's own Reshape do. Strings go to the
 * stock kernel.
 *
 * @module
 */

import * as tf from "../../tf.ts";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { callStockKernel, type Info } from "./_ops.ts";

/**
 * The kernel function: x itself, as a new reference to the same data.
 *
 * @example
 * ```ts
 * import * as tf from "../../tf.ts";
 * import "@tensorflow/tfjs-backend-wasm";
 * import { registerWasmTrainingKernels } from "./register.ts";
 * await tf.setBackend("wasm");
 * registerWasmTrainingKernels();
 * const x = tf.tensor1d([1, 2, 3]);
 * const y = tf.clone(x);
 * x.dispose();
 * if (y.dataSync().join() !== "1,2,3") throw new Error(String(y.dataSync()));
 * ```
 */
export function identity(
  args: { inputs: tf.NamedTensorInfoMap; backend: BackendWasm; attrs: tf.NamedAttrMap },
): Info {
  const { inputs, backend } = args;
  const { x } = inputs as { x: Info };
  if (x.dtype === "string") {
    return callStockKernel(tf.Identity, args);
  }
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

/**
 * The kernel config registered by `registerWasmTrainingKernels`.
 *
 * @example
 * ```ts
 * import { identityConfig } from "./identity.ts";
 * if (identityConfig.kernelName !== "Identity") throw new Error();
 * ```
 */
export const identityConfig: tf.KernelConfig = {
  kernelName: tf.Identity,
  backendName: "wasm",
  kernelFunc: identity as unknown as tf.KernelFunc,
};
