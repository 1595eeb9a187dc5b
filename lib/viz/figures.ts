/**
 * Figure builders: pure functions from measured numbers to plotly figure specs. They draw
 * nothing and load no plotting library; `html.ts`, `jupyter.ts` and `png.ts` render the specs.
 *
 * @module
 */
// @ts-types="@types/plotly.js"
import type * as Plotly from "plotly.js-dist-min";
import { project2d } from "./_projection.ts";

/** A plotly figure spec, as `Plotly.newPlot(div, data, layout)` takes it. */
export interface Figure {
  /** The traces, drawn in order. */
  data: Plotly.Data[];
  /** Axes, title, shapes and annotations. */
  layout: Partial<Plotly.Layout>;
}

/** Plotly's default colour cycle, so that the same series keeps its colour across figures. */
const PALETTE = [
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

const title = (text: string) => ({ text });
/** The normal class's colour in every figure that shows classes (analysis.ts uses it too). */
const NORMAL_COLOUR = "#111111";
/** A figure title, left-aligned: plotly's toolbar (top right) then never covers it. */
const figTitle = (text: string) => ({ text, x: 0.01, xanchor: "left" as const });

// ---------------------------------------------------------------------------------------------
// Training curves

/** One record of a training history (one per logged step, or one per epoch). */
export interface TrainingRecord {
  /** Optimiser step; used as the x axis when every record has one. */
  step?: number;
  /** Epoch, from 1. */
  epoch: number;
  /** Total generator loss. */
  lossG: number;
  /** Discriminator loss. */
  lossD: number;
  /** Adversarial (feature-matching) part of the generator loss. */
  lossAdv?: number;
  /** Contextual (reconstruction) part of the generator loss. */
  lossCon?: number;
  /** Latent (encoder) part of the generator loss. */
  lossLat?: number;
  /** Test ROC AUC, usually logged once per epoch. */
  auc?: number;
}

const LOSS_SERIES: [keyof TrainingRecord, string][] = [
  ["lossG", "generator loss"],
  ["lossD", "discriminator loss"],
  ["lossAdv", "adversarial loss"],
  ["lossCon", "contextual loss"],
  ["lossLat", "latent loss"],
];

/**
 * Losses against step (when every record has one) or epoch, with the test AUC per epoch on a
 * second y axis (right, range [0, 1]). A loss series is drawn only when some record carries it,
 * through the records that carry it (a missing value is left out: never 0, never a gap); the AUC
 * of an epoch is the last one logged in it. `lossPanels` (analysis.ts) draws each loss apart.
 *
 * @example
 * ```ts
 * import { trainingCurves } from "./figures.ts";
 * const fig = trainingCurves([
 *   { step: 1, epoch: 1, lossG: 3, lossD: 1.2 },
 *   { step: 2, epoch: 1, lossG: 2, lossD: 1.1, auc: 0.7 },
 * ]);
 * if (fig.data.length !== 3) throw new Error("G, D and AUC");
 * ```
 */
export function trainingCurves(
  history: TrainingRecord[],
  opts: { title?: string } = {},
): Figure {
  const byStep = history.length > 0 && history.every((r) => r.step !== undefined);
  const xOf = (r: TrainingRecord) => (byStep ? r.step! : r.epoch);
  const data: Plotly.Data[] = [];
  LOSS_SERIES.forEach(([key, name], i) => {
    // Records without this value are left out, not drawn as gaps that cut the line.
    const present = history.filter((r) => Number.isFinite(r[key]));
    if (present.length === 0) return;
    data.push({
      type: "scatter",
      mode: present.length > 50 ? "lines" : "lines+markers",
      name,
      x: present.map(xOf),
      y: present.map((r) => r[key] as number),
      line: { color: PALETTE[i] },
      hovertemplate: `${name} %{y:.4g}<extra>${byStep ? "step" : "epoch"} %{x}</extra>`,
    });
  });
  const lastAucOfEpoch = new Map<number, TrainingRecord>();
  for (const r of history) if (Number.isFinite(r.auc)) lastAucOfEpoch.set(r.epoch, r);
  const layout: Partial<Plotly.Layout> = {
    title: figTitle(opts.title ?? "Training curves"),
    xaxis: { title: title(byStep ? "step" : "epoch") },
    yaxis: { title: title("loss") },
    legend: { orientation: "h", y: -0.2 },
    hovermode: "closest",
  };
  if (lastAucOfEpoch.size > 0) {
    const records = [...lastAucOfEpoch.values()];
    data.push({
      type: "scatter",
      mode: "lines+markers",
      name: "test AUC",
      x: records.map(xOf),
      y: records.map((r) => r.auc!),
      text: records.map((r) => `epoch ${r.epoch}`),
      yaxis: "y2",
      line: { color: "black", dash: "dot" },
      marker: { symbol: "diamond", size: 8 },
      hovertemplate: "AUC %{y:.4f}<extra>%{text}</extra>",
    });
    layout.yaxis2 = {
      title: title("test AUC"),
      overlaying: "y",
      side: "right",
      range: [0, 1],
      // Own ticks: the default syncs them to the loss grid, giving values like 0.613.
      tickmode: "auto",
      tickformat: ".2f",
      showgrid: false,
    };
  }
  return { data, layout };
}

// ---------------------------------------------------------------------------------------------
// ROC

/** One model's ROC curve, as `rocCurve` and `rocAuc` give it. */
export interface NamedRocCurve {
  /** The model's name in the legend. */
  name: string;
  /** False positive rates, from `rocCurve`. */
  fpr: number[];
  /** True positive rates, from `rocCurve`. */
  tpr: number[];
  /** ROC AUC, from `rocAuc`, shown in the legend. */
  auc: number;
}

/**
 * Several models' ROC curves on one square plot, each named with its AUC, plus the chance
 * diagonal as the last trace.
 *
 * @example
 * ```ts
 * import { rocFigure } from "./figures.ts";
 * const fig = rocFigure([{ name: "EDE-GAN", fpr: [0, 0, 1], tpr: [0, 1, 1], auc: 1 }]);
 * if (fig.data.length !== 2) throw new Error("one curve plus the diagonal");
 * ```
 */
export function rocFigure(curves: NamedRocCurve[], opts: { title?: string } = {}): Figure {
  const data: Plotly.Data[] = curves.map((c, i) => {
    if (c.fpr.length !== c.tpr.length) {
      throw new RangeError(`rocFigure: ${c.name} has ${c.fpr.length} fpr, ${c.tpr.length} tpr`);
    }
    return {
      type: "scatter",
      mode: "lines",
      name: `${c.name} (AUC ${c.auc.toFixed(3)})`,
      x: c.fpr,
      y: c.tpr,
      line: { color: PALETTE[i % PALETTE.length], width: 2 },
      hovertemplate: "FPR %{x:.3f}, TPR %{y:.3f}",
    };
  });
  data.push({
    type: "scatter",
    mode: "lines",
    name: "chance",
    x: [0, 1],
    y: [0, 1],
    line: { color: "gray", dash: "dash", width: 1 },
    hoverinfo: "skip",
  });
  return {
    data,
    layout: {
      title: figTitle(opts.title ?? "ROC"),
      xaxis: { title: title("false positive rate"), range: [0, 1], constrain: "domain" },
      yaxis: { title: title("true positive rate"), range: [0, 1], scaleanchor: "x" },
      legend: { x: 0.98, xanchor: "right", y: 0.02, yanchor: "bottom" },
      // Width follows the page; the square is kept by scaleanchor.
      height: 520,
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Score histogram

/**
 * Overlaid histograms of normal and anomalous scores on shared bins, each normalised to the
 * fraction of its class, with an optional decision threshold drawn as a dashed vertical line.
 *
 * @throws {RangeError} on a length mismatch or a non-finite score.
 *
 * @example
 * ```ts
 * import { scoreHistogram } from "./figures.ts";
 * const fig = scoreHistogram([0.1, 0.2, 0.8, 0.9], [0, 0, 1, 1], 0.5);
 * if (fig.data.length !== 2 || fig.layout.shapes?.[0].x0 !== 0.5) throw new Error();
 * ```
 */
export function scoreHistogram(
  scores: ArrayLike<number>,
  isAnomaly: ArrayLike<number | boolean>,
  threshold?: number,
  opts: { title?: string; bins?: number } = {},
): Figure {
  if (scores.length !== isAnomaly.length) {
    throw new RangeError(
      `scoreHistogram: ${scores.length} scores but ${isAnomaly.length} anomaly flags`,
    );
  }
  const normal: number[] = [], anomalous: number[] = [];
  let min = Infinity, max = -Infinity;
  for (let i = 0; i < scores.length; i++) {
    const s = scores[i];
    if (!Number.isFinite(s)) throw new RangeError(`scoreHistogram: score ${i} is ${s}`);
    (isAnomaly[i] ? anomalous : normal).push(s);
    min = Math.min(min, s);
    max = Math.max(max, s);
  }
  if (threshold !== undefined && Number.isFinite(threshold)) {
    min = Math.min(min, threshold);
    max = Math.max(max, threshold);
  }
  const bins = opts.bins ?? 40;
  const size = max > min ? (max - min) / bins : 1;
  // Shared explicit bins so that the two classes are compared bar against bar.
  const xbins = { start: min, end: max + size / 2, size };
  const trace = (name: string, values: number[], color: string): Plotly.Data => ({
    type: "histogram",
    name: `${name} (n=${values.length})`,
    x: values,
    xbins,
    autobinx: false,
    histnorm: "probability",
    opacity: 0.6,
    marker: { color },
  });
  const layout: Partial<Plotly.Layout> = {
    title: figTitle(opts.title ?? "Anomaly scores"),
    barmode: "overlay",
    xaxis: { title: title("score (higher = more anomalous)") },
    yaxis: { title: title("fraction of class") },
    legend: { x: 0.98, xanchor: "right", y: 0.98 },
  };
  if (threshold !== undefined) {
    layout.shapes = [{
      type: "line",
      xref: "x",
      yref: "paper",
      x0: threshold,
      x1: threshold,
      y0: 0,
      y1: 1,
      line: { color: "black", dash: "dash", width: 2 },
    }];
    layout.annotations = [{
      x: threshold,
      xref: "x",
      y: 1,
      yref: "paper",
      text: `threshold ${threshold.toPrecision(4)}`,
      showarrow: false,
      xanchor: "left",
      yanchor: "bottom",
    }];
  }
  return {
    data: [trace("normal", normal, PALETTE[0]), trace("anomalous", anomalous, PALETTE[3])],
    layout,
  };
}

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
 * import { latentScatter } from "./figures.ts";
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
      title: figTitle(opts.title),
      xaxis: { title: title(axisTitles[0]), zeroline: false },
      yaxis: { title: title(axisTitles[1]), zeroline: false },
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
 * import { latentViews } from "./figures.ts";
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

// ---------------------------------------------------------------------------------------------
// Compression against AUC

/** AUCs of students of one size. */
export interface CompressionRow {
  /** Compression ratio of the student (the teacher is 1). */
  ratio: number;
  /** AUC of the student trained from scratch, without a teacher. */
  aucScratch?: number;
  /** AUC of the student distilled in one step from the trained teacher. */
  aucOneStep?: number;
  /** AUC of the student distilled by P-KDGAN. */
  aucPkdgan?: number;
  /** Spread (e.g. std over seeds) of each AUC, drawn as error bars. */
  stdScratch?: number;
  stdOneStep?: number;
  stdPkdgan?: number;
  /** Names the student, shown on hover. */
  label: string;
}

/** More points on the compression plot: committed results, published figures, other runs. */
export interface CompressionSeries {
  /** Legend name, e.g. "published P-KDGAN (MNIST average)". */
  name: string;
  points: { ratio: number; auc: number; std?: number; label?: string }[];
  /** Marker symbol (default "x"). */
  symbol?: string;
  /** Colour (default: after the three methods' colours). */
  colour?: string;
  /** Join the points with a dashed line (default: markers only). */
  line?: boolean;
}

const STUDENT_SERIES: [keyof CompressionRow, keyof CompressionRow, string, string][] = [
  ["aucScratch", "stdScratch", "trained from scratch", "circle"],
  ["aucOneStep", "stdOneStep", "one-step KD", "square"],
  ["aucPkdgan", "stdPkdgan", "P-KDGAN", "diamond"],
];

/** Tick values 1, 2, 5, 10, 20, ... covering [lo, hi], so a log axis shows no stray minor labels. */
function logTicks(lo: number, hi: number): number[] {
  const ticks: number[] = [];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) {
    for (const m of [1, 2, 5]) {
      const v = m * 10 ** e;
      if (v >= lo / 1.5 && v <= hi * 1.5) ticks.push(v);
    }
  }
  return ticks;
}

/**
 * Test AUC against compression ratio on a log x axis: one line each for students trained from
 * scratch, by one-step distillation and by P-KDGAN (a line only when some row has it; error bars
 * where a spread is given), the teacher as a star at ratio 1 with a dotted horizontal line at its
 * AUC, and any `extra` series (committed results, published figures). The three methods' markers
 * are nudged apart along x (±4 %) so that equal AUCs do not hide each other; hover gives the true
 * ratio. Ticks are 1-2-5 per decade; the legend sits above the plot, clear of the axis title.
 *
 * @throws {RangeError} on a ratio that is not positive and finite.
 *
 * @example
 * ```ts
 * import { compressionVsAuc } from "./figures.ts";
 * const fig = compressionVsAuc(
 *   [{ ratio: 4, aucScratch: 0.8, aucPkdgan: 0.9, label: "width 16" }],
 *   { auc: 0.93 },
 * );
 * if (fig.layout.xaxis?.type !== "log" || fig.data.length !== 3) throw new Error();
 * ```
 */
export function compressionVsAuc(
  rows: CompressionRow[],
  teacher: { auc: number; label?: string },
  opts: { title?: string; extra?: CompressionSeries[] } = {},
): Figure {
  const extra = opts.extra ?? [];
  const ratios = [
    1,
    ...rows.map((r) => ({ ratio: r.ratio, label: r.label })),
    ...extra.flatMap((e) => e.points.map((p) => ({ ratio: p.ratio, label: p.label ?? e.name }))),
  ];
  for (const r of ratios) {
    if (typeof r === "number") continue;
    if (!(r.ratio > 0 && Number.isFinite(r.ratio))) {
      throw new RangeError(`compressionVsAuc: ratio of ${r.label} is ${r.ratio}`);
    }
  }
  const sorted = [...rows].sort((a, b) => a.ratio - b.ratio);
  const data: Plotly.Data[] = [];
  STUDENT_SERIES.forEach(([key, stdKey, name, symbol], i) => {
    const present = sorted.filter((r) => Number.isFinite(r[key]));
    if (present.length === 0) return;
    const std = present.map((r) => r[stdKey] as number | undefined);
    data.push({
      type: "scatter",
      mode: "lines+markers",
      name,
      // Nudged apart along x so that equal AUCs stay visible; hover shows the true ratio.
      x: present.map((r) => r.ratio * 1.04 ** (i - 1)),
      y: present.map((r) => r[key] as number),
      customdata: present.map((r) => r.ratio),
      text: present.map((r) => r.label),
      hovertemplate: `%{text}<br>ratio %{customdata:.4g}<br>AUC %{y:.4f}<extra>${name}</extra>`,
      line: { color: PALETTE[i] },
      marker: { symbol, size: 9 },
      ...(std.some((v) => Number.isFinite(v))
        ? {
          error_y: {
            type: "data" as const,
            array: std.map((v) => (Number.isFinite(v) ? v! : 0)),
            visible: true,
            thickness: 1.2,
            width: 4,
          },
        }
        : {}),
    });
  });
  extra.forEach((series, j) => {
    const points = [...series.points].sort((a, b) => a.ratio - b.ratio);
    const colour = series.colour ?? PALETTE[(3 + j) % PALETTE.length];
    data.push({
      type: "scatter",
      mode: series.line ? "lines+markers" : "markers",
      name: series.name,
      x: points.map((p) => p.ratio),
      y: points.map((p) => p.auc),
      text: points.map((p) => p.label ?? series.name),
      hovertemplate: `%{text}<br>ratio %{x:.4g}<br>AUC %{y:.4f}<extra>${series.name}</extra>`,
      line: { color: colour, dash: "dash" },
      marker: { symbol: series.symbol ?? "x", size: 10, color: colour },
      ...(points.some((p) => Number.isFinite(p.std))
        ? {
          error_y: {
            type: "data" as const,
            array: points.map((p) => (Number.isFinite(p.std) ? p.std! : 0)),
            visible: true,
            thickness: 1.2,
            width: 4,
          },
        }
        : {}),
    });
  });
  const teacherLabel = teacher.label ?? "teacher";
  data.push({
    type: "scatter",
    mode: "markers",
    name: teacherLabel,
    x: [1],
    y: [teacher.auc],
    marker: { symbol: "star", size: 16, color: "black" },
    hovertemplate: `${teacherLabel}<br>AUC %{y:.4f}<extra></extra>`,
  });
  const values = ratios.map((r) => (typeof r === "number" ? r : r.ratio));
  const lo = Math.min(...values), hi = Math.max(...values);
  const ticks = logTicks(lo, hi);
  return {
    data,
    layout: {
      title: figTitle(opts.title ?? "AUC against compression"),
      xaxis: {
        type: "log",
        title: title("compression ratio (teacher FLOPs / student FLOPs; teacher = 1)"),
        tickvals: ticks,
        ticktext: ticks.map(String),
        range: [Math.log10(lo / 1.3), Math.log10(hi * 1.3)],
      },
      yaxis: { title: title("test ROC AUC") },
      shapes: [{
        type: "line",
        xref: "paper",
        x0: 0,
        x1: 1,
        yref: "y",
        y0: teacher.auc,
        y1: teacher.auc,
        line: { color: "black", dash: "dot", width: 1 },
      }],
      // A few series: one row above the plot. More: one per line below the axis title, where
      // they cannot wrap onto the title or the plot.
      ...(data.length <= 5
        ? { legend: { orientation: "h", x: 0, y: 1.02, yanchor: "bottom" }, margin: { t: 90 } }
        : {
          legend: { orientation: "v", x: 0, xanchor: "left", y: -0.22, yanchor: "top" },
          margin: { t: 60, b: 80 + 22 * data.length },
        }),
      height: data.length <= 5 ? 520 : 520 + 22 * data.length,
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Image grids

/** One image of a grid; pixels row-major height x width x channels (tfjs NHWC order). */
export interface GridImage {
  /** height x width x channels values. */
  pixels: Float32Array | Uint8Array;
  /** Rows of pixels. */
  height: number;
  /** Columns of pixels. */
  width: number;
  /** 1 (grey) or 3 (RGB). */
  channels: number;
  /** Shown above the image. */
  title?: string;
  /** Pixel values mapped to black and white; inferred when absent (see `imageGrid`). */
  range?: [number, number];
  /** Draw as a heat map with this colour scale (e.g. "Hot" for |x - x_hat|); channels averaged. */
  colorscale?: string;
  /** Show this heat map's colour bar, with this title, right of the grid beside its row. */
  colorbar?: string;
}

/** Options of `imageGrid`. */
export interface ImageGridOptions {
  /** Images per row (default: all in one row, at most 8). */
  columns?: number;
  /** Title of the figure. */
  title?: string;
  /** Side of one cell in pixels (default 110). */
  cellPx?: number;
  /** Labels written vertically left of each row. */
  rowLabels?: string[];
}

/**
 * A grid of images, one subplot each: 3-channel images as plotly `image` traces, 1-channel
 * images and any image with a `colorscale` as heat maps (grey unless a colour scale is given).
 * Value ranges, when not given, are inferred: Uint8Array [0, 255]; floats within [0, 1] as
 * [0, 1], within [-1, 1] (tanh outputs) as [-1, 1], otherwise their own min and max.
 *
 * @throws {RangeError} when an image's pixel count differs from height x width x channels.
 *
 * @example
 * ```ts
 * import { imageGrid } from "./figures.ts";
 * const fig = imageGrid([
 *   { pixels: new Float32Array([0, 1, 1, 0]), height: 2, width: 2, channels: 1, title: "x" },
 *   { pixels: new Uint8Array(12).fill(200), height: 2, width: 2, channels: 3 },
 * ]);
 * if (fig.data[0].type !== "heatmap" || fig.data[1].type !== "image") throw new Error();
 * ```
 */
export function imageGrid(images: GridImage[], opts: ImageGridOptions = {}): Figure {
  const columns = Math.max(1, opts.columns ?? Math.min(images.length, 8));
  const rows = Math.max(1, Math.ceil(images.length / columns));
  const cell = opts.cellPx ?? 110;
  // Room above each cell for its title: 22 px for one line, 14 px more per extra line (<br>).
  const lines = Math.max(1, ...images.map((img) => (img.title ?? "").split("<br>").length));
  const titleGap = 8 + 14 * lines;
  const bars = images.some((img) => img.colorbar !== undefined);
  const margin = {
    l: opts.rowLabels ? 34 : 10,
    r: bars ? 90 : 10,
    t: opts.title ? 50 : 10,
    b: 10,
  };
  const width = columns * cell + margin.l + margin.r;
  const plotHeight = rows * (cell + titleGap);
  const height = plotHeight + margin.t + margin.b;
  const gap = 0.04 / columns;
  const layout: Partial<Plotly.Layout> = {
    title: opts.title ? figTitle(opts.title) : undefined,
    width,
    height,
    margin,
    showlegend: false,
    annotations: [],
  };
  const data: Plotly.Data[] = [];
  const axes = layout as Record<string, unknown>;
  images.forEach((img, i) => {
    const expected = img.height * img.width * img.channels;
    if (img.pixels.length !== expected) {
      throw new RangeError(
        `imageGrid: image ${i} has ${img.pixels.length} values, ` +
          `expected ${img.height}x${img.width}x${img.channels} = ${expected}`,
      );
    }
    const row = Math.floor(i / columns), col = i % columns;
    const x0 = col / columns + gap, x1 = (col + 1) / columns - gap;
    const top = 1 - (row * (cell + titleGap) + titleGap) / plotHeight;
    const bottom = 1 - (row + 1) * (cell + titleGap) / plotHeight;
    const suffix = i === 0 ? "" : String(i + 1);
    const hidden = { showticklabels: false, showgrid: false, zeroline: false, ticks: "" };
    axes[`xaxis${suffix}`] = { ...hidden, domain: [x0, x1], anchor: `y${suffix}` };
    axes[`yaxis${suffix}`] = {
      ...hidden,
      domain: [bottom, top],
      anchor: `x${suffix}`,
      autorange: "reversed",
      scaleanchor: `x${suffix}`,
    };
    const trace = { ...imageTrace(img), xaxis: `x${suffix}`, yaxis: `y${suffix}` };
    if (img.colorbar !== undefined && trace.type === "heatmap") {
      Object.assign(trace, {
        showscale: true,
        colorbar: {
          title: { text: img.colorbar, side: "right" },
          x: 1.01,
          xanchor: "left",
          y: (top + bottom) / 2,
          yanchor: "middle",
          len: top - bottom,
          thickness: 10,
          tickfont: { size: 9 },
        },
      });
    }
    data.push(trace);
    if (img.title) {
      layout.annotations!.push({
        text: img.title,
        xref: "paper",
        yref: "paper",
        x: (x0 + x1) / 2,
        y: top,
        xanchor: "center",
        yanchor: "bottom",
        showarrow: false,
        font: { size: 11 },
      });
    }
  });
  opts.rowLabels?.slice(0, rows).forEach((text, row) => {
    layout.annotations!.push({
      text,
      xref: "paper",
      yref: "paper",
      x: 0,
      y: 1 - (row * (cell + titleGap) + titleGap + cell / 2) / plotHeight,
      xanchor: "right",
      yanchor: "middle",
      textangle: "-90",
      showarrow: false,
      font: { size: 11 },
    });
  });
  return { data, layout };
}

function inferRange(img: GridImage): [number, number] {
  if (img.range) return img.range;
  if (img.pixels instanceof Uint8Array) return [0, 255];
  let min = Infinity, max = -Infinity;
  for (const v of img.pixels) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (min >= 0 && max <= 1) return [0, 1];
  if (min >= -1 && max <= 1) return [-1, 1];
  return max > min ? [min, max] : [min, min + 1];
}

function imageTrace(img: GridImage): Plotly.Data {
  const [lo, hi] = inferRange(img);
  const { height: h, width: w, channels: c, pixels } = img;
  if (c === 3 && !img.colorscale) {
    const scale = 255 / (hi - lo);
    const z = Array.from({ length: h }, (_, y) =>
      Array.from({ length: w }, (_, x) => {
        const at = (y * w + x) * 3;
        return [0, 1, 2].map((k) => {
          const v = Math.round((pixels[at + k] - lo) * scale);
          return v < 0 ? 0 : v > 255 ? 255 : v;
        });
      }));
    return { type: "image", z, hovertemplate: "(%{x}, %{y}) %{z}<extra></extra>" };
  }
  const z = Array.from({ length: h }, (_, y) =>
    Array.from({ length: w }, (_, x) => {
      let sum = 0;
      for (let k = 0; k < c; k++) sum += pixels[(y * w + x) * c + k];
      return sum / c;
    }));
  return {
    type: "heatmap",
    z,
    zmin: lo,
    zmax: hi,
    colorscale: img.colorscale ?? [[0, "#000000"], [1, "#ffffff"]],
    showscale: false,
    hovertemplate: "(%{x}, %{y}) %{z:.3f}<extra></extra>",
  };
}

/** Inputs of `reconstructionGrid`: a batch of test images, their reconstructions and scores. */
export interface ReconstructionGridInput {
  /** n x height x width x channels, flat (e.g. `tensor.dataSync()`). */
  images: Float32Array | Uint8Array;
  /** G(x), same layout as `images`. */
  reconstructions: Float32Array | Uint8Array;
  /** Anomaly score of each item (higher = more anomalous). */
  scores: ArrayLike<number>;
  /** Image height in pixels. */
  height: number;
  /** Image width in pixels. */
  width: number;
  /** Channels per pixel (1 or 3). */
  channels: number;
  /** How many of each extreme to show (default 6). */
  k?: number;
  /** Title of the figure. */
  title?: string;
  /** The test-set index of each item, shown in its title (default: its position here). */
  items?: ArrayLike<number>;
  /** The true class of each item, shown in its title. */
  classes?: ArrayLike<number>;
}

/**
 * The `k` most normal and `k` most anomalous test items by score, as six labelled rows: image
 * (titled with its test index from `items`, its class when `classes` is given, and its score),
 * reconstruction and |x - x_hat| heat map (with a colour bar) of the most normal (most normal
 * first), then the same of the most anomalous (most anomalous first).
 *
 * @throws {RangeError} when the arrays disagree in size.
 *
 * @example
 * ```ts
 * import { reconstructionGrid } from "./figures.ts";
 * const x = new Float32Array(3 * 4), xHat = x.map((_, i) => (i % 4) / 4);
 * const fig = reconstructionGrid({
 *   images: x, reconstructions: xHat, scores: [0.1, 0.9, 0.5],
 *   height: 2, width: 2, channels: 1, k: 1,
 * });
 * if (fig.data.length !== 6) throw new Error("2 extremes x 3 rows");
 * ```
 */
export function reconstructionGrid(input: ReconstructionGridInput): Figure {
  const { images, reconstructions, scores, height, width, channels } = input;
  const size = height * width * channels;
  const n = scores.length;
  if (input.items && input.items.length !== n) {
    throw new RangeError(`reconstructionGrid: ${n} scores but ${input.items.length} items`);
  }
  if (images.length !== n * size || reconstructions.length !== n * size) {
    throw new RangeError(
      `reconstructionGrid: ${n} scores need ${n * size} values each; ` +
        `got ${images.length} images, ${reconstructions.length} reconstructions`,
    );
  }
  const k = Math.min(input.k ?? 6, Math.floor(n / 2) || n);
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a] - scores[b]);
  const mostNormal = order.slice(0, k), mostAnomalous = order.slice(n - k).reverse();
  const cells: GridImage[] = [];
  const range = inferRange({ pixels: images, height: 1, width: 1, channels: images.length });
  for (const indices of [mostNormal, mostAnomalous]) {
    const slices = indices.map((i) => ({
      i,
      x: images.subarray(i * size, (i + 1) * size),
      xHat: reconstructions.subarray(i * size, (i + 1) * size),
    }));
    for (const { i, x } of slices) {
      cells.push({
        pixels: x,
        height,
        width,
        channels,
        range,
        title: `${input.classes ? `class ${input.classes[i]} · ` : ""}#${input.items?.[i] ?? i}` +
          `<br>s=${Number(Number(scores[i]).toPrecision(3))}`,
      });
    }
    for (const { xHat } of slices) {
      cells.push({ pixels: xHat, height, width, channels, range });
    }
    for (const [j, { x, xHat }] of slices.entries()) {
      const diff = new Float32Array(size);
      for (let j = 0; j < size; j++) diff[j] = Math.abs(x[j] - xHat[j]);
      cells.push({
        pixels: diff,
        height,
        width,
        channels,
        range: [0, range[1] - range[0]],
        colorscale: "Hot",
        ...(j === 0 ? { colorbar: "|x - x_hat|" } : {}),
      });
    }
  }
  const rowLabels = ["normal: x", "x_hat", "|x - x_hat|", "anomalous: x", "x_hat", "|x - x_hat|"];
  return imageGrid(cells, {
    columns: k,
    rowLabels,
    title: input.title ?? "Most normal and most anomalous test images",
  });
}
