/**
 * What every figure of `curves.ts`, `latent_views.ts`, `image_grids.ts` and `analysis.ts` draws
 * alike: the colour cycle, the normal class's colour, titles, a legend above the plot, a
 * full-width horizontal line, error bars and 1-2-5 ticks on a log axis.
 *
 * @module
 */
// @ts-types="@types/plotly.js"
import type * as Plotly from "plotly.js-dist-min";

/** Plotly's default colour cycle, so that the same series keeps its colour across figures. */
export const PALETTE = [
  "#1f77b4",
  "#ff7f0e",
  "#2ca02c",
  "#d62728",
  "#9467bd",
  "#8c564b",
  "#e377c2",
  "#7f7f7f",
  "#bcbd22",
  "#17becf",
];

/** The normal class is drawn in this colour everywhere, apart from the anomalous classes. */
export const NORMAL_COLOUR = "#111111";

/** An axis title. */
export const axisTitle = (text: string) => ({ text });

/** A figure title, left-aligned: plotly's toolbar (top right) then never covers it. */
export const figureTitle = (text: string) => ({ text, x: 0.01, xanchor: "left" as const });

/** Whether a value is a finite number (null, undefined and NaN are missing values). */
export const finite = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);

/** A one-row legend just above the plot (leave it a top margin of 80-90 px). */
export const legendAbove = (): Partial<Plotly.Legend> => ({
  orientation: "h",
  x: 0,
  y: 1.02,
  yanchor: "bottom",
});

/** A thin grey line that is a reference, not data (chance), without hover. */
export const referenceTrace = (
  name: string,
  x: number[],
  y: number[],
  dash: "dash" | "dot",
): Plotly.Data => ({
  type: "scatter",
  mode: "lines",
  name,
  x,
  y,
  line: { color: "gray", dash, width: 1 },
  hoverinfo: "skip",
});

/**
 * A line across the whole width of the plot (`xref` "paper", or one panel's "x domain") at `y`
 * on the y axis.
 *
 * @example
 * ```ts
 * import { horizontalLine } from "./_layout.ts";
 * const chance = horizontalLine(0.5, { color: "gray", dash: "dot", width: 1 });
 * if (chance.x0 !== 0 || chance.x1 !== 1 || chance.y0 !== 0.5) throw new Error();
 * ```
 */
export function horizontalLine(
  y: number,
  line: Partial<Plotly.ShapeLine>,
  xref: "paper" | "x domain" = "paper",
): Partial<Plotly.Shape> {
  return { type: "line", xref: xref as "paper", x0: 0, x1: 1, yref: "y", y0: y, y1: y, line };
}

/**
 * Error bars of half-length `values` (a missing one drawn as 0), `width` px wide caps.
 *
 * @example
 * ```ts
 * import { errorBars } from "./_layout.ts";
 * if (errorBars([0.1, null], 4).array.join() !== "0.1,0") throw new Error();
 * ```
 */
export function errorBars(values: (number | null | undefined)[], width: number) {
  return {
    type: "data" as const,
    array: values.map((v) => (finite(v) ? v : 0)),
    visible: true,
    thickness: 1.2,
    width,
  };
}

/**
 * Tick values 1, 2, 5 x 10^k from lo / reach to hi · reach, so a log axis shows no stray minor
 * labels.
 *
 * @example
 * ```ts
 * import { logTicks } from "./_layout.ts";
 * if (logTicks(3, 40, 1.5).join() !== "2,5,10,20,50") throw new Error(logTicks(3, 40, 1.5).join());
 * ```
 */
export function logTicks(lo: number, hi: number, reach: number): number[] {
  const ticks: number[] = [];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) {
    for (const m of [1, 2, 5]) {
      const v = m * 10 ** e;
      if (v >= lo / reach && v <= hi * reach) ticks.push(v);
    }
  }
  return ticks;
}
