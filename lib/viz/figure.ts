/**
 * The figure spec every builder returns and every renderer (`html.ts`, `jupyter.ts`, `png.ts`)
 * takes: plotly's data and layout, nothing drawn.
 *
 * @module
 */
// @ts-types="@types/plotly.js"
import type * as Plotly from "plotly.js-dist-min";

/**
 * A plotly figure spec, as `Plotly.newPlot(div, data, layout)` takes it.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import type { Figure } from "./figure.ts";
 * const figure: Figure = { data: [{ x: [0, 1], y: [0, 1] }], layout: { title: { text: "ROC" } } };
 * assertEquals(figure.data.length, 1);
 * ```
 */
export interface Figure {
  /** The traces, drawn in order. */
  data: Plotly.Data[];
  /** Axes, title, shapes and annotations. */
  layout: Partial<Plotly.Layout>;
}
