/**
 * Scoring under other BatchNorm statistics, model-agnostic: which statistics a model with
 * BatchNorm layers normalises by when it scores (`moving`, `recomputed`, `per-image`), the
 * statistics re-estimated over images, and the capability a model offers the engine for
 * `deno task score --bn-stats` ({@link BatchNormScoring}, on its registry entry). A net trained at
 * batch 1 normalised every image by its own statistics, so scoring it with moving averages
 * computes another function. How the statistics are recomputed and a mode chosen needs the
 * model's insides, so each model that offers the modes implements them in its folder (EDE-GAN's
 * in `lib/models/ede_gan/`); the engine (`lib/score/`) reaches them through the registry only.
 *
 * @module
 */

import type { AnomalyModel, NamedTensors } from "./anomaly_model.ts";
import type { ImageSet } from "../data/types.ts";

/** How BatchNorm normalises at scoring (see the module documentation). */
export type BatchNormStatsMode = "moving" | "recomputed" | "per-image";

/** Every mode, the default (`moving`, the model as trained and calibrated) first. */
export const BATCH_NORM_STATS_MODES: readonly BatchNormStatsMode[] = [
  "moving",
  "recomputed",
  "per-image",
];

/** BatchNorm statistics re-estimated over a set of images, per layer `part/layer`. */
export interface BatchNormStatistics {
  /** Images per training-mode forward pass they were estimated with. */
  batchSize: number;
  /** Images they were estimated over. */
  images: number;
  /** Per layer: mean and (unbiased) variance per channel, as the moving averages store them. */
  layers: Record<string, { mean: number[]; variance: number[] }>;
}

/** What a choice of BatchNorm mode on the validation split decided, and on what. */
export interface BatchNormChoice {
  /** The chosen mode. */
  mode: BatchNormStatsMode;
  /** The criterion's value on the validation normals, per mode tried (lower is better). */
  validationObjective: Partial<Record<BatchNormStatsMode, number>>;
  /** The rule, in words, for manifests. */
  criterion: string;
}

/**
 * What a model offers `deno task score` beyond its moving statistics, on its registry entry
 * (`ModelEntry.batchNormScoring`): a model without it is scored with `--bn-stats moving` only.
 * Each member takes the model as {@link AnomalyModel}; an implementation narrows it to its own
 * class, with an error naming `--bn-stats` when handed another.
 */
export interface BatchNormScoring {
  /**
   * The mode a run is scored with when `--bn-stats` is not given (`run`): the one its own metrics
   * used (`run.json`'s `scoring.bnStats`), else the model's training default at the run's batch
   * size; `auto` means chosen on the validation normals.
   */
  runMode(
    run: { scoring?: { bnStats?: unknown } | null; training?: { batchSize?: unknown } },
  ): BatchNormStatsMode | "auto";
  /**
   * The statistics recomputed over `train` at `batchSize` for the weights saved in `modelDir`
   * (`weights: "live"`: a `--ema` run's live weights): read from the run when stored for these
   * weights, else computed and stored. Returns them with the file's path and whether they were
   * computed now.
   */
  storedRecomputed(
    modelDir: string,
    model: AnomalyModel,
    train: ImageSet,
    batchSize: number,
    opts?: { weights?: "averaged" | "live" },
  ): Promise<{ stats: BatchNormStatistics; path: string; computed: boolean }>;
  /**
   * Chooses the mode to score with on the validation normals `val` (never the test set);
   * `recomputed` is tried only when its statistics are given.
   */
  choose(
    model: AnomalyModel,
    val: ImageSet,
    opts?: { recomputedStats?: BatchNormStatistics; batchSize?: number },
  ): Promise<BatchNormChoice>;
}

/**
 * A copy of `model` whose BatchNorm moving averages are `stats` (the caller disposes it): any
 * model whose BatchNorm tensors are keyed `layer/movingMean` and `layer/movingVariance`. An error
 * names the layer when `stats` do not fit the model (a layer missing, or another number of
 * channels).
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import * as tf from "../tf.ts";
 * import { createModel } from "./registry.ts";
 * import { withBatchNormStats } from "./batch_norm_scoring.ts";
 * await tf.setBackend("cpu");
 * const model = createModel("ede-gan", { width: 2, latentSize: 4 }, { imageSize: 32, channels: 1 }, 1);
 * const layers: Record<string, { mean: number[]; variance: number[] }> = {};
 * for (const [key, v] of model.variables) {
 *   if (key.endsWith("/movingMean")) {
 *     layers[key.slice(0, -11)] = { mean: Array(v.size).fill(3), variance: Array(v.size).fill(2) };
 *   }
 * }
 * const copy = await withBatchNormStats(model, { batchSize: 1, images: 1, layers });
 * assertEquals(copy.variables.get("encoder1/conv1/movingMean")!.dataSync()[0], 3);
 * copy.dispose();
 * model.dispose();
 * ```
 */
export async function withBatchNormStats<M extends AnomalyModel>(
  model: M,
  stats: BatchNormStatistics,
): Promise<M> {
  const tensors: NamedTensors = new Map();
  for (const [key, v] of model.variables) {
    const moving = key.match(/^(.*)\/moving(Mean|Variance)$/);
    let data: Float32Array;
    if (moving) {
      const layer = stats.layers[moving[1]];
      const values = layer?.[moving[2] === "Mean" ? "mean" : "variance"];
      if (!values || values.length !== v.size) {
        throw new Error(
          `recomputed BatchNorm statistics: layer '${moving[1]}' ` +
            (values
              ? `has ${values.length} channels, the model ${v.size}`
              : "is missing; were they computed for this model?"),
        );
      }
      data = Float32Array.from(values);
    } else {
      data = (await v.data()) as Float32Array;
    }
    tensors.set(key, { shape: v.shape, data });
  }
  return model.withValues(tensors);
}
