/**
 * Summary statistics of measured values (AUCs over classes or seeds): the mean and the sample
 * standard deviation, as the sweep's tables, the results tables and the notebooks report them.
 *
 * @module
 */

/** A mean and sample standard deviation of n values (std `null` when n < 2). */
export interface MeanStd {
  mean: number | null;
  std: number | null;
  n: number;
}

/**
 * Mean and sample std (n - 1) of `values`.
 *
 * @example
 * ```ts
 * import { meanStd } from "./statistics.ts";
 * const m = meanStd([1, 2, 3]);
 * if (m.mean !== 2 || m.std !== 1 || m.n !== 3) throw new Error();
 * ```
 */
export function meanStd(values: number[]): MeanStd {
  const n = values.length;
  if (n === 0) return { mean: null, std: null, n };
  const mean = values.reduce((a, b) => a + b, 0) / n;
  if (n < 2) return { mean, std: null, n };
  const variance = values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1);
  return { mean, std: Math.sqrt(variance), n };
}
