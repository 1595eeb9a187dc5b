/**
 * Visualisation: figure builders returning plotly specs (`figures.ts`: curves in `curves.ts`,
 * latent views in `latent_views.ts`, image grids in `image_grids.ts`; error analysis in
 * `analysis.ts`), and their renderers:
 * self-contained HTML pages (`html.ts`), Jupyter MIME bundles and progress lines
 * (`jupyter.ts`), and PNG through headless Chromium (`png.ts`). Nothing here knows any model.
 *
 * @example
 * ```ts
 * import { rocFigure, toHtml } from "./mod.ts";
 * const html = toHtml([rocFigure([{ name: "m", fpr: [0, 1], tpr: [0, 1], auc: 0.5 }])], "r");
 * if (!html.startsWith("<!DOCTYPE html>")) throw new Error();
 * ```
 *
 * @module
 */
export * from "./figures.ts";
export * from "./analysis.ts";
export { escapeHtml, htmlTable, toHtml, writeHtml } from "./html.ts";
export * from "./jupyter.ts";
export { figureToPng, type PngOptions } from "./png.ts";
