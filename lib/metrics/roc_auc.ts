import { checkScoresAndLabels, indicesByDescendingScore, requireBothClasses } from "./_validate.ts";

/**
 * Area under the ROC curve, computed exactly as the Mann-Whitney statistic: the fraction of
 * (anomalous, normal) pairs in which the anomalous item scores higher, ties counting one half.
 * O(n log n) by one sort.
 *
 * Scores: higher means more anomalous. Labels: 1 anomalous, 0 normal.
 *
 * @throws {RangeError} on a length mismatch, an empty input, a NaN score, a label other than
 * 0 or 1, or when only one class is present.
 *
 * @example
 * ```ts
 * import { rocAuc } from "./roc_auc.ts";
 * // pairs (anomalous, normal): (0.9,0.1) win, (0.9,0.5) win, (0.5,0.1) win, (0.5,0.5) tie
 * const auc = rocAuc([0.1, 0.5, 0.5, 0.9], [0, 0, 1, 1]);
 * if (auc !== 0.875) throw new Error(`expected 0.875, got ${auc}`);
 * ```
 */
export function rocAuc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const counts = checkScoresAndLabels("rocAuc", scores, labels);
  requireBothClasses("rocAuc", counts);
  const order = indicesByDescendingScore(scores);
  let wins = 0; // pairs won, ties counted as one half
  let negativesAbove = 0;
  for (let start = 0; start < order.length;) {
    let end = start, groupPositives = 0, groupNegatives = 0;
    while (end < order.length && scores[order[end]] === scores[order[start]]) {
      if (labels[order[end]] === 1) groupPositives++;
      else groupNegatives++;
      end++;
    }
    const negativesBelow = counts.negatives - negativesAbove - groupNegatives;
    wins += groupPositives * (negativesBelow + 0.5 * groupNegatives);
    negativesAbove += groupNegatives;
    start = end;
  }
  return wins / (counts.positives * counts.negatives);
}
