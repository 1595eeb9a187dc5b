/**
 * A distillable model's outputs (z, x_hat, z_hat) with every intermediate freed: the one pass
 * distillation keeps of a model, for the joint structure's student and for the frozen teacher.
 *
 * @module
 */

import * as tf from "../tf.ts";
import type { DistillableModel, DistilledOutputs } from "../models/mod.ts";

/**
 * The generator's outputs on `images` [n, size, size, channels] in `mode`, every intermediate
 * freed; the caller disposes the three.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import * as tf from "../tf.ts";
 * import { EdeGan } from "../models/ede_gan/mod.ts";
 * import { keptOutputs } from "./_kept_outputs.ts";
 * const model = EdeGan.create({ imageSize: 16, width: 2, latentSize: 4 }, 0);
 * const images = tf.zeros([2, 16, 16, 1]) as tf.Tensor4D;
 * const before = tf.memory().numTensors;
 * const out = keptOutputs(model, images, "infer");
 * assertEquals([out.z.shape, tf.memory().numTensors - before], [[2, 4], 3]);
 * tf.dispose([images, out.z, out.xHat, out.zHat]);
 * model.dispose();
 * ```
 */
export function keptOutputs(
  model: DistillableModel,
  images: tf.Tensor4D,
  mode: "train" | "infer",
): DistilledOutputs {
  const [z, xHat, zHat] = tf.tidy(() => {
    const out = model.distilledOutputs(images, mode);
    return [out.z, out.xHat, out.zHat];
  });
  return { z: z as tf.Tensor2D, xHat: xHat as tf.Tensor4D, zHat: zHat as tf.Tensor2D };
}
