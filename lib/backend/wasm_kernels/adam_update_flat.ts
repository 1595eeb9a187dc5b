/**
 * `EdeganAdamUpdateFlat`: one Adam step of every weight of a network in one kernel call, the two
 * moments in two flat buffers updated in place. Per weight tensor it runs the same one-pass SIMD
 * loop as `EdeganAdamUpdate` (`_simd_adam.ts`), so each element's float32 arithmetic is the same;
 * what it saves is a kernel call, three output tensors and three assignments per weight tensor.
 *
 * @module
 */

import * as tf from "../../tf.ts";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import type { Info } from "./_ops.ts";
import { address, simdKernels } from "./_simd.ts";
import { ADAM_UPDATE_FLAT, type AdamUpdateAttrs } from "../../ops/kernel_names.ts";
import { float32Bits } from "./adam_update.ts";

/**
 * The kernel function: inputs `m`, `v` (float32 [total]) and `p0`, `g0`, `p1`, `g1`, ...; attrs
 * the step's constants and `offsets` (where each p_i's moments start). Returns p0', p1', ...;
 * m and v are written in place (the op `lib/ops/adam_update.ts` owns them).
 *
 * @example
 * ```ts
 * import * as tf from "../../tf.ts";
 * import "@tensorflow/tfjs-backend-wasm";
 * import { assertEquals } from "@std/assert";
 * import { registerKernels } from "../kernels.ts";
 * import { ADAM_UPDATE_FLAT } from "../../ops/kernel_names.ts";
 * await tf.setBackend("wasm");
 * registerKernels("wasm");
 * const m = tf.zeros([3]);
 * const [p] = tf.engine().runKernel(
 *   ADAM_UPDATE_FLAT,
 *   { m, v: tf.zeros([3]), p0: tf.ones([2]), g0: tf.ones([2]) },
 *   { beta1: 0.5, beta2: 0.5, epsilon: 0, correction2: 0.5, stepSize: 1, offsets: [1] },
 * ) as tf.Tensor[];
 * assertEquals([...p.dataSync(), ...m.dataSync()], [0.5, 0.5, 0, 0.5, 0.5]);
 * ```
 */
export function adamUpdateFlat(
  args: {
    inputs: tf.NamedTensorInfoMap;
    backend: BackendWasm;
    attrs: AdamUpdateAttrs & { offsets: number[] };
  },
): Info[] {
  const { inputs, backend, attrs } = args;
  const simd = simdKernels(backend);
  if (simd === undefined) throw new Error(`${ADAM_UPDATE_FLAT}: needs WebAssembly SIMD`);
  const { m, v } = inputs as { m: Info; v: Info };
  const { offsets, beta1, beta2, epsilon, correction2, stepSize } = attrs;
  const segments = offsets.map((offset, i) => ({
    offset,
    p: inputs[`p${i}`] as Info,
    g: inputs[`g${i}`] as Info,
  }));
  for (const info of [m, v, ...segments.flatMap(({ p, g }) => [p, g])]) {
    if (info === undefined || info.dtype !== "float32") {
      throw new Error(`${ADAM_UPDATE_FLAT}: expected float32 m, v and p_i, g_i for each offset`);
    }
  }
  const constants = [beta1, 1 - beta1, beta2, 1 - beta2, correction2, epsilon, stepSize].map(
    float32Bits,
  );
  const outputs = segments.map(({ p }) => backend.makeOutput(p.shape, "float32"));
  // Addresses after every allocation: makeOutput may grow (move) the heap.
  const mBase = address(backend, m);
  const vBase = address(backend, v);
  segments.forEach(({ offset, p, g }, i) => {
    const size = tf.util.sizeFromShape(p.shape);
    if (size === 0) return;
    const mAt = mBase + 4 * offset;
    const vAt = vBase + 4 * offset;
    simd.adam(
      address(backend, p),
      address(backend, g),
      mAt,
      vAt,
      address(backend, outputs[i]),
      mAt,
      vAt,
      size,
      ...constants,
    );
  });
  return outputs;
}

/**
 * The kernel config registered on the wasm backend (`../kernels.ts`).
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { adamUpdateFlatConfig } from "./adam_update_flat.ts";
 * assertEquals(adamUpdateFlatConfig.kernelName, "EdeganAdamUpdateFlat");
 * ```
 */
export const adamUpdateFlatConfig: tf.KernelConfig = {
  kernelName: ADAM_UPDATE_FLAT,
  backendName: "wasm",
  kernelFunc: adamUpdateFlat as unknown as tf.KernelFunc,
};
