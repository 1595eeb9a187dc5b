/**
 * Curves and plots of measured numbers: training curves (losses and test AUC), ROC curves, score
 * histograms with the threshold, and AUC against compression ratio. Pure plotly specs.
 *
 * @module
 */
// @ts-types="@types/plotly.js"
import type * as Plotly from "plotly.js-dist-min";
import type { Figure } from "./figure.ts";
import {
  axisTitle,
  errorBars,
  figureTitle,
  horizontalLine,
  legendAbove,
  logTicks,
  PALETTE,
  referenceTrace,
} from "./_layout.ts";

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
 * import { trainingCurves } from "./curves.ts";
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
    title: figureTitle(opts.title ?? "Training curves"),
    xaxis: { title: axisTitle(byStep ? "step" : "epoch") },
    yaxis: { title: axisTitle("loss") },
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
      title: axisTitle("test AUC"),
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
 * import { rocFigure } from "./curves.ts";
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
  data.push(referenceTrace("chance", [0, 1], [0, 1], "dash"));
  return {
    data,
    layout: {
      title: figureTitle(opts.title ?? "ROC"),
      xaxis: { title: axisTitle("false positive rate"), range: [0, 1], constrain: "domain" },
      yaxis: { title: axisTitle("true positive rate"), range: [0, 1], scaleanchor: "x" },
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
 * import { scoreHistogram } from "./curves.ts";
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
    title: figureTitle(opts.title ?? "Anomaly scores"),
    barmode: "overlay",
    xaxis: { title: axisTitle("score (higher = more anomalous)") },
    yaxis: { title: axisTitle("fraction of class") },
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
 * import { compressionVsAuc } from "./curves.ts";
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
      ...(std.some((v) => Number.isFinite(v)) ? { error_y: errorBars(std, 4) } : {}),
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
        ? { error_y: errorBars(points.map((p) => p.std), 4) }
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
  const ticks = logTicks(lo, hi, 1.5);
  return {
    data,
    layout: {
      title: figureTitle(opts.title ?? "AUC against compression"),
      xaxis: {
        type: "log",
        title: axisTitle("compression ratio (teacher FLOPs / student FLOPs; teacher = 1)"),
        tickvals: ticks,
        ticktext: ticks.map(String),
        range: [Math.log10(lo / 1.3), Math.log10(hi * 1.3)],
      },
      yaxis: { title: axisTitle("test ROC AUC") },
      shapes: [horizontalLine(teacher.auc, { color: "black", dash: "dot", width: 1 })],
      // A few series: one row above the plot. More: one per line below the axis title, where
      // they cannot wrap onto the title or the plot.
      ...(data.length <= 5 ? { legend: legendAbove(), margin: { t: 90 } } : {
        legend: { orientation: "v", x: 0, xanchor: "left", y: -0.22, yanchor: "top" },
        margin: { t: 60, b: 80 + 22 * data.length },
      }),
      height: data.length <= 5 ? 520 : 520 + 22 * data.length,
    },
  };
}
