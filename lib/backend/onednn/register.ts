/**
 * Puts the oneDNN convolutions in place of the wasm backend's `Conv2D`, `Conv2DBackpropInput` and
 * `Conv2DBackpropFilter` while the `onednn` backend is selected. The backend is the wasm backend
 * (its memory, its other kernels) with these three kernels routed to oneDNN; selecting `wasm`
 * again routes them back to edegan's wasm kernels, so both can be compared in one process.
 *
 * @module
 */

import * as tf from "../../tf.ts";
import { type ConvKernelArgs, onednnConvolution } from "./kernels.ts";
import type { ConvDirection } from "./convolution.ts";
import { registerBatchNormKernels } from "./batch_norm_op.ts";

const KERNELS: [string, ConvDirection][] = [
  [tf.Conv2D, "forward"],
  [tf.Conv2DBackpropInput, "backwardData"],
  [tf.Conv2DBackpropFilter, "backwardWeights"],
];

let active = false;
let registered = false;

/**
 * Routes the wasm backend's three convolution kernels to oneDNN (`on` true) or back to the wasm
 * kernels (false). The first call wraps the kernels registered at that moment, so call it after
 * `registerWasmTrainingKernels()`; later calls only switch.
 *
 * @example
 * ```ts
 * import * as tf from "../../tf.ts";
 * import "@tensorflow/tfjs-backend-wasm";
 * import { registerWasmTrainingKernels } from "../wasm_kernels/register.ts";
 * import { onednnKernelsActive, useOnednnKernels } from "./register.ts";
 * await tf.setBackend("wasm");
 * registerWasmTrainingKernels();
 * useOnednnKernels(false); // wraps the kernels, leaves them on wasm
 * if (onednnKernelsActive()) throw new Error();
 * ```
 */
export function useOnednnKernels(on: boolean): void {
  if (!registered) {
    for (const [name, direction] of KERNELS) {
      const current = tf.getKernel(name, "wasm");
      if (current === undefined) throw new Error(`wasm kernel '${name}' is not registered`);
      const fallback = current.kernelFunc;
      tf.unregisterKernel(name, "wasm");
      tf.registerKernel({
        kernelName: name,
        backendName: "wasm",
        setupFunc: current.setupFunc,
        kernelFunc: (args) => {
          const out = active
            ? onednnConvolution(direction, args as unknown as ConvKernelArgs)
            : undefined;
          return out ?? fallback(args);
        },
      });
    }
    registerBatchNormKernels();
    registered = true;
  }
  active = on;
}

/** Whether the convolutions now run on oneDNN. */
export function onednnKernelsActive(): boolean {
  return active;
}
