import { checkScoresAndLabels, indicesByDescendingScore, requireBothClasses } from "./_validate.ts";

/** Points of a ROC curve; point i is reached by calling anomalous every score >= thresholds[i]. */
export interface RocCurve {
  /** False positive rates, non-decreasing from 0 to 1. */
  fpr: number[];
  /** True positive rates, non-decreasing from 0 to 1. */
  tpr: number[];
  /** Decision thresholds, decreasing; the first is `Infinity` (nothing called anomalous). */
  thresholds: number[];
}

/**
 * The ROC curve: one point per distinct score (tied scores are merged into one step), preceded
 * by the point (0, 0) at threshold `Infinity`. Intermediate collinear points are kept.
 *
 * @throws {RangeError} on a length mismatch, an empty input, a NaN score, a label other than
 * 0 or 1, or when only one class is present.
 *
 * @example
 * ```ts
 * import { rocCurve } from "./roc_curve.ts";
 * const { fpr, tpr, thresholds } = rocCurve([0.1, 0.5, 0.5, 0.9], [0, 0, 1, 1]);
 * if (fpr.join() !== "0,0,0.5,1" || tpr.join() !== "0,0.5,1,1") throw new Error("curve");
 * if (thresholds.join() !== "Infinity,0.9,0.5,0.1") throw new Error("thresholds");
 * ```
 */
export function rocCurve(scores: ArrayLike<number>, labels: ArrayLike<number>): RocCurve {
  const counts = checkScoresAndLabels("rocCurve", scores, labels);
  requireBothClasses("rocCurve", counts);
  const order = indicesByDescendingScore(scores);
  const fpr = [0], tpr = [0], thresholds = [Infinity];
  let truePositives = 0, falsePositives = 0;
  for (let start = 0; start < order.length;) {
    const threshold = scores[order[start]];
    let end = start;
    while (end < order.length && scores[order[end]] === threshold) {
      if (labels[order[end]] === 1) truePositives++;
      else falsePositives++;
      end++;
    }
    fpr.push(falsePositives / counts.negatives);
    tpr.push(truePositives / counts.positives);
    thresholds.push(threshold);
    start = end;
  }
  return { fpr, tpr, thresholds };
}
