/**
 * `EdeganAdamUpdate`, a wasm kernel for one Adam step of one weight tensor in a single pass.
 *
 * Adam written as tf ops (`lib/train/adam.ts`) makes 13 elementwise passes over each weight,
 * gradient and moment, each bound by memory: about 21 ms a step for the teacher's 3.9 M weights,
 * a quarter of a batch-1 training step once the convolutions are fast. This kernel reads p, g, m
 * and v once and writes p', m' and v' once, with the same float32 operations in the same order,
 * so its results equal the ops' exactly (the loop: `_simd_adam.ts`). Adam itself runs
 * `EdeganAdamUpdateFlat` (`adam_update_flat.ts`), the same loop over every weight in one call; this
 * one-tensor kernel is kept as the reference the flat one is tested against.
 *
 * @module
 */

import * as tf from "../../tf.ts";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import type { Info } from "./_ops.ts";
import { address, simdKernels } from "./_simd.ts";
import { ADAM_UPDATE, type AdamUpdateAttrs } from "../../ops/kernel_names.ts";

export { ADAM_UPDATE, type AdamUpdateAttrs };

/**
 * The bits of `value` rounded to float32, as an int32 (how the SIMD loops take their constants).
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { float32Bits } from "./adam_update.ts";
 * assertEquals(float32Bits(1), 0x3f800000);
 * ```
 */
export function float32Bits(value: number): number {
  const view = new DataView(new ArrayBuffer(4));
  view.setFloat32(0, value);
  return view.getInt32(0);
}

/**
 * The kernel function: [p', m', v'] from inputs `variable`, `grad`, `m`, `v` (float32, one
 * shape) with m' = β1·m + (1-β1)·g, v' = β2·v + (1-β2)·g², p' = p - m' / (√(v' / c2) + ε)·stepSize.
 *
 * @example
 * ```ts
 * import * as tf from "../../tf.ts";
 * import "@tensorflow/tfjs-backend-wasm";
 * import { registerKernels } from "../kernels.ts";
 * import { ADAM_UPDATE } from "./adam_update.ts";
 * await tf.setBackend("wasm");
 * registerKernels("wasm");
 * const [p, m, v] = tf.engine().runKernel(
 *   ADAM_UPDATE,
 *   { variable: tf.ones([5]), grad: tf.ones([5]), m: tf.zeros([5]), v: tf.zeros([5]) },
 *   { beta1: 0.5, beta2: 0.999, epsilon: 1e-8, correction2: 0.001, stepSize: 0.0004 },
 * ) as tf.Tensor[];
 * console.log(p.dataSync(), m.dataSync(), v.dataSync());
 * ```
 */
export function adamUpdate(
  args: { inputs: tf.NamedTensorInfoMap; backend: BackendWasm; attrs: AdamUpdateAttrs },
): Info[] {
  const { inputs, backend, attrs } = args;
  const { variable, grad, m, v } = inputs as { variable: Info; grad: Info; m: Info; v: Info };
  const simd = simdKernels(backend);
  if (simd === undefined) throw new Error(`${ADAM_UPDATE}: needs WebAssembly SIMD`);
  const size = tf.util.sizeFromShape(variable.shape);
  for (const info of [grad, m, v]) {
    if (tf.util.sizeFromShape(info.shape) !== size) {
      throw new Error(`${ADAM_UPDATE}: shapes differ (${variable.shape} and ${info.shape})`);
    }
  }
  for (const info of [variable, grad, m, v]) {
    if (info.dtype !== "float32") throw new Error(`${ADAM_UPDATE}: float32 only`);
  }
  const outputs = [variable, m, v].map((info) => backend.makeOutput(info.shape, "float32"));
  if (size > 0) {
    const { beta1, beta2, epsilon, correction2, stepSize } = attrs;
    simd.adam(
      address(backend, variable),
      address(backend, grad),
      address(backend, m),
      address(backend, v),
      ...outputs.map((out) => address(backend, out)) as [number, number, number],
      size,
      ...[beta1, 1 - beta1, beta2, 1 - beta2, correction2, epsilon, stepSize].map(float32Bits),
    );
  }
  return outputs;
}

/**
 * The kernel config registered on the wasm backend (`../kernels.ts`).
 *
 * @example
 * ```ts
 * import { adamUpdateConfig, ADAM_UPDATE } from "./adam_update.ts";
 * if (adamUpdateConfig.kernelName !== ADAM_UPDATE) throw new Error();
 * ```
 */
export const adamUpdateConfig: tf.KernelConfig = {
  kernelName: ADAM_UPDATE,
  backendName: "wasm",
  kernelFunc: adamUpdate as unknown as tf.KernelFunc,
};
