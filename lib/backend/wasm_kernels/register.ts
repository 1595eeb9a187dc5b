/**
 * Registers the wasm training kernels: a `Conv2DBackpropFilter` (the stock wasm backend has none,
 * so it cannot train a conv net) and a fast `Conv2DBackpropInput` in place of the stock reference
 * loop.
 *
 * @module
 */

import * as tf from "../../tf.ts";
import { conv2DBackpropFilterConfig } from "./conv2d_backprop_filter.ts";
import { conv2DBackpropInputConfig, setStockConv2DBackpropInput } from "./conv2d_backprop_input.ts";

/**
 * Makes the wasm backend train conv nets, fast. Idempotent; call it after importing
 * `@tensorflow/tfjs-backend-wasm`, before or after `tf.setBackend("wasm")`.
 *
 * @example
 * ```ts
 * import * as tf from "../../tf.ts";
 * import "@tensorflow/tfjs-backend-wasm";
 * import { registerWasmTrainingKernels } from "./register.ts";
 * await tf.setBackend("wasm");
 * registerWasmTrainingKernels();
 * registerWasmTrainingKernels(); // a second call changes nothing
 * if (tf.getKernel("Conv2DBackpropFilter", "wasm") === undefined) throw new Error();
 * ```
 */
export function registerWasmTrainingKernels(): void {
  const current = tf.getKernel(tf.Conv2DBackpropInput, "wasm");
  if (current?.kernelFunc !== conv2DBackpropInputConfig.kernelFunc) {
    if (current !== undefined) {
      setStockConv2DBackpropInput(current.kernelFunc);
      tf.unregisterKernel(tf.Conv2DBackpropInput, "wasm");
    }
    // The stock setup binds the wasm function our float32-only fallback calls; keep it running
    // whenever a wasm backend is initialised.
    tf.registerKernel({ ...conv2DBackpropInputConfig, setupFunc: current?.setupFunc });
  }
  if (tf.getKernel(tf.Conv2DBackpropFilter, "wasm") === undefined) {
    tf.registerKernel(conv2DBackpropFilterConfig);
  }
}
