/**
 * Number formatting shared by the results scripts (tables and README headline): AUCs in [0, 1]
 * printed as percentages with two decimals.
 */
import { type DistilledStudent, meanInterval } from "../lib/results/mod.ts";
import { meanStd } from "../lib/metrics/statistics.ts";

/** An AUC in [0, 1] as a percentage, two decimals; empty for a missing value. */
export const pct = (x: number | null | undefined) =>
  x === null || x === undefined ? "" : (100 * x).toFixed(2);
/** A difference of AUCs in [0, 1] as signed percentage points. */
export const signed = (x: number) => `${x >= 0 ? "+" : ""}${(100 * x).toFixed(2)}`;
/** Mean (NaN for no values), through the sweep merge's meanStd. */
export const mean = (xs: number[]) => meanStd(xs).mean ?? NaN;
/** Sample sd (n - 1); NaN below two values. */
export const sd = (xs: number[]) => meanStd(xs).std ?? NaN;
/** "mean ± sd" in %, or the one value. */
export const meanSd = (xs: number[]) =>
  xs.length === 0 ? "" : xs.length === 1 ? pct(xs[0]) : `${pct(mean(xs))} ± ${pct(sd(xs))}`;
/** A student's architecture: `w<width>/l<latent>`. */
export const arch = (s: DistilledStudent) => `w${s.width}/l${s.latent}`;
/** The 95 % Student-t interval of a mean gain over classes (AUC units) in points; empty below 3. */
export const gainInterval = (gains: number[]) => {
  const ci = gains.length >= 3 ? meanInterval(gains) : null;
  return ci ? `${signed(ci.low)} to ${signed(ci.high)}` : "";
};
