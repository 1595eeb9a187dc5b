/**
 * EDE-GAN's anomaly scores. The paper's score is the distance between z = E1(x) and
 * z_hat = E2(Dec(z)); two other kinds, from the same forward pass, are what the paper compares it
 * with: the image reconstruction error and the discriminator-feature distance.
 *
 * @module
 */

import * as tf from "../../tf.ts";
import type { EdeGanForward } from "./forward.ts";
import { latentDistance } from "./losses.ts";
import type { ScoreBatch, ScoreRequest } from "../anomaly_model.ts";

/**
 * What an anomaly score measures, each per image and higher = more anomalous:
 * - `latent`: the distance between z and z_hat (the model's `scoreDistance`, mean squared by
 *   default): EDE-GAN's and GANomaly's score;
 * - `reconstruction`: the mean absolute pixel error |x - x_hat| (L1, in [-1, 1] pixel units), the
 *   contextual loss of GANomaly and the R(x) of Skip-GANomaly;
 * - `features`: the mean squared difference of the discriminator's last feature maps of x and
 *   x_hat, the feature-matching loss of GANomaly and the L(x) of Skip-GANomaly.
 */
export type ScoreKind = "latent" | "reconstruction" | "features";

/** Every score kind, the default first. */
export const SCORE_KINDS: readonly ScoreKind[] = ["latent", "reconstruction", "features"];

/**
 * The scores of a batch of images in [-1, 1] [n, size, size, channels]: one [n] tensor per kind
 * asked, and z, z_hat [n, latent] and x_hat when asked. BatchNorm normalises by its moving
 * averages, or by each image's own statistics (`batchNorm: "per-image"`). Call inside `tf.tidy`.
 *
 * @example
 * ```ts
 * import * as tf from "../../tf.ts";
 * import { EdeGan } from "./network.ts";
 * import { scoreEdeGan } from "./score.ts";
 * await tf.setBackend("cpu");
 * const model = EdeGan.create({ width: 2, latentSize: 4 }, 1);
 * const { scores, latents } = scoreEdeGan(model, tf.zeros([3, 32, 32, 1]),
 *   { kinds: ["latent"], latents: true });
 * if (scores.latent.shape[0] !== 3 || latents!.z.shape[1] !== 4) throw new Error();
 * model.dispose();
 * ```
 */
export function scoreEdeGan(
  model: EdeGanForward,
  images: tf.Tensor4D,
  request: ScoreRequest,
): ScoreBatch {
  const mode = request.batchNorm === "per-image" ? "perImage" : "score";
  const out = model.generate(images, mode);
  const scores: Record<string, tf.Tensor1D> = {};
  for (const kind of request.kinds) {
    switch (kind as ScoreKind) {
      case "latent":
        scores.latent = latentDistance(out.z, out.zHat, model.config.scoreDistance);
        break;
      case "reconstruction":
        scores.reconstruction = tf.mean(tf.abs(tf.sub(images, out.xHat)), [1, 2, 3]) as tf.Tensor1D;
        break;
      case "features": {
        const real = model.discriminate(images, mode).features;
        const fake = model.discriminate(out.xHat, mode).features;
        scores.features = tf.mean(tf.squaredDifference(real, fake), [1, 2, 3]) as tf.Tensor1D;
        break;
      }
      default:
        throw new Error(`scoreKind: expected ${SCORE_KINDS.join(", ")}, got '${kind}'`);
    }
  }
  return {
    scores,
    ...(request.latents ? { latents: { z: out.z, zHat: out.zHat } } : {}),
    ...(request.reconstructions ? { reconstructions: out.xHat } : {}),
  };
}
