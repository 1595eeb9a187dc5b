/**
 * How a freshly trained EDE-GAN scores at the end of its run: with the BatchNorm moving averages,
 * or with statistics chosen on the validation normals (`--bn-stats auto`, see
 * {@link chooseBatchNormStats}), or a mode asked for by name. A net trained on single images
 * (batch size 1) normalised each image by its own statistics, so the moving averages score a
 * different function from the one it learned (results/README.md, "BatchNorm at batch 1").
 *
 * @module
 */

import { asEdeGan } from "./as_ede_gan.ts";
import { EdeGan } from "./network.ts";
import type { AnomalyModel } from "../anomaly_model.ts";
import type { OneClassSplit } from "../../data/types.ts";
import { rocAuc } from "../../metrics/mod.ts";
import { scoreImages } from "../../score/score.ts";
import { calibrate, type Calibration } from "../../score/calibrate.ts";
import {
  BATCH_NORM_STATS_MODES,
  type BatchNormStatistics,
  type BatchNormStatsMode,
  recomputeBatchNormStats,
} from "./batch_norm_stats.ts";
import { type BatchNormChoice, chooseBatchNormStats } from "./choose_batch_norm_stats.ts";

/** What a training run's `bnStats` option accepts: a mode, or `auto` (chosen on validation). */
export type FinalBatchNormOption = BatchNormStatsMode | "auto";

/**
 * The default of `deno task train --bn-stats`: `auto` at batch size 1 (the net normalised each
 * image by itself in training), `moving` at any larger batch (the moving averages estimate the
 * batch statistics it trained with, PyTorch's and the papers' convention).
 *
 * @example
 * ```ts
 * import { defaultFinalBatchNorm } from "./final_batch_norm.ts";
 * if (defaultFinalBatchNorm(1) !== "auto" || defaultFinalBatchNorm(64) !== "moving") throw new Error();
 * ```
 */
export function defaultFinalBatchNorm(batchSize: number): FinalBatchNormOption {
  return batchSize === 1 ? "auto" : "moving";
}

/**
 * The BatchNorm mode `deno task score` uses for a run when `--bn-stats` is not given: the mode the
 * run's own metrics used (`run.json`'s `scoring.bnStats`), so that scoring a run reproduces its
 * reported test AUC; for a manifest without it (older runs), the training rule
 * {@link defaultFinalBatchNorm} at the run's batch size (`training.batchSize`, 64 when absent).
 * One rule for both tasks: the statistics a run is trained and reported with are the ones it is
 * scored with.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { runBatchNormStats } from "./final_batch_norm.ts";
 * assertEquals(runBatchNormStats({ scoring: { bnStats: "per-image" }, training: { batchSize: 1 } }), "per-image");
 * assertEquals(runBatchNormStats({ training: { batchSize: 16 } }), "moving");
 * assertEquals(runBatchNormStats({ training: { batchSize: 1 } }), "auto");
 * ```
 */
export function runBatchNormStats(
  run: { scoring?: { bnStats?: unknown } | null; training?: { batchSize?: unknown } },
): FinalBatchNormOption {
  const recorded = run.scoring?.bnStats;
  if ((BATCH_NORM_STATS_MODES as readonly unknown[]).includes(recorded)) {
    return recorded as BatchNormStatsMode;
  }
  const batchSize = run.training?.batchSize;
  return defaultFinalBatchNorm(typeof batchSize === "number" ? batchSize : 64);
}

/**
 * The mode a run's statistics are compared with when reported: `per-image` beside `moving`,
 * `moving` beside any other (the two that differ most at small batch sizes).
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { otherBatchNormStats } from "./final_batch_norm.ts";
 * assertEquals([otherBatchNormStats("moving"), otherBatchNormStats("per-image")], ["per-image", "moving"]);
 * ```
 */
export function otherBatchNormStats(mode: BatchNormStatsMode): BatchNormStatsMode {
  return mode === "moving" ? "per-image" : "moving";
}

/**
 * Checks a `--bn-stats` value for training, before any data is loaded.
 *
 * @throws Error naming `--bn-stats`, the value and the accepted ones (`all` is a comparison,
 *   for `deno task study score`, not a way to score).
 */
export function checkFinalBatchNorm(value: string): FinalBatchNormOption {
  if (value === "auto" || (BATCH_NORM_STATS_MODES as readonly string[]).includes(value)) {
    return value as FinalBatchNormOption;
  }
  throw new Error(
    `--bn-stats: '${value}' is not one of auto, moving, recomputed, per-image for training` +
      (value === "all" ? " (all compares the modes: `deno task study score --model OUT`)" : ""),
  );
}

