/**
 * Calibration of a model's scores on validation normals (never the test set): min/max
 * normalisation and a threshold at a chosen false-positive rate, stored with the model.
 *
 * @module
 */

import { minMaxNormaliser, thresholdAtFpr } from "../metrics/mod.ts";
import type { Calibration } from "../train/checkpoint.ts";

/**
 * Fits a calibration on the scores of validation normals.
 *
 * @example
 * ```ts
 * import { calibrate } from "./calibrate.ts";
 * const c = calibrate(Float32Array.from({ length: 100 }, (_, i) => i), 0.05);
 * if (c.min !== 0 || c.max !== 99) throw new Error();
 * ```
 */
export function calibrate(valScores: ArrayLike<number>, fpr = 0.05): Calibration {
  const { min, max } = minMaxNormaliser(valScores);
  return { min, max, threshold: thresholdAtFpr(valScores, fpr), fpr, count: valScores.length };
}

/**
 * A score mapped by a calibration's min/max to [0, 1] on the validation range.
 *
 * @example
 * ```ts
 * import { normaliseScore } from "./calibrate.ts";
 * const n = normaliseScore(5, { min: 0, max: 10, threshold: 8, fpr: 0.05, count: 10 });
 * if (n !== 0.5) throw new Error();
 * ```
 */
export function normaliseScore(score: number, calibration: Calibration): number {
  const range = calibration.max - calibration.min;
  return range > 0 ? (score - calibration.min) / range : score - calibration.min;
}
