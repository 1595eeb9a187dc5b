/** Reading a report page back in tests: its figure divs, figure specs and table cells. */

/** The figure divs of a report page. */
export const figureDivs = (html: string): string[] =>
  html.match(/<div class="edegan-figure" id="figure-\d+"/g) ?? [];

/** How many copies of plotly.js a page inlines. */
export const plotlyCopies = (html: string): number => html.split("plotly.js v").length - 1;

/** The figure specs a report page draws, read back from its script. */
// deno-lint-ignore no-explicit-any
export const figuresOf = (html: string): any[] =>
  JSON.parse(html.match(/var figures = (.*);\n/)![1]);

/** An AUC as `htmlTable` shows it in a column named for it (4 decimals). */
export const aucCell = (auc: number): string => `>${auc.toFixed(4)}<`;

/** A number as `htmlTable` shows it in a cell (4 significant digits). */
export const cell = (x: number): string => `>${Number(x.toPrecision(4))}<`;

/** The `<section>` of a page under heading `heading`, or "" when there is none. */
export const sectionOf = (html: string, heading: string): string =>
  html.split("<section>").find((s) => s.startsWith(`\n<h2>${heading}</h2>`)) ?? "";
