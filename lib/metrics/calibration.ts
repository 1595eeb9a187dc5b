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
 * Relative distance within which two scores count as the same score: the same image scored in a
 * batch of 4 and in a batch of 36 can differ in the last float32 bits (about 1e-7 relative,
 * more after cancellation in z - ẑ), and no decision may turn on that.
 *
 * @example
 * ```ts
 * import { SAME_SCORE_RELATIVE } from "./calibration.ts";
 * if (SAME_SCORE_RELATIVE !== 1e-3) throw new Error();
 * ```
 */
export const SAME_SCORE_RELATIVE = 1e-3;

/** Below this magnitude scores are zero, whatever their sign or last bits. */
const SAME_SCORE_ABSOLUTE = 1e-30;

function tolerance(a: number, b: number): number {
  return Math.max(SAME_SCORE_RELATIVE * Math.max(Math.abs(a), Math.abs(b)), SAME_SCORE_ABSOLUTE);
}

/**
 * The decision threshold at a false-positive rate, from the validation scores of normal items:
 * the fraction of those scores `>= threshold` (the decision rule of `f1AtThreshold`) is at most
 * `fpr`, with as many flagged as that allows.
 *
 * The threshold never sits on or near a validation score, so that float rounding cannot flip a
 * decision: scores within {@link SAME_SCORE_RELATIVE} of each other are one group that is
 * flagged or not as a whole, and the threshold lies in the middle of the gap between the
 * lowest flagged group and the next one down. When no score may be flagged it lies
 * `SAME_SCORE_RELATIVE` (relative) above the largest; when all may, as far below the smallest.
 *
 * @throws {RangeError} on an empty input, a NaN score, or `fpr` outside [0, 1].
 *
 * @example
 * ```ts
 * import { thresholdAtFpr } from "./calibration.ts";
 * const normals = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
 * if (thresholdAtFpr(normals, 0.2) !== 8.5) throw new Error("9 and 10 flagged");
 * const none = thresholdAtFpr(normals, 0);
 * if (Math.abs(none - 10.01) > 1e-12) throw new Error("none flagged, with a margin");
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
  // Walk groups of (nearly) equal scores from the top; a group is flagged whole or not at all.
  let best = sorted[0] + tolerance(sorted[0], sorted[0]);
  for (let i = 0; i < n;) {
    let end = i + 1;
    while (end < n && sorted[end - 1] - sorted[end] <= tolerance(sorted[end - 1], sorted[end])) {
      end++;
    }
    if (end > allowed) break;
    const lowest = sorted[end - 1];
    best = end < n ? (lowest + sorted[end]) / 2 : lowest - tolerance(lowest, lowest);
    i = end;
  }
  return best;
}
