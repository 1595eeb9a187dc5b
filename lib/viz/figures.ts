/**
 * Figure builders: pure functions from measured numbers to plotly figure specs. They draw
 * nothing and load no plotting library; `html.ts`, `jupyter.ts` and `png.ts` render the specs.
 * Curves and plots are in `curves.ts`, latent views in `latent_views.ts`, image grids in
 * `image_grids.ts` (error analysis in `analysis.ts`); this module re-exports the three, and the
 * spec they build (`Figure`, in `figure.ts`).
 *
 * @module
 */
export type { Figure } from "./figure.ts";
export * from "./curves.ts";
export * from "./latent_views.ts";
export * from "./image_grids.ts";
