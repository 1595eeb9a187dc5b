/**
 * The statistics of the results tables, from jStat: the confidence interval of a mean over classes
 * (how far a measured mean gain can be trusted when each class was run once; issue 14, item 5) and
 * the median.
 *
 * @module
 */

import jStatModule from "jstat";
import { meanStd } from "../metrics/statistics.ts";

// jstat ships no types; the functions used here, typed.
const jStat = jStatModule as unknown as {
  studentt: { inv(p: number, dof: number): number };
  median(a: number[]): number;
};

/** A mean with its two-sided confidence interval, in the units of the values. */
export interface MeanInterval {
  mean: number;
  low: number;
  high: number;
  /** The number of values. */
  n: number;
  /** The confidence level, e.g. 0.95. */
  level: number;
}

/**
 * The Student-t confidence interval of a mean: mean ± t(1 − (1 − level)/2, n − 1) · sd / √n, with
 * the sample sd (n − 1). It treats the values (e.g. one gain per class) as independent draws;
 * quantiles from jStat (`jStat.studentt.inv`). Null below two values.
 *
 * @throws {RangeError} when `level` is not in (0, 1) or a value is not finite.
 *
 * @example
 * ```ts
 * import { meanInterval } from "./stats.ts";
 * const ci = meanInterval([1, 2, 3])!; // mean 2, sd 1, t(0.975, 2) = 4.303
 * if (Math.abs(ci.high - (2 + 4.302652729911275 / Math.sqrt(3))) > 1e-9) throw new Error();
 * if (meanInterval([1]) !== null) throw new Error();
 * ```
 */
export function meanInterval(values: number[], level = 0.95): MeanInterval | null {
  if (!(level > 0 && level < 1)) throw new RangeError(`level must be in (0, 1), got ${level}`);
  if (values.some((v) => !Number.isFinite(v))) {
    throw new RangeError("meanInterval: every value must be a finite number");
  }
  const { mean, std, n } = meanStd(values);
  if (mean === null || std === null) return null;
  const half = jStat.studentt.inv(1 - (1 - level) / 2, n - 1) * std / Math.sqrt(n);
  return { mean, low: mean - half, high: mean + half, n, level };
}

/**
 * The median (jStat.median: the middle value, or the mean of the two middle ones); NaN for none.
 *
 * @example
 * ```ts
 * import { median } from "./stats.ts";
 * if (median([3, -7, 1, 2]) !== 1.5 || !Number.isNaN(median([]))) throw new Error();
 * ```
 */
export function median(values: number[]): number {
  return values.length ? jStat.median(values) : NaN;
}
