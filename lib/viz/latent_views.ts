/**
 * Latent views: 2-D projections (PCA or seeded UMAP) of latent codes, one colour per class, and
 * the three views of an EDE-GAN's latents (z, z_hat, z - z_hat). Pure plotly specs; the latents
 * come from the caller (a model run on test images), not from here.
 *
 * @module
 */
// @ts-types="@types/plotly.js"
import type * as Plotly from "plotly.js-dist-min";
import type { Figure } from "./figure.ts";
import { project2d } from "./_projection.ts";
import { axisTitle, figureTitle, NORMAL_COLOUR, PALETTE } from "./_layout.ts";

// ---------------------------------------------------------------------------------------------
// Latent scatter

/** Options of `latentScatter`. */
export interface LatentScatterOptions {
  /** "pca" is deterministic and fast; "umap" is seeded by `seed`. */
  method: "pca" | "umap";
  /** Group of each point; one trace per distinct value (many numbers: one colour scale). */
  colorBy: (string | number)[];
  /** Hover text of each point, shown after its index (put the score here). */
  hover: string[];
  /** Title of the figure. */
  title: string;
  /** Seed of UMAP's random numbers (default 0). */
  seed?: number;
  /** Colour of a group, by its `colorBy` value as a string (others: the default cycle). */
  colours?: Record<string, string>;
  /** Title prefix of the hover text, e.g. "test #" (default "item "). */
  itemPrefix?: string;
  /** The item number shown on hover for each point (default: its position). */
  items?: number[];
}

/** Above this many distinct numeric values, `colorBy` is drawn as a colour scale. */
const MAX_GROUPS = 20;

/**
 * A 2-D projection (PCA or seeded UMAP) of `points` (n x d), one trace per colour group, hover
 * showing each point's index and its `hover` text.
 *
 * @throws {RangeError} when `colorBy` or `hover` differ in length from `points`, or a point
 * holds a non-finite value.
 *
 * @example
 * ```ts
 * import { latentScatter } from "./latent_views.ts";
 * const fig = latentScatter([[0, 0, 1], [1, 0, 0], [0, 1, 0], [1, 1, 1]], {
 *   method: "pca",
 *   colorBy: ["normal", "normal", "anomalous", "anomalous"],
 *   hover: ["score 0.1", "score 0.2", "score 0.9", "score 0.8"],
 *   title: "z",
 * });
 * if (fig.data.length !== 2) throw new Error("one trace per group");
 * ```
 */
export function latentScatter(points: number[][], opts: LatentScatterOptions): Figure {
  const n = points.length;
  if (opts.colorBy.length !== n || opts.hover.length !== n) {
    throw new RangeError(
      `latentScatter: ${n} points, ${opts.colorBy.length} colorBy, ${opts.hover.length} hover`,
    );
  }
  const { coords, axisTitles } = project2d(points, opts.method, opts.seed ?? 0);
  const hovertemplate = `${opts.itemPrefix ?? "item "}%{customdata}<br>%{text}`;
  const itemOf = (i: number) => opts.items?.[i] ?? i;
  const distinct = [...new Set(opts.colorBy)];
  const numeric = distinct.every((v) => typeof v === "number");
  const data: Plotly.Data[] = [];
  if (numeric && distinct.length > MAX_GROUPS) {
    data.push({
      type: "scatter",
      mode: "markers",
      name: "points",
      x: coords.map((c) => c[0]),
      y: coords.map((c) => c[1]),
      customdata: coords.map((_, i) => itemOf(i)),
      text: opts.hover,
      hovertemplate,
      marker: { size: 6, color: opts.colorBy as number[], colorscale: "Viridis", showscale: true },
    });
  } else {
    distinct.sort((a, b) =>
      numeric ? (a as number) - (b as number) : String(a).localeCompare(String(b), "en", {
        numeric: true,
      })
    );
    let cycle = 0;
    distinct.forEach((group) => {
      const members = opts.colorBy.flatMap((v, i) => (v === group ? [i] : []));
      const colour = opts.colours?.[String(group)] ?? PALETTE[cycle++ % PALETTE.length];
      data.push({
        type: "scatter",
        mode: "markers",
        name: String(group),
        x: members.map((i) => coords[i][0]),
        y: members.map((i) => coords[i][1]),
        customdata: members.map(itemOf),
        text: members.map((i) => opts.hover[i]),
        hovertemplate,
        marker: { size: 6, opacity: 0.8, color: colour },
      });
    });
  }
  return {
    data,
    layout: {
      title: figureTitle(opts.title),
      xaxis: { title: axisTitle(axisTitles[0]), zeroline: false },
      yaxis: { title: axisTitle(axisTitles[1]), zeroline: false },
      hovermode: "closest",
    },
  };
}

