/**
 * Tensors saved for the gradient, shared without a kernel call on the wasm backend.
 *
 * tfjs's engine keeps every tensor a kernel (or a `tf.customGrad` op) saves for its gradient as a
 * clone (`Engine.clone`, private), and a clone is a full dispatch of the `Identity` kernel: the
 * engine's checks, scope and bookkeeping for a kernel whose work, on this backend, is none
 * (edegan's wasm `Identity`, `wasm_kernels/identity.ts`, returns a new reference to its input's
 * data). At batch 1 those dispatches were 216 of a teacher step's 486 kernel calls. On the wasm
 * backend (both variants) the clone is made here as that `Identity` makes it, a new tensor on the
 * same data with the backend's reference count raised, with the same tape node tfjs's clone
 * records, but without the dispatch: the saved tensors hold the same data as before, so
 * gradients are the same numbers bit for bit. Other backends, and strings, keep tfjs's clone.
 *
 * @module
 */

import * as tf from "../tf.ts";

/** The parts of tfjs's engine the shared clone uses (private in its types, stable in 4.x). */
interface EngineInternals {
  backendName: string;
  backend: tf.KernelBackend;
  state: { activeScope: { name: string } };
  clone(x: tf.Tensor): tf.Tensor;
  makeTensorFromTensorInfo(info: tf.TensorInfo): tf.Tensor;
  addTapeNode(
    kernelName: string,
    inputs: tf.NamedTensorMap,
    outputs: tf.Tensor[],
    gradientsFunc: (dy: tf.Tensor) => Record<string, () => tf.Tensor>,
    saved: tf.Tensor[],
    attrs: tf.NamedAttrMap,
  ): void;
}

let stockClone: ((x: tf.Tensor) => tf.Tensor) | undefined;

/**
 * Makes the engine share saved tensors on the wasm backend from now on (idempotent; called by
 * `registerKernels`, which puts the sharing `Identity` in place); `false` puts tfjs's clone back
 * (tests compare the two).
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import * as tf from "../tf.ts";
 * import { selectBackend } from "./select.ts";
 * import { shareSavedTensors, savedTensorsShared } from "./saved_tensors.ts";
 * await selectBackend("wasm");
 * shareSavedTensors();
 * assertEquals(savedTensorsShared(), true);
 * const x = tf.variable(tf.tensor1d([1, 2, 3]));
 * const { grads } = tf.variableGrads(() => tf.sum(tf.square(x)), [x]);
 * assertEquals(Array.from(grads[x.name].dataSync()), [2, 4, 6]);
 * ```
 */
export function shareSavedTensors(on = true): void {
  const engine = tf.engine() as unknown as EngineInternals;
  if (!on) {
    if (stockClone !== undefined) engine.clone = stockClone;
    stockClone = undefined;
    return;
  }
  if (stockClone !== undefined) return;
  const stock = engine.clone;
  stockClone = stock;
  engine.clone = function (this: EngineInternals, x: tf.Tensor): tf.Tensor {
    if (this.backendName !== "wasm" || x.dtype === "string") return stock.call(this, x);
    const y = this.makeTensorFromTensorInfo({ dataId: x.dataId, shape: x.shape, dtype: x.dtype });
    this.backend.incRef(x.dataId);
    // tfjs's clone records this node so that a gradient can flow through a saved tensor
    // (higher-order gradients); kept as it is.
    this.addTapeNode(
      this.state.activeScope.name,
      { x },
      [y],
      (dy) => ({ x: () => tf.cast(dy, "float32") }),
      [],
      {},
    );
    return y;
  };
}

/** Whether {@link shareSavedTensors} is in place in this process. */
export function savedTensorsShared(): boolean {
  return stockClone !== undefined;
}
