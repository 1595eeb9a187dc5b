import { checkScoresAndLabels, indicesByDescendingScore, requireBothClasses } from "./_validate.ts";

/**
 * Average precision as scikit-learn defines it: the step-wise area under the precision-recall
 * curve, `AP = sum_n (R_n - R_{n-1}) P_n` over the distinct score thresholds taken from the
 * highest down (tied scores form one step; no interpolation).
 *
 * @throws {RangeError} on a length mismatch, an empty input, a NaN score, a label other than
 * 0 or 1, or when only one class is present.
 *
 * @example
 * ```ts
 * import { averagePrecision } from "./average_precision.ts";
 * // 0.8: P=1, R=1/2; 0.4: R unchanged; 0.35: P=2/3, R=1 -> AP = 1/2 * 1 + 1/2 * 2/3
 * const ap = averagePrecision([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]);
 * if (Math.abs(ap - 0.8333333333333333) > 1e-12) throw new Error(`got ${ap}`);
 * ```
 */
export function averagePrecision(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const counts = checkScoresAndLabels("averagePrecision", scores, labels);
  requireBothClasses("averagePrecision", counts);
  const order = indicesByDescendingScore(scores);
  let truePositives = 0, ap = 0, previousRecall = 0;
  for (let start = 0; start < order.length;) {
    let end = start;
    while (end < order.length && scores[order[end]] === scores[order[start]]) {
      if (labels[order[end]] === 1) truePositives++;
      end++;
    }
    const recall = truePositives / counts.positives;
    ap += (recall - previousRecall) * (truePositives / end);
    previousRecall = recall;
    start = end;
  }
  return ap;
}
