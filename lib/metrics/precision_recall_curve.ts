import { checkScoresAndLabels, indicesByDescendingScore, requireBothClasses } from "./_validate.ts";

/** Points of a precision-recall curve, one per distinct score, highest threshold first. */
export interface PrecisionRecallCurve {
  /** Recall (true positive rate) at each threshold, non-decreasing up to 1. */
  recall: number[];
  /** Precision at each threshold: true positives / items called anomalous. */
  precision: number[];
  /** Decision thresholds, decreasing: point i calls anomalous every score >= thresholds[i]. */
  thresholds: number[];
  /** Fraction of anomalous items (label 1): the precision of a random ranking, AP's chance level. */
  prevalence: number;
}

/**
 * The precision-recall curve with anomalies as the positive class: one point per distinct score
 * (tied scores merged into one step), the same steps {@link averagePrecision} sums over, so that
 * `sum_n (recall_n - recall_{n-1}) * precision_n` over the points is the average precision.
 *
 * @throws {RangeError} on a length mismatch, an empty input, a NaN score, a label other than 0
 * or 1, or when only one class is present.
 *
 * @example
 * ```ts
 * import { precisionRecallCurve } from "./precision_recall_curve.ts";
 * const pr = precisionRecallCurve([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]);
 * if (pr.recall.join() !== "0.5,0.5,1,1" || pr.precision.join() !== "1,0.5,0.6666666666666666,0.5") {
 *   throw new Error(JSON.stringify(pr));
 * }
 * if (pr.prevalence !== 0.5) throw new Error();
 * ```
 */
export function precisionRecallCurve(
  scores: ArrayLike<number>,
  labels: ArrayLike<number>,
): PrecisionRecallCurve {
  const counts = checkScoresAndLabels("precisionRecallCurve", scores, labels);
  requireBothClasses("precisionRecallCurve", counts);
  const order = indicesByDescendingScore(scores);
  const recall: number[] = [], precision: number[] = [], thresholds: number[] = [];
  let truePositives = 0;
  for (let start = 0; start < order.length;) {
    const threshold = scores[order[start]];
    let end = start;
    while (end < order.length && scores[order[end]] === threshold) {
      if (labels[order[end]] === 1) truePositives++;
      end++;
    }
    recall.push(truePositives / counts.positives);
    precision.push(truePositives / end);
    thresholds.push(threshold);
    start = end;
  }
  return {
    recall,
    precision,
    thresholds,
    prevalence: counts.positives / (counts.positives + counts.negatives),
  };
}
