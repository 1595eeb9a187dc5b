/**
 * The losses of EDE-GAN and its anomaly score.
 *
 * @module
 */

import * as tf from "../../tf.ts";
import type { ScoreDistance } from "./config.ts";
import { realFakeCrossEntropy } from "../../ops/real_fake_cross_entropy.ts";
import {
  generatorLoss as fusedGeneratorLoss,
  type GeneratorLossInputs,
  type GeneratorLossTerms,
} from "../../ops/generator_loss.ts";

export type { GeneratorLossTerms } from "../../ops/generator_loss.ts";

/**
 * The generator's loss: w_adv ||f(x) - f(x_hat)||^2 + w_con ||x - x_hat||_1 + w_lat ||z - z_hat||^2,
 * each norm a mean over elements (as GANomaly), f the discriminator's last feature map: the op
 * `generatorLoss` of `lib/ops` (one kernel call each way on wasm and onednn, tfjs's ops
 * elsewhere); the terms are for reading, the total carries the gradient.
 *
 * @example
 * ```ts
 * import * as tf from "../../tf.ts";
 *
 * import { generatorLoss } from "./losses.ts";
 * await tf.setBackend("cpu");
 * const x = tf.zeros([1, 4, 4, 1]) as tf.Tensor4D;
 * const z = tf.zeros([1, 2]) as tf.Tensor2D;
 * const terms = generatorLoss({ x, xHat: x, z, zHat: z, featuresReal: x, featuresFake: x },
 *   { adversarial: 1, contextual: 50, latent: 1 });
 * if (terms.total.dataSync()[0] !== 0) throw new Error();
 * ```
 */
export function generatorLoss(
  t: GeneratorLossInputs,
  weights: { adversarial: number; contextual: number; latent: number },
): GeneratorLossTerms {
  return fusedGeneratorLoss(t, weights);
}

/**
 * The discriminator's loss: binary cross-entropy with real images labelled 1 and generated ones 0,
 * computed from logits for numerical stability (mean of the two halves, as GANomaly).
 *
 * @example
 * ```ts
 * import * as tf from "../../tf.ts";
 *
 * import { discriminatorLoss } from "./losses.ts";
 * await tf.setBackend("cpu");
 * const loss = discriminatorLoss(tf.tensor1d([0]), tf.tensor1d([0])).dataSync()[0];
 * if (Math.abs(loss - Math.log(2)) > 1e-6) throw new Error();
 * ```
 */
export function discriminatorLoss(realLogits: tf.Tensor1D, fakeLogits: tf.Tensor1D): tf.Scalar {
  // One kernel call each way on wasm and onednn, tfjs's sigmoidCrossEntropy elsewhere.
  return realFakeCrossEntropy(realLogits, fakeLogits);
}

/**
 * The anomaly score of each image: the distance between z and z_hat, per row. `mse` is the mean
 * squared difference (default), `l1` the mean absolute difference, `l2` the Euclidean distance.
 *
 * @example
 * ```ts
 * import * as tf from "../../tf.ts";
 *
 * import { latentDistance } from "./losses.ts";
 * await tf.setBackend("cpu");
 * const d = latentDistance(tf.tensor2d([[0, 0]]), tf.tensor2d([[3, 4]]), "l2").dataSync()[0];
 * if (d !== 5) throw new Error();
 * ```
 */
export function latentDistance(
  z: tf.Tensor2D,
  zHat: tf.Tensor2D,
  distance: ScoreDistance = "mse",
): tf.Tensor1D {
  return tf.tidy(() => {
    switch (distance) {
      case "mse":
        return tf.mean(tf.squaredDifference(z, zHat), 1) as tf.Tensor1D;
      case "l1":
        return tf.mean(tf.abs(tf.sub(z, zHat)), 1) as tf.Tensor1D;
      case "l2":
        return tf.sqrt(tf.sum(tf.squaredDifference(z, zHat), 1)) as tf.Tensor1D;
    }
  });
}
