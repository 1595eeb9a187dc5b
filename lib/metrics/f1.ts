import { checkScoresAndLabels } from "./_validate.ts";

/** Confusion counts and the derived rates at one decision threshold. */
export interface ThresholdMetrics {
  /** tp / (tp + fp); 0 when nothing is called anomalous. */
  precision: number;
  /** tp / (tp + fn); 0 when there are no anomalies. */
  recall: number;
  /** Harmonic mean of precision and recall; 0 when both are 0. */
  f1: number;
  /** Anomalies called anomalous. */
  tp: number;
  /** Normals called anomalous. */
  fp: number;
  /** Normals called normal. */
  tn: number;
  /** Anomalies called normal. */
  fn: number;
}

/**
 * Precision, recall, F1 and the confusion counts when every score `>= threshold` is called
 * anomalous. A single class is allowed here (the counts stay defined); undefined ratios are 0,
 * as scikit-learn's `zero_division=0`.
 *
 * @throws {RangeError} on a length mismatch, an empty input, a NaN score or threshold, or a
 * label other than 0 or 1.
 *
 * @example
 * ```ts
 * import { f1AtThreshold } from "./f1.ts";
 * const m = f1AtThreshold([0.2, 0.6, 0.5, 0.9], [0, 0, 1, 1], 0.5);
 * // called anomalous: 0.6 (normal), 0.5 and 0.9 (anomalous)
 * if (m.tp !== 2 || m.fp !== 1 || m.tn !== 1 || m.fn !== 0) throw new Error("counts");
 * if (Math.abs(m.f1 - 0.8) > 1e-12) throw new Error(`f1 ${m.f1}`);
 * ```
 */
export function f1AtThreshold(
  scores: ArrayLike<number>,
  labels: ArrayLike<number>,
  threshold: number,
): ThresholdMetrics {
  checkScoresAndLabels("f1AtThreshold", scores, labels);
  if (Number.isNaN(threshold)) throw new RangeError("f1AtThreshold: threshold is NaN");
  let tp = 0, fp = 0, tn = 0, fn = 0;
  for (let i = 0; i < scores.length; i++) {
    const calledAnomalous = scores[i] >= threshold;
    if (labels[i] === 1) calledAnomalous ? tp++ : fn++;
    else calledAnomalous ? fp++ : tn++;
  }
  const precision = tp + fp === 0 ? 0 : tp / (tp + fp);
  const recall = tp + fn === 0 ? 0 : tp / (tp + fn);
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return { precision, recall, f1, tp, fp, tn, fn };
}
