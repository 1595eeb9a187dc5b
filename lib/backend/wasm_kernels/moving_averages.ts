/**
 * `EdeganMovingAverages`: BatchNorm's running averages of every layer of a step in one kernel call
 * on the wasm heap (the op: `lib/ops/moving_averages.ts`). A few thousand channels in all: a plain
 * loop, each multiply and add rounded to float32 (`Math.fround`: a product or sum of two float32
 * values rounded once from double is the float32 operation's result), as the `Multiply` and `Add`
 * kernels it replaces compute them.
 *
 * @module
 */

import type * as tf from "../../tf.ts";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import type { Info } from "./_ops.ts";
import { MOVING_AVERAGES, type MovingAveragesAttrs } from "../../ops/kernel_names.ts";

const f32 = Math.fround;

/**
 * The kernel function: [movingMean'0, movingVariance'0, movingMean'1, ...] (see
 * {@link MOVING_AVERAGES}).
 *
 * @example
 * ```ts
 * import * as tf from "../../tf.ts";
 * import "@tensorflow/tfjs-backend-wasm";
 * import { assertEquals } from "@std/assert";
 * import { registerKernels } from "../kernels.ts";
 * import { MOVING_AVERAGES } from "../../ops/kernel_names.ts";
 * await tf.setBackend("wasm");
 * registerKernels("wasm");
 * const [m, v] = tf.engine().runKernel(
 *   MOVING_AVERAGES,
 *   { movingMean0: tf.zeros([1]), movingVariance0: tf.ones([1]), mean0: tf.ones([1]), variance0: tf.ones([1]) },
 *   { momentum: 0.5, layers: [0], counts: [2] },
 * ) as tf.Tensor[];
 * assertEquals([m.dataSync()[0], v.dataSync()[0]], [0.5, 1.5]);
 * ```
 */
export function movingAverages(
  args: { inputs: tf.NamedTensorInfoMap; backend: BackendWasm; attrs: MovingAveragesAttrs },
): Info[] {
  const { inputs, backend, attrs } = args;
  const { momentum, layers, counts } = attrs;
  const keep = f32(1 - momentum);
  const take = f32(momentum);
  const layerCount = layers.reduce((a, k) => Math.max(a, k + 1), 0);
  const outputs: Info[] = [];
  for (let k = 0; k < layerCount; k++) {
    for (const name of [`movingMean${k}`, `movingVariance${k}`]) {
      const info = inputs[name] as Info | undefined;
      if (info === undefined || info.dtype !== "float32") {
        throw new Error(`${MOVING_AVERAGES}: expected float32 input '${name}'`);
      }
      outputs.push(backend.makeOutput(info.shape, "float32"));
    }
  }
  // Views after every allocation: makeOutput may grow (move) the heap.
  const view = (info: Info) => backend.typedArrayFromHeap(info) as Float32Array;
  for (let k = 0; k < layerCount; k++) {
    view(outputs[2 * k]).set(view(inputs[`movingMean${k}`] as Info));
    view(outputs[2 * k + 1]).set(view(inputs[`movingVariance${k}`] as Info));
  }
  layers.forEach((k, i) => {
    const m = view(outputs[2 * k]);
    const s = view(outputs[2 * k + 1]);
    const mean = view(inputs[`mean${i}`] as Info);
    const variance = view(inputs[`variance${i}`] as Info);
    if (mean.length !== m.length || variance.length !== s.length) {
      throw new Error(
        `${MOVING_AVERAGES}: statistic ${i} has ${mean.length} channels, not ${m.length}`,
      );
    }
    const n = counts[i];
    const scale = f32(n / (n - 1));
    for (let c = 0; c < m.length; c++) {
      const unbiased = n > 1 ? f32(variance[c] * scale) : variance[c];
      m[c] = f32(f32(m[c] * keep) + f32(mean[c] * take));
      s[c] = f32(f32(s[c] * keep) + f32(unbiased * take));
    }
  });
  return outputs;
}

/**
 * The kernel config registered on the wasm backend (`../kernels.ts`).
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { movingAveragesConfig } from "./moving_averages.ts";
 * assertEquals(movingAveragesConfig.kernelName, "EdeganMovingAverages");
 * ```
 */
export const movingAveragesConfig: tf.KernelConfig = {
  kernelName: MOVING_AVERAGES,
  backendName: "wasm",
  kernelFunc: movingAverages as unknown as tf.KernelFunc,
};
