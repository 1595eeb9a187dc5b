/**
 * Metrics for novelty detection, pure functions on plain arrays: scores are higher for more
 * anomalous items, labels are 1 for anomalous and 0 for normal. Nothing here knows any model.
 *
 * @example
 * ```ts
 * import { averagePrecision, rocAuc } from "./mod.ts";
 * const scores = [0.1, 0.3, 0.7, 0.9], labels = [0, 0, 1, 1];
 * if (rocAuc(scores, labels) !== 1 || averagePrecision(scores, labels) !== 1) throw new Error();
 * ```
 *
 * @module
 */
export { rocAuc } from "./roc_auc.ts";
export { type RocCurve, rocCurve } from "./roc_curve.ts";
export { averagePrecision } from "./average_precision.ts";
export { f1AtThreshold, type ThresholdMetrics } from "./f1.ts";
export {
  type MinMaxNormaliser,
  minMaxNormaliser,
  SAME_SCORE_RELATIVE,
  thresholdAtFpr,
} from "./calibration.ts";
export { BEST_TEST_EPOCH_LABEL, bestTestEpoch } from "./best_test_epoch.ts";
export { type MeanStd, meanStd } from "./statistics.ts";