/** Inputs of `latentViews`: the latents of the test items and what is known of them. */
export interface LatentViewsInput {
  /** z = E1(x), n x d. */
  z: number[][];
  /** z_hat = E2(Dec(z)), n x d. */
  zHat: number[][];
  /** Class of each item (e.g. the MNIST digit). */
  classes: (string | number)[];
  /** Whether each item is anomalous (1 / true) or normal. */
  isAnomaly: ArrayLike<number | boolean>;
  /** Anomaly score of each item, shown on hover. */
  scores: ArrayLike<number>;
  /** Projection (default "pca"). */
  method?: "pca" | "umap";
  /** Seed of UMAP (default 0). */
  seed?: number;
  /** Test index of each item, shown on hover (default: its position). */
  items?: number[];
  /** Prefix of figure titles, e.g. "tanh model: ". */
  titlePrefix?: string;
}

/**
 * Three latent scatter plots, of z = E1(x), of z_hat = E2(Dec(z)) and of z - z_hat (whose norm
 * is the EDE-GAN score), one colour per class with the normal class in black, hover showing the
 * test index, class and score.
 *
 * @throws {RangeError} when the inputs differ in length or z and z_hat in shape.
 *
 * @example
 * ```ts
 * import { latentViews } from "./latent_views.ts";
 * const figs = latentViews({
 *   z: [[0, 1], [1, 0], [2, 2]],
 *   zHat: [[0, 1], [1, 0.5], [0, 0]],
 *   classes: [0, 0, 7],
 *   isAnomaly: [0, 0, 1],
 *   scores: [0, 0.5, 2.8],
 * });
 * if (figs.length !== 3 || figs[2].data.length !== 2) throw new Error();
 * ```
 */
export function latentViews(input: LatentViewsInput): Figure[] {
  const { z, zHat, classes, isAnomaly, scores } = input;
  const n = z.length;
  if ([zHat.length, classes.length, isAnomaly.length, scores.length].some((m) => m !== n)) {
    throw new RangeError(
      `latentViews: lengths differ (z ${n}, zHat ${zHat.length}, classes ${classes.length}, ` +
        `isAnomaly ${isAnomaly.length}, scores ${scores.length})`,
    );
  }
  const diff = z.map((row, i) => {
    if (zHat[i].length !== row.length) {
      throw new RangeError(`latentViews: z[${i}] has ${row.length} dims, zHat ${zHat[i].length}`);
    }
    return row.map((v, j) => v - zHat[i][j]);
  });
  const colorBy = classes.map((c, i) => `class ${c} (${isAnomaly[i] ? "anomalous" : "normal"})`);
  const hover = classes.map((c, i) => `class ${c}<br>score ${Number(scores[i]).toPrecision(4)}`);
  const method = input.method ?? "pca";
  const name = method === "pca" ? "PCA" : "UMAP";
  const colours = Object.fromEntries(
    classes.flatMap((c, i) => isAnomaly[i] ? [] : [[`class ${c} (normal)`, NORMAL_COLOUR]]),
  );
  const view = (points: number[][], what: string) =>
    latentScatter(points, {
      method,
      colorBy,
      hover,
      title: `${input.titlePrefix ?? ""}${what} (${name})`,
      seed: input.seed,
      colours,
      items: input.items,
      itemPrefix: input.items ? "test #" : undefined,
    });
  return [
    view(z, "z = E1(x)"),
    view(zHat, "z_hat = E2(Dec(z))"),
    view(diff, "z - z_hat"),
  ];
}
