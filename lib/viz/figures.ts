/**
 * Figure builders: pure functions from measured numbers to plotly figure specs. They draw
 * nothing and load no plotting library; `html.ts`, `jupyter.ts` and `png.ts` render the specs.
 * Curves and plots are in `curves.ts`, latent views in `latent_views.ts`, image grids in
 * `image_grids.ts` (error analysis in `analysis.ts`); this module re-exports the three.
 *
 * @module
 */
// @ts-types="@types/plotly.js"
import type * as Plotly from "plotly.js-dist-min";

/** A plotly figure spec, as `Plotly.newPlot(div, data, layout)` takes it. */
export interface Figure {
  /** The traces, drawn in order. */
  data: Plotly.Data[];
  /** Axes, title, shapes and annotations. */
  layout: Partial<Plotly.Layout>;
}

export * from "./curves.ts";
export * from "./latent_views.ts";
export * from "./image_grids.ts";