/** How the run was finally scored. */
export interface FinalBatchNormScoring {
  /** The BatchNorm mode the run's metrics, threshold and `scores.csv` use. */
  bnStats: BatchNormStatsMode;
  /** What was asked (`auto` or a mode). */
  asked: FinalBatchNormOption;
  /** The validation choice, with `auto`. */
  choice?: BatchNormChoice;
  /** The test ROC AUC with the moving averages, for comparison (the per-epoch curve's kind). */
  movingAuc: number;
  /**
   * The test ROC AUC under the other mode ({@link otherBatchNormStats}: `per-image` beside
   * `moving`, else `moving`), reported beside the run's own; absent for a model that is not an
   * EDE-GAN scored with `moving` (it has no other mode).
   */
  other?: { bnStats: BatchNormStatsMode; auc: number };
  /** The threshold on the validation normals at the run's false-positive rate, in this mode. */
  calibration: Calibration;
  /** The test scores (latent distance) in this mode, one per test image. */
  testScores: Float32Array;
  /** The validation scores `calibration` was set on, when `movingValScores` was given. */
  valScores?: Float32Array;
}

/**
 * Scores a trained EDE-GAN's test set under the BatchNorm mode `asked` (`auto`: chosen on the
 * validation normals, never the test set), calibrating the threshold on the validation normals in
 * that mode. `moving` returns the given moving-average scores and calibration untouched, for any
 * model; every other mode needs an EDE-GAN (an error names `--bn-stats` otherwise).
 * `recomputed` statistics are computed over `data.train` at `batchSize` (the training batch size).
 *
 * Shapes: `testScores` has `data.test.count` entries; `movingTestScores` likewise. Given
 * `movingValScores` (`data.val.count` entries, the moving calibration's), the result's
 * `valScores` holds the validation scores in the mode used.
 *
 * @example
 * ```ts
 * import * as tf from "../../tf.ts";
 * import { EdeGan } from "./mod.ts";
 * import { loadOneClass } from "../../data/protocol.ts";
 * import { scoreImages } from "../../score/score.ts";
 * import { calibrate } from "../../score/calibrate.ts";
 * import { finalBatchNormScoring } from "./final_batch_norm.ts";
 * await tf.setBackend("cpu");
 * const data = await loadOneClass({ dataset: "mnist", normal: 1, limit: 40, testLimit: 40 });
 * const model = EdeGan.create({ width: 2, latentSize: 4 }, 1);
 * const moving = (await scoreImages(model, data.test)).scores;
 * const cal = calibrate((await scoreImages(model, data.val)).scores, 0.05);
 * const s = await finalBatchNormScoring(model, data, "per-image",
 *   { movingTestScores: moving, movingCalibration: cal, batchSize: 1, fpr: 0.05 });
 * if (s.bnStats !== "per-image" || s.testScores.length !== data.test.count) throw new Error();
 * model.dispose();
 * ```
 */
export async function finalBatchNormScoring(
  anyModel: AnomalyModel,
  data: OneClassSplit,
  asked: FinalBatchNormOption,
  opts: {
    movingTestScores: Float32Array;
    movingCalibration: Calibration;
    movingValScores?: Float32Array;
    batchSize: number;
    fpr: number;
  },
): Promise<FinalBatchNormScoring> {
  const movingAuc = rocAuc(opts.movingTestScores, data.testIsAnomaly);
  const moving = {
    asked,
    movingAuc,
    calibration: opts.movingCalibration,
    testScores: opts.movingTestScores,
    ...(opts.movingValScores ? { valScores: opts.movingValScores } : {}),
  };
  if (asked === "moving") {
    if (!(anyModel instanceof EdeGan)) return { bnStats: "moving", ...moving };
    const perImage = await scoreImages(anyModel, data.test, { bnStats: "per-image" });
    const other = {
      bnStats: "per-image" as const,
      auc: rocAuc(perImage.scores, data.testIsAnomaly),
    };
    return { bnStats: "moving", ...moving, other };
  }
  const model = asEdeGan(anyModel, `--bn-stats ${asked}`);
  let recomputedStats: BatchNormStatistics | undefined;
  if (asked === "auto" || asked === "recomputed") {
    recomputedStats = await recomputeBatchNormStats(model, data.train, {
      batchSize: opts.batchSize,
    });
  }
  let choice: BatchNormChoice | undefined;
  let mode: BatchNormStatsMode = asked === "auto" ? "moving" : asked;
  if (asked === "auto") {
    choice = await chooseBatchNormStats(model, data.val, { recomputedStats });
    mode = choice.mode;
  }
  if (mode === "moving") {
    const perImage = await scoreImages(model, data.test, { bnStats: "per-image" });
    const other = {
      bnStats: "per-image" as const,
      auc: rocAuc(perImage.scores, data.testIsAnomaly),
    };
    return { bnStats: mode, ...moving, choice, other };
  }
  const pass = { bnStats: mode, recomputedStats };
  const valScores = (await scoreImages(model, data.val, pass)).scores;
  const calibration = calibrate(valScores, opts.fpr);
  const testScores = (await scoreImages(model, data.test, pass)).scores;
  const other = { bnStats: "moving" as const, auc: movingAuc };
  return {
    bnStats: mode,
    asked,
    choice,
    movingAuc,
    other,
    calibration,
    testScores,
    ...(opts.movingValScores ? { valScores } : {}),
  };
}
