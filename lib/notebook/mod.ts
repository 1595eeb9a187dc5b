/**
 * Notebooks: executing `notebooks/*.ipynb` headlessly on Deno's Jupyter kernel through nbclient,
 * publishing them as HTML with nbconvert, and reading their outputs back (errors, plotly
 * bundles, the final table of AUCs) for `deno task notebooks --check` and the tests.
 *
 * @example
 * ```ts
 * import { savedOutputProblems } from "./mod.ts";
 * const nb = { nbformat: 4, nbformat_minor: 5, metadata: {}, cells: [] };
 * if (savedOutputProblems(nb).length !== 0) throw new Error();
 * ```
 *
 * @module
 */
export * from "./notebook.ts";
export * from "./execute.ts";
