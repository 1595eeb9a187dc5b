/**
 * EDE-GAN's BatchNorm modes as the engine reaches them: the {@link BatchNormScoring} capability
 * on its registry entry, so that `deno task score --bn-stats` (`lib/score/scoring_run.ts`) uses
 * this folder's study (`batch_norm_stats.ts`, `choose_batch_norm_stats.ts`,
 * `final_batch_norm.ts`) without importing it.
 *
 * @module
 */

import type { BatchNormScoring } from "../batch_norm_scoring.ts";
import { asEdeGan } from "./as_ede_gan.ts";
import { storedRecomputedStats } from "./batch_norm_stats.ts";
import { chooseBatchNormStats } from "./choose_batch_norm_stats.ts";
import { runBatchNormStats } from "./final_batch_norm.ts";

/**
 * EDE-GAN's BatchNorm scoring: the run's own mode by {@link runBatchNormStats}, recomputed
 * statistics stored beside the run by {@link storedRecomputedStats}, the choice on validation by
 * {@link chooseBatchNormStats}; a model that is not an EDE-GAN is an error naming `--bn-stats`.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { EDE_GAN_BATCH_NORM_SCORING } from "./batch_norm_scoring.ts";
 * assertEquals(EDE_GAN_BATCH_NORM_SCORING.runMode({ training: { batchSize: 1 } }), "auto");
 * assertEquals(EDE_GAN_BATCH_NORM_SCORING.runMode({ scoring: { bnStats: "per-image" } }), "per-image");
 * ```
 */
export const EDE_GAN_BATCH_NORM_SCORING: BatchNormScoring = {
  runMode: runBatchNormStats,
  storedRecomputed: async (modelDir, model, train, batchSize, opts) =>
    await storedRecomputedStats(modelDir, asEdeGan(model, "--bn-stats"), train, batchSize, opts),
  choose: async (model, val, opts) =>
    await chooseBatchNormStats(asEdeGan(model, "--bn-stats auto"), val, opts),
};
