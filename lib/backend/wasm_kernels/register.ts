/**
 * The wasm training kernels as one call: `registerKernels("wasm")` of `../kernels.ts`, which holds
 * the one list of edegan's kernels (a `Conv2DBackpropFilter`, which the stock wasm backend lacks,
 * so it cannot train a conv net; fast `Conv2D` and `Conv2DBackpropInput`; a block-copying `Tile`;
 * a SIMD `Sqrt`; an `Identity` that shares its input's data; the one-pass Adam kernels).
 *
 * @module
 */

import { registerKernels } from "../kernels.ts";

/**
 * Makes the wasm backend train conv nets, fast (the `wasm` variant of `../kernels.ts`; selecting
 * the `onednn` backend registers its own). Idempotent.
 *
 * @example
 * ```ts
 * import * as tf from "../../tf.ts";
 * import "@tensorflow/tfjs-backend-wasm";
 * import { assertEquals } from "@std/assert";
 * import { registerWasmTrainingKernels } from "./register.ts";
 * await tf.setBackend("wasm");
 * registerWasmTrainingKernels();
 * registerWasmTrainingKernels(); // a second call changes nothing
 * assertEquals(tf.getKernel("Conv2DBackpropFilter", "wasm") !== undefined, true);
 * ```
 */
export function registerWasmTrainingKernels(): void {
  registerKernels("wasm");
}
