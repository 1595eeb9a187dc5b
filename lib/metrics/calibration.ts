/**
 * Calibration fitted on validation scores only, so that test data never leaks into a threshold.
 *
 * @module
 */

/** A min-max map fitted on validation scores. */
export interface MinMaxNormaliser {
  /** Smallest validation score. */
  min: number;
  /** Largest validation score. */
  max: number;
  /**
   * Maps a score linearly so that `min` -> 0 and `max` -> 1 (scores outside the validation range
   * land outside [0, 1]; nothing is clipped). When all validation scores are equal, returns
   * `s - min`.
   */
  normalise(s: number): number;
  /** `normalise` applied to every score. */
  normaliseAll(scores: ArrayLike<number>): Float64Array;
}

/**
 * Fits a min-max normaliser on validation scores.
 *
 * @throws {RangeError} on an empty input or a non-finite score.
 *
 * @example
 * ```ts
 * import { minMaxNormaliser } from "./calibration.ts";
 * const n = minMaxNormaliser([2, 4, 6]);
 * if (n.min !== 2 || n.max !== 6 || n.normalise(5) !== 0.75) throw new Error("normalise");
 * if (n.normaliseAll([2, 8]).join() !== "0,1.5") throw new Error("no clipping");
 * ```
 */
export function minMaxNormaliser(valScores: ArrayLike<number>): MinMaxNormaliser {
  if (valScores.length === 0) throw new RangeError("minMaxNormaliser: no validation scores");
  let min = Infinity, max = -Infinity;
  for (let i = 0; i < valScores.length; i++) {
    const s = valScores[i];
    if (!Number.isFinite(s)) throw new RangeError(`minMaxNormaliser: score ${i} is ${s}`);
    if (s < min) min = s;
    if (s > max) max = s;
  }
  // A constant validation set gives no scale; shifting alone keeps the order of test scores.
  const range = max > min ? max - min : 1;
  const normalise = (s: number) => (s - min) / range;
  return {
    min,
    max,
    normalise,
    normaliseAll: (scores) => Float64Array.from(scores, normalise),
  };
}

/**
 * The lowest threshold, taken from the validation scores of normal items, at which the fraction
 * of those scores `>= threshold` (the decision rule of `f1AtThreshold`) is at most `fpr`. When
 * even the largest score must be excluded, returns the next double above it.
 *
 * @throws {RangeError} on an empty input, a NaN score, or `fpr` outside [0, 1].
 *
 * @example
 * ```ts
 * import { thresholdAtFpr } from "./calibration.ts";
 * const normals = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0];
 * if (thresholdAtFpr(normals, 0.2) !== 0.9) throw new Error("2 of 10 at or above 0.9");
 * if (!(thresholdAtFpr(normals, 0) > 1.0)) throw new Error("none at or above");
 * ```
 */
export function thresholdAtFpr(valNormalScores: ArrayLike<number>, fpr: number): number {
  const n = valNormalScores.length;
  if (n === 0) throw new RangeError("thresholdAtFpr: no validation scores");
  if (!(fpr >= 0 && fpr <= 1)) throw new RangeError(`thresholdAtFpr: fpr ${fpr} not in [0, 1]`);
  const sorted = Float64Array.from(valNormalScores);
  for (let i = 0; i < n; i++) {
    if (Number.isNaN(sorted[i])) throw new RangeError(`thresholdAtFpr: score ${i} is NaN`);
  }
  sorted.sort().reverse(); // descending
  // The tolerance keeps e.g. 0.3 * 10 from flooring to 2.
  const allowed = Math.floor(fpr * n + 1e-9);
  // Candidate thresholds are distinct scores; with the one at sorted[k] exactly k + ties items
  // reach it, so walk to the end of each tie group before comparing.
  let best = nextUp(sorted[0]);
  for (let i = 0; i < n;) {
    let end = i;
    while (end < n && sorted[end] === sorted[i]) end++;
    if (end > allowed) break;
    best = sorted[i];
    i = end;
  }
  return best;
}

/** The smallest double greater than `x` (x itself for +Infinity). */
function nextUp(x: number): number {
  if (x === Infinity || Number.isNaN(x)) return x;
  if (x === 0) return Number.MIN_VALUE;
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const bits = view.getBigUint64(0);
  view.setBigUint64(0, x > 0 ? bits + 1n : bits - 1n);
  return view.getFloat64(0);
}
