/**
 * Number formatting of the results tables and the README headline: AUCs in [0, 1] printed as
 * percentages with two decimals, gains as signed points, means and sds over classes or seeds.
 *
 * @module
 */

import { meanStd } from "../metrics/statistics.ts";
import type { DistilledStudent } from "./distillations.ts";
import { meanInterval } from "./stats.ts";

/**
 * An AUC in [0, 1] as a percentage, two decimals; empty for a missing value.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { pct } from "./format.ts";
 * assertEquals([pct(0.97245), pct(null)], ["97.25", ""]);
 * ```
 */
export const pct = (x: number | null | undefined): string =>
  x === null || x === undefined ? "" : (100 * x).toFixed(2);

/**
 * Two AUCs in [0, 1] compared side by side, `a vs b`: two decimals, or as many more (up to six)
 * as it takes for different values to print differently (so that a pair counted as "above" never
 * reads as a tie).
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { pctPair } from "./format.ts";
 * assertEquals(pctPair(0.94653, 0.94464), "94.65 vs 94.46");
 * assertEquals(pctPair(0.943342, 0.943263), "94.334 vs 94.326");
 * assertEquals(pctPair(0.943341, 0.943344), "94.3341 vs 94.3344");
 * assertEquals(pctPair(0.9, 0.9), "90.00 vs 90.00");
 * ```
 */
export const pctPair = (a: number, b: number): string => {
  const at = (digits: number) => [(100 * a).toFixed(digits), (100 * b).toFixed(digits)];
  let digits = 2;
  // Up to six decimals (a millionth of a point): past that a difference is rounding.
  while (a !== b && digits < 6 && at(digits)[0] === at(digits)[1]) digits++;
  const [x, y] = at(digits);
  return `${x} vs ${y}`;
};

/**
 * A difference of AUCs in [0, 1] as signed percentage points.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { signed } from "./format.ts";
 * assertEquals([signed(0.0177), signed(-0.004)], ["+1.77", "-0.40"]);
 * ```
 */
export const signed = (x: number): string => `${x >= 0 ? "+" : ""}${(100 * x).toFixed(2)}`;

/**
 * Signed points of a value already in points (the headline's published gains).
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { signedPoints } from "./format.ts";
 * assertEquals(signedPoints(1.77), "+1.77");
 * ```
 */
export const signedPoints = (points: number): string =>
  `${points >= 0 ? "+" : ""}${points.toFixed(2)}`;

/**
 * The mean; NaN for no values.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { mean } from "./format.ts";
 * assertEquals([mean([1, 2]), mean([])], [1.5, NaN]);
 * ```
 */
export const mean = (xs: number[]): number => meanStd(xs).mean ?? NaN;

/**
 * The sample sd (n - 1); NaN below two values.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { sd } from "./format.ts";
 * assertEquals([sd([1, 3]), sd([1])], [Math.SQRT2, NaN]);
 * ```
 */
export const sd = (xs: number[]): number => meanStd(xs).std ?? NaN;

/**
 * "mean ± sd" in %, or the one value; empty for none.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { meanSd } from "./format.ts";
 * assertEquals([meanSd([0.9, 0.92]), meanSd([0.9]), meanSd([])], ["91.00 ± 1.41", "90.00", ""]);
 * ```
 */
export const meanSd = (xs: number[]): string =>
  xs.length === 0 ? "" : xs.length === 1 ? pct(xs[0]) : `${pct(mean(xs))} ± ${pct(sd(xs))}`;

/**
 * A student's architecture: `w<width>/l<latent>`.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { arch } from "./format.ts";
 * assertEquals(arch({ width: 3, latent: 32 }), "w3/l32");
 * ```
 */
export const arch = (s: Pick<DistilledStudent, "width" | "latent">): string =>
  `w${s.width}/l${s.latent}`;

/**
 * The 95 % Student-t interval of a mean gain over classes (AUC units) in points; empty below 3.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { gainInterval } from "./format.ts";
 * assertEquals(gainInterval([0.01, 0.02, 0.03]), "-0.48 to +4.48");
 * assertEquals(gainInterval([0.01, 0.02]), "");
 * ```
 */
export const gainInterval = (gains: number[]): string => {
  const ci = gains.length >= 3 ? meanInterval(gains) : null;
  return ci ? `${signed(ci.low)} to ${signed(ci.high)}` : "";
};
