/**
 * Shared input checks for the metrics, so that every metric fails the same way on the same bad
 * input.
 *
 * @module
 */

/** Class counts of a validated labelling. */
export interface ClassCounts {
  positives: number;
  negatives: number;
}

/**
 * Checks that `scores` and `labels` are non-empty, of equal length, scores hold no NaN and labels
 * are 0 or 1; returns how many of each class there are.
 */
export function checkScoresAndLabels(
  metric: string,
  scores: ArrayLike<number>,
  labels: ArrayLike<number>,
): ClassCounts {
  if (scores.length !== labels.length) {
    throw new RangeError(
      `${metric}: scores and labels differ in length (${scores.length} vs ${labels.length})`,
    );
  }
  if (scores.length === 0) throw new RangeError(`${metric}: no scores given`);
  let positives = 0;
  for (let i = 0; i < scores.length; i++) {
    if (Number.isNaN(scores[i])) throw new RangeError(`${metric}: score ${i} is NaN`);
    const label = labels[i];
    if (label === 1) positives++;
    else if (label !== 0) {
      throw new RangeError(`${metric}: label ${i} is ${label}; labels must be 0 (normal) or 1`);
    }
  }
  return { positives, negatives: scores.length - positives };
}

/** Throws unless both classes are present (ROC and precision-recall need both). */
export function requireBothClasses(metric: string, counts: ClassCounts): void {
  if (counts.positives === 0 || counts.negatives === 0) {
    const only = counts.positives === 0 ? "normal (0)" : "anomalous (1)";
    throw new RangeError(
      `${metric}: needs both classes, but every label is ${only}; the metric is undefined`,
    );
  }
}

/** Indices of `scores` ordered by decreasing score (ties keep input order). */
export function indicesByDescendingScore(scores: ArrayLike<number>): Uint32Array {
  const order = new Uint32Array(scores.length);
  for (let i = 0; i < order.length; i++) order[i] = i;
  // Typed-array sort with a comparator is a stable O(n log n) sort.
  return order.sort((a, b) => scores[b] - scores[a] || a - b);
}
