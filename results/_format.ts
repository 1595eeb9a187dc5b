/**
 * Number formatting shared by the results scripts (tables and README headline): AUCs in [0, 1]
 * printed as percentages with two decimals.
 */
import type { DistilledStudent } from "../lib/results/mod.ts";

/** An AUC in [0, 1] as a percentage, two decimals; empty for a missing value. */
export const pct = (x: number | null | undefined) =>
  x === null || x === undefined ? "" : (100 * x).toFixed(2);
/** A difference of AUCs in [0, 1] as signed percentage points. */
export const signed = (x: number) => `${x >= 0 ? "+" : ""}${(100 * x).toFixed(2)}`;
export const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
/** Sample sd (n - 1); NaN below two values. */
export const sd = (xs: number[]) => {
  if (xs.length < 2) return NaN;
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1));
};
/** "mean ± sd" in %, or the one value. */
export const meanSd = (xs: number[]) =>
  xs.length === 0 ? "" : xs.length === 1 ? pct(xs[0]) : `${pct(mean(xs))} ± ${pct(sd(xs))}`;
/** A student's architecture: `w<width>/l<latent>`. */
export const arch = (s: DistilledStudent) => `w${s.width}/l${s.latent}`;
