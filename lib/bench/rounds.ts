/**
 * Rounds of the model suite: `deno task bench --suite model --peer --rounds N` runs edegan's
 * backends and the PyTorch peer N times, one after the other, and reports each figure's median
 * over the rounds with its range, so that a ratio against PyTorch does not rest on one pass that a
 * busy minute of the machine slowed (on shared machines one pass's figures move by a third).
 * Medians of alternated rounds, as in BENCHMARKS.md's A/B figures.
 *
 * @module
 */

import type { ModelRow } from "./model.ts";
import { median } from "./kernels.ts";
import { peerRatios, peerSummary } from "./peer.ts";

/** A model-suite row over rounds: the median figures, with the range of images/s. */
export interface RoundsRow extends ModelRow {
  /** Rounds that gave this figure. */
  rounds?: number;
  /** The lowest and highest images/s over the rounds. */
  images_per_s_min?: number | null;
  images_per_s_max?: number | null;
}

/**
 * One row per backend, phase and batch (in the first round's order, then any new ones): the
 * median over `rounds` of images/s, GFLOP/s, its share of the peak and peak RSS, the min and max
 * images/s and how many rounds had a figure; `null` images/s stays `null` only where no round had
 * one. A single round comes back as it was, with `rounds: 1`. Errors: no rounds.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { medianRows } from "./rounds.ts";
 * const row = (images_per_s: number) =>
 *   ({ backend: "onednn", phase: "train" as const, batch: 1, images_per_s, peak_rss_mb: 300 });
 * const [r] = medianRows([[row(30)], [row(20)], [row(35)]]);
 * assertEquals([r.images_per_s, r.images_per_s_min, r.images_per_s_max, r.rounds], [30, 20, 35, 3]);
 * ```
 */
export function medianRows(rounds: readonly (readonly ModelRow[])[]): RoundsRow[] {
  if (rounds.length === 0) throw new Error("medianRows: no rounds");
  const key = (r: ModelRow) => `${r.backend}|${r.phase}|${r.batch}`;
  const groups = new Map<string, ModelRow[]>();
  for (const round of rounds) {
    for (const r of round) groups.set(key(r), [...(groups.get(key(r)) ?? []), r]);
  }
  return [...groups.values()].map((rows) => {
    const figures = rows.map((r) => r.images_per_s).filter((x): x is number => x !== null);
    const of = (pick: (r: ModelRow) => number | null | undefined) => {
      const xs = rows.map(pick).filter((x): x is number => typeof x === "number");
      return xs.length > 0 ? median(xs) : undefined;
    };
    const out: RoundsRow = {
      ...rows[0],
      images_per_s: figures.length > 0 ? median(figures) : null,
      images_per_s_min: figures.length > 0 ? Math.min(...figures) : null,
      images_per_s_max: figures.length > 0 ? Math.max(...figures) : null,
      rounds: figures.length,
      peak_rss_mb: of((r) => r.peak_rss_mb) ?? rows[0].peak_rss_mb,
    };
    for (const field of ["gflops", "of_peak_pct", "peak_gflops"] as const) {
      const value = of((r) => r[field]);
      if (value !== undefined) out[field] = value;
    }
    return out;
  });
}

/**
 * The comparison lines of {@link peerSummary} over rounds: each figure's median images/s, edegan's
 * and PyTorch's, then the ratio as the median of the rounds' own ratios (each round's edegan over
 * that round's PyTorch: the rounds alternate so that they pair), with their range, judged against
 * the target. One round: {@link peerSummary}'s lines.
 *
 * @example
 * ```ts
 * import { roundsSummary } from "./rounds.ts";
 * const row = (backend: string, images_per_s: number) =>
 *   ({ backend, phase: "train" as const, batch: 1, images_per_s, peak_rss_mb: 1 });
 * const lines = roundsSummary([
 *   [row("onednn", 40), row("pytorch-2t", 20)],
 *   [row("onednn", 30), row("pytorch-2t", 20)],
 *   [row("onednn", 36), row("pytorch-2t", 18)],
 * ]);
 * if (!lines[1].includes("2.00x PyTorch, the median of 3 rounds' ratios (1.50x-2.00x)")) {
 *   throw new Error(lines[1]);
 * }
 * ```
 */
export function roundsSummary(rounds: readonly (readonly ModelRow[])[]): string[] {
  if (rounds.length < 2) return peerSummary([...(rounds[0] ?? [])]);
  const medians = peerRatios(medianRows(rounds));
  const perRound = rounds.map((round) => peerRatios([...round]));
  return medians.map(({ phase, batch, target, ours, theirs }, i) => {
    const what = `${phase === "train" ? "training" : "scoring"} at batch ${batch}`;
    const ratios = perRound.map((r) => r[i]?.ratio).filter((x): x is number => x !== undefined);
    if (ours === undefined || theirs === undefined || ratios.length === 0) {
      return `${what}: no ${ours === undefined ? "edegan" : "PyTorch"} figure to compare`;
    }
    const ratio = median(ratios);
    const met = ratio >= target ? "met" : "not met";
    return `${what}: edegan ${ours.backend} ${ours.images_per_s!.toFixed(1)} images/s, ` +
      `${theirs.backend} ${theirs.images_per_s!.toFixed(1)} (medians); ${ratio.toFixed(2)}x ` +
      `PyTorch, the median of ${ratios.length} rounds' ratios (${
        Math.min(...ratios).toFixed(2)
      }x-` +
      `${Math.max(...ratios).toFixed(2)}x) (target >= ${target}x: ${met})`;
  });
}
