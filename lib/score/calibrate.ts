/**
 * Calibration of a model's scores on validation normals (never the test set): min/max
 * normalisation and a threshold at a chosen false-positive rate, stored with the model.
 *
 * @module
 */

import { minMaxNormaliser, thresholdAtFpr } from "../metrics/mod.ts";

/** Calibration of scores on validation normals, stored with the model (in `model.json`). */
export interface Calibration {
  /** Min and max of validation scores: normalised = (s - min) / (max - min). */
  min: number;
  max: number;
  /**
   * Raw-score threshold whose false-positive rate on validation normals is at most `fpr`; it lies
   * between validation scores, never within float rounding of one (see `thresholdAtFpr`).
   */
  threshold: number;
  fpr: number;
  /** Number of validation images it was computed on. */
  count: number;
}

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

/**
 * The decision for a score at a calibration's threshold: 1 (anomalous) when `score >=
 * threshold`, else 0. A score that is NaN or infinite has no decision and is an error naming
 * `item`: a NaN compared with a threshold would silently read as "normal".
 *
 * @example
 * ```ts
 * import { decide } from "./calibrate.ts";
 * const c = { min: 0, max: 10, threshold: 8, fpr: 0.05, count: 10 };
 * if (decide(9, c) !== 1 || decide(7, c) !== 0) throw new Error();
 * let threw = false;
 * try { decide(NaN, c, "a.png"); } catch { threw = true; }
 * if (!threw) throw new Error("NaN has no decision");
 * ```
 */
export function decide(score: number, calibration: Calibration, item = "an item"): 0 | 1 {
  if (!Number.isFinite(score)) {
    throw new Error(`the score of ${item} is ${score}; no decision can be made from it`);
  }
  return score >= calibration.threshold ? 1 : 0;
}
