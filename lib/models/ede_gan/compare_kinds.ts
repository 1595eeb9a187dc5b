/**
 * The paper's first claim, measured on a trained model without retraining: the test AUC of each
 * score kind (latent distance, image reconstruction error, discriminator-feature distance), under
 * each BatchNorm mode, each with its own threshold calibrated on the validation normals.
 * Typed on EDE-GAN, whose score kinds these are.
 *
 * @module
 */

import type { EdeGan } from "./network.ts";
import { SCORE_KINDS, type ScoreKind } from "./score.ts";
import type { OneClassSplit } from "../../data/types.ts";
import { averagePrecision, f1AtThreshold, rocAuc } from "../../metrics/mod.ts";
import { calibrate } from "../../score/calibrate.ts";
import { scoreImages } from "../../score/score.ts";
import type { BatchNormStatistics, BatchNormStatsMode } from "./batch_norm_stats.ts";
import type { Calibration } from "../../score/calibrate.ts";

/** One row of {@link compareScoreKinds}: a score kind under a BatchNorm mode, on the test set. */
export interface ScoreKindRow {
  bnStats: BatchNormStatsMode;
  kind: ScoreKind;
  /** Test ROC AUC and average precision. */
  auc: number;
  averagePrecision: number;
  /** F1, precision and recall at this kind's threshold calibrated on the validation normals. */
  f1: number;
  precision: number;
  recall: number;
  calibration: Calibration;
}

/**
 * Scores the validation and test splits of `data` once per BatchNorm mode, computing every kind
 * in the same pass; each kind's threshold is calibrated on the validation normals at `fpr`
 * (never on the test set), and the test set gives AUC, average precision and F1 at it. Rows come
 * mode by mode, kinds in {@link SCORE_KINDS} order.
 *
 * @example
 * ```ts ignore
 * // not run as a test: it needs a trained model (tests/score/score_kinds_test.ts runs it)
 * import { compareScoreKinds } from "./compare_kinds.ts";
 * const rows = await compareScoreKinds(model, data, { modes: ["moving", "per-image"] });
 * console.table(rows.map(({ bnStats, kind, auc }) => ({ bnStats, kind, auc })));
 * ```
 */
export async function compareScoreKinds(
  model: EdeGan,
  data: Pick<OneClassSplit, "val" | "test" | "testIsAnomaly">,
  opts: {
    modes?: readonly BatchNormStatsMode[];
    recomputedStats?: BatchNormStatistics;
    fpr?: number;
    batchSize?: number;
  } = {},
): Promise<ScoreKindRow[]> {
  const { modes = ["moving"], fpr = 0.05 } = opts;
  const rows: ScoreKindRow[] = [];
  for (const bnStats of modes) {
    const pass = { kinds: SCORE_KINDS, bnStats, recomputedStats: opts.recomputedStats };
    const val = await scoreImages(model, data.val, { ...pass, batchSize: opts.batchSize });
    const test = await scoreImages(model, data.test, { ...pass, batchSize: opts.batchSize });
    for (const kind of SCORE_KINDS) {
      const calibration = calibrate(val.byKind[kind]!, fpr);
      const scores = test.byKind[kind]!;
      const at = f1AtThreshold(scores, data.testIsAnomaly, calibration.threshold);
      rows.push({
        bnStats,
        kind,
        auc: rocAuc(scores, data.testIsAnomaly),
        averagePrecision: averagePrecision(scores, data.testIsAnomaly),
        f1: at.f1,
        precision: at.precision,
        recall: at.recall,
        calibration,
      });
    }
  }
  return rows;
}
