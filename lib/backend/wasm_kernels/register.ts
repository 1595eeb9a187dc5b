/**
 * Registers the wasm training kernels: a `Conv2DBackpropFilter` (the stock wasm backend has none,
 * so it cannot train a conv net), a fast `Conv2DBackpropInput` in place of the stock reference
 * loop, a `Conv2D` that skips XNNPACK's filter packing at small batch sizes, a `Tile` (used by
 * BatchNorm's gradient) that copies blocks instead of computing each element's index, a SIMD
 * `Sqrt` (Adam's), an `Identity` that shares its input's data instead of copying it, and
 * `EdeganAdamUpdate`, one Adam step in one pass (`adam_update.ts`).
 *
 * @module
 */

import * as tf from "../../tf.ts";
import { conv2DBackpropFilterConfig } from "./conv2d_backprop_filter.ts";
import { conv2DBackpropInputConfig } from "./conv2d_backprop_input.ts";
import { conv2DConfig } from "./conv2d.ts";
import { setStockKernel } from "./_ops.ts";
import { tileConfig } from "./tile.ts";
import { sqrtConfig } from "./sqrt.ts";
import { identityConfig } from "./identity.ts";
import { ADAM_UPDATE, adamUpdateConfig } from "./adam_update.ts";

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
  // Once only: a later call would take the oneDNN routing (`../onednn/register.ts`), which wraps
  // these kernels, for a stock kernel.
  if (registered) return;
  registered = true;
  // Each replaced stock kernel is kept (`setStockKernel`): the replacements fall back to it, and
  // the backprop kernels' XNNPACK paths call the stock Conv2D through `_ops.ts`.
  const replacements = [
    conv2DBackpropInputConfig,
    conv2DConfig,
    tileConfig,
    sqrtConfig,
    identityConfig,
  ];
  for (const config of replacements) replace(config);
  if (tf.getKernel(tf.Conv2DBackpropFilter, "wasm") === undefined) {
    tf.registerKernel(conv2DBackpropFilterConfig);
  }
  if (tf.getKernel(ADAM_UPDATE, "wasm") === undefined) tf.registerKernel(adamUpdateConfig);
}

let registered = false;

/** Puts `config` in place of the stock kernel of its name, which `setStockKernel` keeps. */
function replace(config: tf.KernelConfig): void {
  const current = tf.getKernel(config.kernelName, "wasm");
  if (current?.kernelFunc === config.kernelFunc) return;
  if (current !== undefined) {
    setStockKernel(config.kernelName, current.kernelFunc);
    tf.unregisterKernel(config.kernelName, "wasm");
  }
  // The stock setup binds the wasm function the fallback calls; keep it running whenever a wasm
  // backend is initialised.
  tf.registerKernel({ ...config, setupFunc: current?.setupFunc });
}
