/**
 * `EdeganAdamUpdateFlat` on the onednn backend: the wasm kernel's update (same inputs, attributes,
 * outputs and bits), run by the native library of `native_adam.ts` on oneDNN's threads, in place
 * on the wasm heap. Where that library cannot be built it is the wasm kernel itself.
 *
 * @module
 */

import type * as tf from "../../tf.ts";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import type { AdamUpdateAttrs } from "../../ops/kernel_names.ts";
import { nativeAdam, nativeAdamSwitch } from "./native_adam.ts";
import { chosenThreads } from "./threads.ts";
import { heapBase } from "./kernels.ts";
import { address } from "../wasm_kernels/_simd.ts";

type Info = tf.TensorInfo;

/**
 * The onednn kernel function of `EdeganAdamUpdateFlat`, with `fallback` (the wasm kernel) for
 * when the native library is not there or an input is not float32.
 *
 * @example
 * ```ts
 * import * as tf from "../../tf.ts";
 * import { assertEquals } from "@std/assert";
 * import { selectBackend } from "../select.ts";
 * import { ADAM_UPDATE_FLAT } from "../../ops/kernel_names.ts";
 * await selectBackend("onednn");
 * const m = tf.zeros([3]);
 * const [p] = tf.engine().runKernel(
 *   ADAM_UPDATE_FLAT,
 *   { m, v: tf.zeros([3]), p0: tf.ones([2]), g0: tf.ones([2]) },
 *   { beta1: 0.5, beta2: 0.5, epsilon: 0, correction2: 0.5, stepSize: 1, offsets: [1] },
 * ) as tf.Tensor[];
 * assertEquals([...p.dataSync(), ...m.dataSync()], [0.5, 0.5, 0, 0.5, 0.5]);
 * ```
 */
export function onednnAdamUpdateFlat(fallback: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const adam = nativeAdamSwitch.enabled ? nativeAdam() : undefined;
    const { inputs, attrs } = args;
    const backend = args.backend as BackendWasm;
    const { offsets, beta1, beta2, epsilon, correction2, stepSize } = attrs as unknown as
      & AdamUpdateAttrs
      & { offsets: number[] };
    const { m, v } = inputs as { m: Info; v: Info };
    const segments = offsets.map((offset, i) => ({
      offset,
      p: inputs[`p${i}`] as Info,
      g: inputs[`g${i}`] as Info,
    }));
    const infos = [m, v, ...segments.flatMap(({ p, g }) => [p, g])];
    if (adam === undefined || infos.some((x) => x === undefined || x.dtype !== "float32")) {
      return fallback(args);
    }
    const outputs = segments.map(({ p }) => backend.makeOutput(p.shape, "float32"));
    // Offsets after every allocation: makeOutput may grow (move) the heap.
    const at = (x: Info) => address(backend, x);
    const [mAt, vAt] = [at(m), at(v)];
    const table = new Uint32Array(6 * segments.length);
    segments.forEach(({ offset, p, g }, i) => {
      const size = p.shape.reduce((a, b) => a * b, 1);
      table.set([at(p), at(g), at(outputs[i]), mAt + 4 * offset, vAt + 4 * offset, size], 6 * i);
    });
    const constants = Float32Array.of(
      beta1,
      1 - beta1,
      beta2,
      1 - beta2,
      correction2,
      epsilon,
      stepSize,
    );
    adam.adamFlat(heapBase(backend), table, segments.length, constants, chosenThreads());
    return outputs;
  };
}
