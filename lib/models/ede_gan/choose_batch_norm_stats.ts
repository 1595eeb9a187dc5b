/**
 * Choosing how BatchNorm normalises at scoring from the validation split, never the test set.
 * Typed on EDE-GAN: the choice weighs its three score kinds by its generator's loss weights.
 *
 * @module
 */

import type { EdeGan } from "./network.ts";
import type { ImageSet } from "../../data/types.ts";
import { scoreImages } from "../../score/score.ts";
import {
  BATCH_NORM_STATS_MODES,
  type BatchNormChoice,
  type BatchNormStatistics,
  type BatchNormStatsMode,
} from "../batch_norm_scoring.ts";

/**
 * What {@link chooseBatchNormStats} decided (its criterion: the generator's objective on the
 * validation normals, per mode tried), the model-agnostic shape of `../batch_norm_scoring.ts`.
 */
export type { BatchNormChoice };

/** The rule of {@link chooseBatchNormStats}, as manifests record it. */
export const BATCH_NORM_CRITERION =
  "lowest generator objective (w_adv * features + w_con * reconstruction + w_lat * latent, " +
  "the training loss without its adversarial label term) on the validation normals; ties " +
  "(within 1e-9 relative) keep the earlier of moving, recomputed, per-image";

/**
 * Chooses the BatchNorm mode to score with from the validation split. In the one-class protocol
 * the validation split holds only normal images (a seeded 10% of the normal training images),
 * so no mode can be chosen by a validation AUC without touching the test set. The criterion is
 * instead what training minimised: the generator's objective on those held-out normals,
 * w_adv ||f(x) - f(x_hat)||^2 + w_con |x - x_hat| + w_lat ||z - z_hat||^2 (the model's loss
 * weights, each term a mean per image as in training; the latent term is the model's
 * `scoreDistance`, the mean squared distance of the loss by default). The mode under which the model
 * reconstructs unseen normals as it learned to is the mode that computes the function it was
 * trained as; a batch-1 model typically prefers `per-image`. `recomputed` is tried only when its
 * statistics are given. Ties keep the earlier of `moving`, `recomputed`, `per-image`.
 *
 * @example
 * ```ts
 * import * as tf from "../../tf.ts";
 * import { EdeGan } from "./mod.ts";
 * import { chooseBatchNormStats } from "./choose_batch_norm_stats.ts";
 * await tf.setBackend("cpu");
 * const model = EdeGan.create({ width: 2, latentSize: 4 }, 1);
 * const val = { pixels: Uint8Array.from({ length: 3 * 32 * 32 }, (_, i) => i % 253),
 *   labels: new Int32Array(3), count: 3, height: 32, width: 32, channels: 1 };
 * const choice = await chooseBatchNormStats(model, val);
 * if (!["moving", "per-image"].includes(choice.mode)) throw new Error(choice.mode);
 * model.dispose();
 * ```
 */
export async function chooseBatchNormStats(
  model: EdeGan,
  val: ImageSet,
  opts: { recomputedStats?: BatchNormStatistics; batchSize?: number } = {},
): Promise<BatchNormChoice> {
  if (val.count === 0) {
    throw new Error("chooseBatchNormStats: the validation split is empty, nothing to choose on");
  }
  const { adversarial, contextual, latent } = model.config.weights;
  const validationObjective: Partial<Record<BatchNormStatsMode, number>> = {};
  let best: BatchNormStatsMode = "moving";
  for (const mode of BATCH_NORM_STATS_MODES) {
    if (mode === "recomputed" && !opts.recomputedStats) continue;
    const { byKind } = await scoreImages(model, val, {
      bnStats: mode,
      recomputedStats: opts.recomputedStats,
      kinds: ["latent", "reconstruction", "features"],
      batchSize: opts.batchSize,
    });
    let sum = 0;
    for (let i = 0; i < val.count; i++) {
      sum += adversarial * byKind.features![i] + contextual * byKind.reconstruction![i] +
        latent * byKind.latent![i];
    }
    validationObjective[mode] = sum / val.count;
    const current = validationObjective[best]!;
    if (validationObjective[mode]! < current - 1e-9 * Math.abs(current)) best = mode;
  }
  return { mode: best, validationObjective, criterion: BATCH_NORM_CRITERION };
}
