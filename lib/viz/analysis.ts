/**
 * Error-analysis figures, pure plotly specs as in `figures.ts`: galleries of the false positives
 * and false negatives at a threshold, scores per class, AUC per class, two models' scores against
 * each other, precision-recall curves with the prevalence beside AP, and panels of losses.
 *
 * A value that is missing (`null`, `undefined`, NaN) is never drawn: it is left out of its series
 * (never drawn as 0, and never a gap that cuts a line), or shown as "n/a" where a bar would be.
 *
 * @module
 */
// @ts-types="@types/plotly.js"
import type * as Plotly from "plotly.js-dist-min";
import { averagePrecision, rocAuc } from "../metrics/mod.ts";
import { precisionRecallCurve } from "../metrics/precision_recall_curve.ts";
import type { Figure } from "./figure.ts";
import { type GridImage, imageGrid } from "./image_grids.ts";
import {
  errorBars,
  figureTitle,
  finite,
  horizontalLine,
  legendAbove,
  logTicks,
  NORMAL_COLOUR,
  PALETTE,
  referenceTrace,
} from "./_layout.ts";

export { NORMAL_COLOUR };

/** Writes a score compactly: 4 significant digits. */
function fmtScore(s: number): string {
  return Number(s.toPrecision(4)).toString();
}

// ---------------------------------------------------------------------------------------------
// False positives and false negatives

/** The test items a threshold gets wrong, worst first. */
export interface ThresholdErrors {
  /** Normal items scored at or above the threshold, highest score first. */
  falsePositives: number[];
  /** Anomalous items scored below the threshold, lowest score first. */
  falseNegatives: number[];
  /** Normal and anomalous items in all. */
  normals: number;
  anomalies: number;
}

/**
 * The false positives (normal, score >= threshold) and false negatives (anomalous, score <
 * threshold) of a decision threshold, each sorted from the most wrong.
 *
 * @throws {RangeError} when the lengths differ or a score is not finite.
 *
 * @example
 * ```ts
 * import { thresholdErrors } from "./analysis.ts";
 * const e = thresholdErrors([0.9, 0.2, 0.1, 0.7, 0.5], [0, 0, 1, 1, 0], 0.5);
 * if (e.falsePositives.join() !== "0,4" || e.falseNegatives.join() !== "2") throw new Error();
 * ```
 */
export function thresholdErrors(
  scores: ArrayLike<number>,
  isAnomaly: ArrayLike<number | boolean>,
  threshold: number,
): ThresholdErrors {
  if (scores.length !== isAnomaly.length) {
    throw new RangeError(`thresholdErrors: ${scores.length} scores, ${isAnomaly.length} labels`);
  }
  const falsePositives: number[] = [], falseNegatives: number[] = [];
  let anomalies = 0;
  for (let i = 0; i < scores.length; i++) {
    if (!finite(scores[i])) throw new RangeError(`thresholdErrors: score ${i} is ${scores[i]}`);
    if (isAnomaly[i]) {
      anomalies++;
      if (scores[i] < threshold) falseNegatives.push(i);
    } else if (scores[i] >= threshold) falsePositives.push(i);
  }
  falsePositives.sort((a, b) => scores[b] - scores[a] || a - b);
  falseNegatives.sort((a, b) => scores[a] - scores[b] || a - b);
  return { falsePositives, falseNegatives, normals: scores.length - anomalies, anomalies };
}

/** Inputs of {@link errorGallery}. */
export interface ErrorGalleryInput {
  /** Score of every test item. */
  scores: ArrayLike<number>;
  /** Whether every test item is anomalous. */
  isAnomaly: ArrayLike<number | boolean>;
  /** True class of every test item (e.g. the digit). */
  classes: ArrayLike<number>;
  /** The decision threshold (e.g. calibrated at 5 % false positives on validation normals). */
  threshold: number;
  /** The pixels of test item `index`, height x width x channels (Uint8 0-255 or floats). */
  image: (index: number) => Float32Array | Uint8Array;
  height: number;
  width: number;
  channels: number;
  /** Items shown per kind at most (default 8), the most wrong first. */
  k?: number;
  /** Class names by class index, for titles. */
  classNames?: string[];
  /** Figure title (default says the threshold and the error counts). */
  title?: string;
}

/**
 * Galleries of the false positives and the false negatives at `threshold`, most wrong first
 * (FP: highest scores; FN: lowest), each image titled with its true class, its test index and
 * its score; the rows are labelled with the kind and the title gives how many of each there are.
 * A kind with no errors is said in a row label ("none").
 *
 * @throws {RangeError} when the inputs differ in length or an image has the wrong size.
 *
 * @example
 * ```ts
 * import { errorGallery } from "./analysis.ts";
 * const fig = errorGallery({
 *   scores: [0.9, 0.2, 0.1, 0.7], isAnomaly: [0, 0, 1, 1], classes: [1, 1, 7, 3], threshold: 0.5,
 *   image: () => new Uint8Array(4), height: 2, width: 2, channels: 1,
 * });
 * const titles = fig.layout.annotations!.map((a) => a.text);
 * if (!titles.includes("class 1 · #0<br>s=0.9") || !titles.includes("class 7 · #2<br>s=0.1")) {
 *   throw new Error(titles.join());
 * }
 * ```
 */
export function errorGallery(input: ErrorGalleryInput): Figure {
  const { scores, isAnomaly, classes, threshold } = input;
  if (classes.length !== scores.length) {
    throw new RangeError(`errorGallery: ${scores.length} scores, ${classes.length} classes`);
  }
  const errors = thresholdErrors(scores, isAnomaly, threshold);
  const k = input.k ?? 8;
  const fp = errors.falsePositives.slice(0, k), fn = errors.falseNegatives.slice(0, k);
  const columns = Math.max(1, fp.length, fn.length);
  const name = (c: number) => input.classNames?.[c] ?? String(c);
  const cell = (i: number): GridImage => ({
    pixels: input.image(i),
    height: input.height,
    width: input.width,
    channels: input.channels,
    title: `class ${name(classes[i])} · #${i}<br>s=${fmtScore(scores[i])}`,
  });
  const blank = (): GridImage => ({
    pixels: new Uint8Array(input.height * input.width * input.channels).fill(255),
    height: input.height,
    width: input.width,
    channels: input.channels,
    range: [0, 255],
  });
  const row = (items: number[]) => [
    ...items.map(cell),
    ...Array.from({ length: columns - items.length }, blank),
  ];
  const pct = (n: number, of: number) => of > 0 ? ` (${(100 * n / of).toFixed(1)} %)` : "";
  const figure = imageGrid([...row(fp), ...row(fn)], {
    columns,
    rowLabels: [
      fp.length > 0 ? "false positives" : "false positives: none",
      fn.length > 0 ? "false negatives" : "false negatives: none",
    ],
    cellPx: 100,
    title: input.title ??
      `Errors at threshold ${fmtScore(threshold)}: ${errors.falsePositives.length} of ` +
        `${errors.normals} normals flagged${pct(errors.falsePositives.length, errors.normals)}, ` +
        `${errors.falseNegatives.length} of ${errors.anomalies} anomalies missed` +
        pct(errors.falseNegatives.length, errors.anomalies),
  });
  // Blank cells are white squares with no title: hide their hover too.
  figure.data.forEach((trace, i) => {
    const inRow = i % columns;
    const items = i < columns ? fp : fn;
    if (inRow >= items.length) (trace as Record<string, unknown>).hoverinfo = "skip";
  });
  figure.layout.margin = { ...figure.layout.margin, l: 40, t: 60 };
  return figure;
}

// ---------------------------------------------------------------------------------------------
// Scores per class

/** Inputs of {@link scoresByClass}. */
export interface ScoresByClassInput {
  scores: ArrayLike<number>;
  classes: ArrayLike<number>;
  isAnomaly: ArrayLike<number | boolean>;
  /** Drawn as a dashed horizontal line. */
  threshold?: number;
  /** "box" (default) or "violin". */
  kind?: "box" | "violin";
  /** Class names by class index. */
  classNames?: string[];
  /** Log-scaled score axis (scores spanning orders of magnitude); default false. */
  logScores?: boolean;
  title?: string;
}

/**
 * The distribution of scores of each true class as box or violin plots, one per class in class
 * order; the normal class in black and labelled "(normal)", the anomalous ones in colour, the
 * threshold as a dashed line. Shows which anomalous classes the model confuses with the normal.
 *
 * @throws {RangeError} when the inputs differ in length or a score is not finite (or not
 * positive on a log axis).
 *
 * @example
 * ```ts
 * import { scoresByClass } from "./analysis.ts";
 * const fig = scoresByClass({
 *   scores: [0.1, 0.2, 0.9, 0.8, 0.5], classes: [1, 1, 7, 7, 3], isAnomaly: [0, 0, 1, 1, 1],
 *   threshold: 0.4,
 * });
 * if (fig.data.map((t) => t.name).join() !== "1 (normal),3,7") throw new Error();
 * ```
 */
export function scoresByClass(input: ScoresByClassInput): Figure {
  const { scores, classes, isAnomaly } = input;
  if (classes.length !== scores.length || isAnomaly.length !== scores.length) {
    throw new RangeError(
      `scoresByClass: ${scores.length} scores, ${classes.length} classes, ` +
        `${isAnomaly.length} labels`,
    );
  }
  const byClass = new Map<number, { values: number[]; normal: boolean }>();
  for (let i = 0; i < scores.length; i++) {
    const s = scores[i];
    if (!finite(s) || (input.logScores && s <= 0)) {
      throw new RangeError(`scoresByClass: score ${i} is ${s}`);
    }
    const entry = byClass.get(classes[i]) ?? { values: [], normal: !isAnomaly[i] };
    entry.values.push(s);
    byClass.set(classes[i], entry);
  }
  const kind = input.kind ?? "box";
  const data: Plotly.Data[] = [...byClass.keys()].sort((a, b) => a - b).map((c, j) => {
    const { values, normal } = byClass.get(c)!;
    const name = `${input.classNames?.[c] ?? c}${normal ? " (normal)" : ""}`;
    const colour = normal ? NORMAL_COLOUR : PALETTE[j % PALETTE.length];
    const common = {
      name,
      y: values,
      x: values.map(() => name),
      marker: { color: colour, size: 3 },
      line: { color: colour },
      hovertemplate: `${name}: %{y:.4g}<extra></extra>`,
    };
    return (kind === "violin"
      ? {
        ...common,
        type: "violin",
        box: { visible: true },
        meanline: { visible: true },
        points: false,
      }
      : { ...common, type: "box", boxpoints: "outliers" }) as Plotly.Data;
  });
  const layout: Partial<Plotly.Layout> = {
    title: figureTitle(input.title ?? "Test scores by true class"),
    xaxis: { title: { text: "true class" }, type: "category" },
    yaxis: {
      title: { text: "score (higher = more anomalous)" },
      type: input.logScores ? "log" : "linear",
      ...(input.logScores ? logAxisTicks(Array.from(scores)) : {}),
    },
    showlegend: false,
    margin: { t: 50, r: 110 },
  };
  if (input.threshold !== undefined && finite(input.threshold)) {
    layout.shapes = [
      horizontalLine(input.threshold, { color: "black", dash: "dash", width: 1.5 }),
    ];
    layout.annotations = [{
      // Right of the plot, where no box can hide it.
      xref: "paper",
      x: 1.01,
      xanchor: "left",
      yref: "y",
      y: input.logScores ? Math.log10(input.threshold) : input.threshold,
      yanchor: "middle",
      text: `threshold ${fmtScore(input.threshold)}`,
      showarrow: false,
    }];
  }
  return { data, layout };
}

// ---------------------------------------------------------------------------------------------
// AUC per class

/**
 * ROC AUC of the normal items against the items of each anomalous class alone, by class index
 * (`null` for the normal class and for classes without items): which digits the detector finds
 * hard to tell from the normal one.
 *
 * @throws {RangeError} when the lengths differ, or there are no normal items.
 *
 * @example
 * ```ts
 * import { aucPerAnomalousClass } from "./analysis.ts";
 * const auc = aucPerAnomalousClass([0.1, 0.2, 0.9, 0.15], [1, 1, 7, 3], [0, 0, 1, 1]);
 * if (auc[7] !== 1 || auc[3] !== 0.5 || auc[1] !== null) throw new Error(String(auc));
 * ```
 */
export function aucPerAnomalousClass(
  scores: ArrayLike<number>,
  classes: ArrayLike<number>,
  isAnomaly: ArrayLike<number | boolean>,
): (number | null)[] {
  if (classes.length !== scores.length || isAnomaly.length !== scores.length) {
    throw new RangeError("aucPerAnomalousClass: scores, classes and labels differ in length");
  }
  const normal: number[] = [];
  const anomalous = new Map<number, number[]>();
  let maxClass = 0;
  for (let i = 0; i < scores.length; i++) {
    maxClass = Math.max(maxClass, classes[i]);
    if (!isAnomaly[i]) normal.push(scores[i]);
    else anomalous.set(classes[i], [...(anomalous.get(classes[i]) ?? []), scores[i]]);
  }
  if (normal.length === 0) throw new RangeError("aucPerAnomalousClass: no normal items");
  return Array.from({ length: maxClass + 1 }, (_, c) => {
    const items = anomalous.get(c);
    if (!items) return null;
    return rocAuc([...normal, ...items], [...normal.map(() => 0), ...items.map(() => 1)]);
  });
}

/** One series of {@link classAucBars}: an AUC per class, optionally with its spread. */
export interface ClassAucSeries {
  name: string;
  /** AUC by class index; null or NaN where there is none (drawn as "n/a", never as 0). */
  auc: (number | null | undefined)[];
  /** Error bar half-length by class (e.g. the std over seeds). */
  std?: (number | null | undefined)[];
}

/**
 * Grouped bars of AUC per class (one group per class, one bar per series) with optional error
 * bars, the chance level 0.5 as a dotted line, optional reference lines (dashed, one pattern each,
 * named in the legend) and
 * "n/a" written where a value is missing. The value axis starts at 0.5 unless some AUC lies below
 * it (then at 0), so an inversion shows.
 *
 * @throws {RangeError} when no series is given or a series has a non-finite std where its AUC is
 * finite.
 *
 * @example
 * ```ts
 * import { classAucBars } from "./analysis.ts";
 * const fig = classAucBars([{ name: "teacher", auc: [0.99, null, 0.8] }], { labels: ["0", "1", "2"] });
 * const bar = fig.data[0] as { y: (number | null)[] };
 * if (bar.y[1] !== null || fig.layout.annotations?.[0].text !== "n/a") throw new Error();
 * ```
 */
export function classAucBars(
  series: ClassAucSeries[],
  opts: {
    labels?: string[];
    title?: string;
    xTitle?: string;
    /** Dashed horizontal lines with a label each (e.g. a published average over classes). */
    references?: { value: number; label: string }[];
  } = {},
): Figure {
  if (series.length === 0) throw new RangeError("classAucBars: no series");
  const n = Math.max(...series.map((s) => s.auc.length));
  const labels = opts.labels ?? Array.from({ length: n }, (_, c) => String(c));
  let lowest = 1;
  const data: Plotly.Data[] = series.map((s, j) => {
    const y = labels.map((_, c) => (finite(s.auc[c]) ? s.auc[c] as number : null));
    y.forEach((v) => v !== null && (lowest = Math.min(lowest, v)));
    const trace: Record<string, unknown> = {
      type: "bar",
      name: s.name,
      x: labels,
      y,
      marker: { color: PALETTE[j % PALETTE.length] },
      hovertemplate: `${s.name}, class %{x}: AUC %{y:.4f}<extra></extra>`,
    };
    if (s.std) {
      trace.error_y = errorBars(labels.map((_, c) => s.std![c]), 3);
    }
    return trace as Plotly.Data;
  });
  // Reference lines are traces, named in the legend: a label on the plot would cover bars.
  // One dash pattern each, so that two close references (97.80 and 97.50) stay apart in the legend.
  const dashes: Plotly.Dash[] = ["dash", "dashdot", "longdash", "longdashdot"];
  for (const [i, r] of (opts.references ?? []).entries()) {
    data.push({
      type: "scatter",
      mode: "lines",
      name: r.label,
      x: labels,
      y: labels.map(() => r.value),
      line: { color: i % 2 ? "#555" : "black", dash: dashes[i % dashes.length], width: 1.5 },
      hovertemplate: `${r.label}<extra></extra>`,
    });
  }
  const annotations: Partial<Plotly.Annotations>[] = [];
  series.forEach((s, j) => {
    labels.forEach((label, c) => {
      if (finite(s.auc[c])) return;
      annotations.push({
        x: label,
        y: lowest < 0.5 ? 0 : 0.5,
        yanchor: "bottom",
        text: "n/a",
        showarrow: false,
        font: { size: 10, color: PALETTE[j % PALETTE.length] },
        xshift: series.length > 1 ? (j - (series.length - 1) / 2) * (60 / series.length) : 0,
      });
    });
  });
  return {
    data,
    layout: {
      title: figureTitle(opts.title ?? "ROC AUC per class"),
      barmode: "group",
      xaxis: { title: { text: opts.xTitle ?? "class" }, type: "category" },
      // Bars cut at 0.5 are not lengths to compare: the axis says where it starts.
      yaxis: {
        title: { text: lowest < 0.5 ? "ROC AUC" : "ROC AUC (axis from 0.5, chance)" },
        range: [lowest < 0.5 ? 0 : 0.5, 1.005],
      },
      shapes: [horizontalLine(0.5, { color: "gray", dash: "dot", width: 1 })],
      annotations,
      legend: legendAbove(),
      margin: { t: 80 },
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Two models' scores

/** Pearson's correlation of two equally long samples (NaN when one is constant). */
export function pearson(x: ArrayLike<number>, y: ArrayLike<number>): number {
  const n = x.length;
  let mx = 0, my = 0;
  for (let i = 0; i < n; i++) {
    mx += x[i] / n;
    my += y[i] / n;
  }
  let sxy = 0, sxx = 0, syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) ** 2;
    syy += (y[i] - my) ** 2;
  }
  return sxy / Math.sqrt(sxx * syy);
}

/** Ranks from 1, ties given their mean rank. */
function ranks(x: ArrayLike<number>): Float64Array {
  const order = Array.from({ length: x.length }, (_, i) => i).sort((a, b) => x[a] - x[b]);
  const r = new Float64Array(x.length);
  for (let start = 0; start < order.length;) {
    let end = start;
    while (end < order.length && x[order[end]] === x[order[start]]) end++;
    for (let k = start; k < end; k++) r[order[k]] = (start + end + 1) / 2;
    start = end;
  }
  return r;
}

/**
 * Spearman's rank correlation (Pearson's on ranks, ties at mean rank): how alike two detectors
 * rank the items, whatever their score scales.
 *
 * @example
 * ```ts
 * import { spearman } from "./analysis.ts";
 * if (spearman([1, 2, 3, 4], [10, 20, 25, 1000]) !== 1) throw new Error();
 * ```
 */
export function spearman(x: ArrayLike<number>, y: ArrayLike<number>): number {
  return pearson(ranks(x), ranks(y));
}

/** Inputs of {@link scoreAgreement}. */
export interface ScoreAgreementInput {
  /** Scores of the first model (x axis), e.g. the teacher. */
  x: ArrayLike<number>;
  /** Scores of the second model (y axis), e.g. a student, for the same items. */
  y: ArrayLike<number>;
  isAnomaly: ArrayLike<number | boolean>;
  xName: string;
  yName: string;
  /** Log axes (default true: EDE-GAN scores span orders of magnitude). */
  log?: boolean;
  title?: string;
}

/**
 * One model's scores against another's on the same test items, normal and anomalous items in two
 * colours, with Pearson's r (of log scores on log axes) and Spearman's rank correlation in the
 * title: whether a student ranks images as its teacher does.
 *
 * @throws {RangeError} on a length mismatch, a non-finite score, or a score <= 0 on log axes.
 *
 * @example
 * ```ts
 * import { scoreAgreement } from "./analysis.ts";
 * const fig = scoreAgreement({
 *   x: [1, 2, 3, 4], y: [2, 4, 6, 8], isAnomaly: [0, 0, 1, 1], xName: "teacher", yName: "student",
 * });
 * if (!(fig.layout.title as { text: string }).text.includes("Spearman 1.000")) throw new Error();
 * ```
 */
export function scoreAgreement(input: ScoreAgreementInput): Figure {
  const { x, y, isAnomaly } = input;
  const log = input.log ?? true;
  if (x.length !== y.length || isAnomaly.length !== x.length) {
    throw new RangeError(
      `scoreAgreement: ${x.length} x scores, ${y.length} y scores, ${isAnomaly.length} labels`,
    );
  }
  for (let i = 0; i < x.length; i++) {
    for (const v of [x[i], y[i]]) {
      if (!finite(v) || (log && v <= 0)) {
        throw new RangeError(`scoreAgreement: item ${i} has score ${v}${log ? " (log axes)" : ""}`);
      }
    }
  }
  const tx = log ? Array.from(x, Math.log) : Array.from(x);
  const ty = log ? Array.from(y, Math.log) : Array.from(y);
  const r = pearson(tx, ty), rho = spearman(x, y);
  const group = (anomalous: boolean, name: string, colour: string): Plotly.Data => {
    const items = Array.from({ length: x.length }, (_, i) => i).filter((i) =>
      Boolean(isAnomaly[i]) === anomalous
    );
    return {
      type: "scatter",
      mode: "markers",
      name: `${name} (n=${items.length})`,
      x: items.map((i) => x[i]),
      y: items.map((i) => y[i]),
      customdata: items,
      marker: { color: colour, size: 4, opacity: 0.5 },
      hovertemplate:
        `#%{customdata}: ${input.xName} %{x:.4g}, ${input.yName} %{y:.4g}<extra></extra>`,
    };
  };
  const fmt = (v: number) => (Number.isFinite(v) ? v.toFixed(3) : "n/a");
  return {
    data: [group(false, "normal", NORMAL_COLOUR), group(true, "anomalous", PALETTE[3])],
    layout: {
      title: figureTitle(
        `${input.title ?? `${input.yName} against ${input.xName}`} — Pearson r ${fmt(r)}` +
          `${log ? " (log scores)" : ""}, Spearman ${fmt(rho)}`,
      ),
      xaxis: {
        title: { text: `${input.xName} score` },
        type: log ? "log" : "linear",
        ...(log ? logAxisTicks(Array.from(x)) : {}),
      },
      yaxis: {
        title: { text: `${input.yName} score` },
        type: log ? "log" : "linear",
        ...(log ? logAxisTicks(Array.from(y)) : {}),
      },
      legend: { x: 0.01, y: 0.99, bgcolor: "rgba(255,255,255,0.7)" },
      hovermode: "closest",
      margin: { t: 50 },
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Precision-recall

/** One model's test scores for {@link precisionRecallFigure}. */
export interface NamedScores {
  name: string;
  scores: ArrayLike<number>;
  /** 1 anomalous (the positive class), 0 normal. */
  labels: ArrayLike<number>;
}

/**
 * Precision-recall curves (anomalies are the positive class), each named with its average
 * precision and the prevalence it should be read against ("AP 0.953 at prevalence 0.900"): a
 * random ranking scores AP = prevalence, drawn as a dotted line, so with 90 % anomalies an AP of
 * 0.9 is chance.
 *
 * @throws {RangeError} as `precisionRecallCurve` does (one class only, NaN score, ...).
 *
 * @example
 * ```ts
 * import { precisionRecallFigure } from "./analysis.ts";
 * const fig = precisionRecallFigure([{ name: "m", scores: [0.1, 0.4, 0.35, 0.8], labels: [0, 0, 1, 1] }]);
 * if (fig.data[0].name !== "m (AP 0.833 at prevalence 0.500)") throw new Error(fig.data[0].name);
 * ```
 */
export function precisionRecallFigure(
  curves: NamedScores[],
  opts: { title?: string } = {},
): Figure {
  let prevalence = NaN;
  let lowest = 1;
  const data: Plotly.Data[] = curves.map((c, i) => {
    const pr = precisionRecallCurve(c.scores, c.labels);
    const ap = averagePrecision(c.scores, c.labels);
    prevalence = pr.prevalence;
    for (const p of pr.precision) if (Number.isFinite(p)) lowest = Math.min(lowest, p);
    return {
      type: "scatter",
      mode: "lines",
      name: `${c.name} (AP ${ap.toFixed(3)} at prevalence ${pr.prevalence.toFixed(3)})`,
      x: [0, ...pr.recall],
      y: [pr.precision[0], ...pr.precision],
      line: { color: PALETTE[i % PALETTE.length], width: 2, shape: "hv" },
      hovertemplate: "recall %{x:.3f}, precision %{y:.3f}<extra></extra>",
    };
  });
  if (Number.isFinite(prevalence)) {
    const name = `chance (precision = prevalence ${prevalence.toFixed(3)})`;
    data.push(referenceTrace(name, [0, 1], [prevalence, prevalence], "dot"));
  }
  return {
    data,
    layout: {
      title: figureTitle(opts.title ?? "Precision-recall (anomalies are the positive class)"),
      xaxis: { title: { text: "recall" }, range: [0, 1.01] },
      // Zoomed to the curves and the chance line (to the 0.05 below), not 0-1: with 90 % anomalies
      // every curve lies in 0.9-1 and would be a line along the top.
      yaxis: {
        title: {
          text: lowestPrecision(lowest, prevalence) > 0 ? "precision (zoomed)" : "precision",
        },
        range: [lowestPrecision(lowest, prevalence), 1.005],
      },
      legend: { x: 0.01, xanchor: "left", y: 0.02, yanchor: "bottom" },
      height: 480,
      margin: { t: 50 },
    },
  };
}

/** The bottom of a precision axis: the lowest precision or chance level, down to a 0.05 step. */
function lowestPrecision(lowest: number, prevalence: number): number {
  const floor = Math.min(lowest, Number.isFinite(prevalence) ? prevalence : lowest);
  return Math.max(0, Math.floor((floor - 0.01) * 20) / 20);
}

// ---------------------------------------------------------------------------------------------
// Losses, one panel each

/** One point of a loss history: per step or per epoch, in one phase of training. */
export interface LossRecord {
  /** x position: optimiser step (or epoch when `step` is absent in every record). */
  step?: number;
  epoch: number;
  /** Which stage produced it ("teacher", "step 1", "step 2"); one line per phase and panel. */
  phase?: string;
  adversarial?: number | null;
  contextual?: number | null;
  latent?: number | null;
  /** Discriminator loss, drawn on a log axis. */
  lossD?: number | null;
  /** Distillation loss K. */
  distillation?: number | null;
  /** Test ROC AUC, when evaluated. */
  auc?: number | null;
}

/** The generator's loss weights the records carry (EDE-GAN's: adversarial 1, contextual 50, latent 1). */
export interface LossWeights {
  adversarial: number;
  contextual: number;
  latent: number;
}

const EDE_GAN_LOSS_WEIGHTS: LossWeights = { adversarial: 1, contextual: 50, latent: 1 };

/**
 * A linear panel whose values vary by less than this fraction of their size is drawn on an axis
 * this wide (centred on them), so that a flat line looks flat instead of filling the panel.
 */
export const FLAT_SPAN = 0.01;

const LOSS_PANELS: [keyof LossRecord, string, boolean][] = [
  ["adversarial", "adversarial (feature matching)", false],
  ["contextual", "contextual |x - x_hat|", false],
  ["latent", "latent |z - z_hat|²", false],
  ["lossD", "discriminator BCE (log)", true],
  ["distillation", "distillation K", false],
  ["auc", "test ROC AUC", false],
];

/**
 * Each loss in its own panel, stacked with one shared x axis: adversarial, contextual, latent,
 * the discriminator's on a log axis, the distillation loss K and the test AUC, each panel only
 * when some record carries it. Every phase (e.g. P-KDGAN's "step 1" and "step 2") is its own
 * line in its own colour. Missing values are left out of the line (never 0, never a gap), and a
 * discriminator loss <= 0 cannot go on the log axis and is left out too. A generator term is
 * recorded weighted (`weights`, default EDE-GAN's 1, 50, 1), and its panel says so: "contextual
 * |x - x_hat| (x50)". A linear panel whose values span less than {@link FLAT_SPAN} of their size
 * gets an axis that wide, and its name says "flat" with the range: a loss moving 0.53429 to
 * 0.53427 is a flat line (worth a look: is the discriminator learning?), not a cliff.
 *
 * @throws {RangeError} when no record carries any value.
 *
 * @example
 * ```ts
 * import { lossPanels } from "./analysis.ts";
 * const fig = lossPanels([
 *   { step: 1, epoch: 1, adversarial: 0.5, lossD: 0.7, auc: null },
 *   { step: 2, epoch: 1, adversarial: 0.4, lossD: 0.1, auc: 0.9 },
 * ]);
 * if (fig.data.length !== 3 || fig.layout.yaxis2?.type !== "log") throw new Error();
 * ```
 */
export function lossPanels(
  records: LossRecord[],
  opts: { title?: string; weights?: LossWeights } = {},
): Figure {
  const weights = opts.weights ?? EDE_GAN_LOSS_WEIGHTS;
  const byStep = records.length > 0 && records.every((r) => finite(r.step));
  const xOf = (r: LossRecord) => (byStep ? r.step! : r.epoch);
  const phases = [...new Set(records.map((r) => r.phase ?? ""))];
  const panels = LOSS_PANELS.filter(([key, , log]) =>
    records.some((r) => finite(r[key]) && (!log || (r[key] as number) > 0))
  );
  if (panels.length === 0) throw new RangeError("lossPanels: no record carries a value");
  const gap = 0.06, height = (1 - gap * (panels.length - 1)) / panels.length;
  const layout: Record<string, unknown> = {
    title: figureTitle(opts.title ?? "Losses"),
    height: 120 + 170 * panels.length,
    showlegend: phases.length > 1,
    // Right-aligned above the panels, clear of the first panel's left-aligned name.
    legend: { orientation: "h", x: 1, xanchor: "right", y: 1.01, yanchor: "bottom" },
    hovermode: "closest",
    margin: { t: phases.length > 1 ? 90 : 60, l: 70 },
    annotations: [],
  };
  const data: Plotly.Data[] = [];
  panels.forEach(([key, baseName, log], p) => {
    const suffix = p === 0 ? "" : String(p + 1);
    const top = 1 - p * (height + gap);
    const values = records.map((r) => r[key]).filter((v): v is number => finite(v) && v > 0);
    const weight = key in weights ? weights[key as keyof LossWeights] : 1;
    let name = weight !== 1 ? `${baseName} (x${weight})` : baseName;
    let range: [number, number] | undefined = key === "auc" ? [0, 1] : undefined;
    const all = records.map((r) => r[key]).filter((v): v is number => finite(v));
    if (!log && key !== "auc" && all.length > 1) {
      const lo = Math.min(...all), hi = Math.max(...all);
      const size = Math.max(Math.abs(lo), Math.abs(hi));
      if (size > 0 && hi - lo < FLAT_SPAN * size) {
        const mid = (lo + hi) / 2, half = (FLAT_SPAN * size) / 2;
        range = [mid - half, mid + half];
        name += `: flat, ${Number(lo.toPrecision(5))} to ${Number(hi.toPrecision(5))}` +
          // Feature matching that does not move: the discriminator's features may not be learning.
          (key === "adversarial" ? " (is the discriminator learning?)" : "");
      }
    }
    layout[`yaxis${suffix}`] = {
      domain: [top - height, top],
      type: log ? "log" : "linear",
      anchor: `x${suffix}`,
      ...(range ? { range } : {}),
      ...(log ? logAxisTicks(values) : {}),
    };
    layout[`xaxis${suffix}`] = {
      anchor: `y${suffix}`,
      zeroline: false,
      ...(byStep ? {} : { dtick: 1 }),
      ...(p > 0 ? { matches: "x" } : {}),
      showticklabels: p === panels.length - 1,
      ...(p === panels.length - 1 ? { title: { text: byStep ? "step" : "epoch" } } : {}),
    };
    (layout.annotations as unknown[]).push({
      text: `<b>${name}</b>`,
      xref: "paper",
      yref: "paper",
      x: 0,
      y: top,
      xanchor: "left",
      yanchor: "bottom",
      showarrow: false,
      font: { size: 12 },
    });
    phases.forEach((phase, j) => {
      const points = records.filter((r) =>
        (r.phase ?? "") === phase && finite(r[key]) && (!log || (r[key] as number) > 0)
      );
      if (points.length === 0) return;
      data.push({
        type: "scatter",
        mode: points.length > 40 ? "lines" : "lines+markers",
        name: phase || name,
        legendgroup: phase,
        showlegend: p === panels.findIndex(([k]) =>
          records.some((r) =>
            (r.phase ?? "") === phase && finite(r[k])
          )
        ),
        x: points.map(xOf),
        y: points.map((r) => r[key] as number),
        xaxis: `x${suffix}`,
        yaxis: `y${suffix}`,
        line: { color: PALETTE[j % PALETTE.length] },
        marker: { size: 5 },
        hovertemplate: `${name}${phase ? ` (${phase})` : ""}: %{y:.4g}<extra>${
          byStep ? "step" : "epoch"
        } %{x}</extra>`,
      });
    });
  });
  return { data, layout: layout as Partial<Plotly.Layout> };
}

// ---------------------------------------------------------------------------------------------
// AUC and time per setting

/** One setting of {@link aucAndTime}: e.g. a batch size. */
export interface SettingResult {
  /** Shown on the x axis as a category (e.g. "batch 1"). */
  setting: string;
  /** Test ROC AUC, or its mean over seeds. */
  auc: number;
  /** Spread of the AUC (e.g. std over seeds), drawn as an error bar. */
  aucStd?: number;
  /** Training time in seconds. */
  seconds: number;
  /** Hover detail, e.g. "512 steps". */
  detail?: string;
}

/**
 * Two panels side by side over the same categorical settings: test AUC (axis 0-1, the chance
 * level 0.5 dotted, below-chance points in red) and training seconds as bars. Categories are
 * evenly spaced, so no bar width depends on a log scale, and no bar hides a line.
 *
 * @throws {RangeError} when no setting is given or a value is not finite.
 *
 * @example
 * ```ts
 * import { aucAndTime } from "./analysis.ts";
 * const fig = aucAndTime([
 *   { setting: "batch 1", auc: 0.9, seconds: 60 },
 *   { setting: "batch 64", auc: 0.4, seconds: 5 },
 * ]);
 * if (fig.data[1].type !== "bar" || fig.layout.yaxis?.range?.[1] !== 1) throw new Error();
 * ```
 */
export function aucAndTime(results: SettingResult[], opts: { title?: string } = {}): Figure {
  if (results.length === 0) throw new RangeError("aucAndTime: no settings");
  for (const r of results) {
    if (!finite(r.auc) || !finite(r.seconds)) {
      throw new RangeError(`aucAndTime: ${r.setting} has AUC ${r.auc}, seconds ${r.seconds}`);
    }
  }
  const x = results.map((r) => r.setting);
  const detail = results.map((r) => r.detail ?? "");
  const hasStd = results.some((r) => finite(r.aucStd));
  return {
    data: [
      {
        type: "scatter",
        mode: "lines+markers",
        name: "test ROC AUC",
        x,
        y: results.map((r) => r.auc),
        text: detail,
        marker: {
          size: 11,
          color: results.map((r) => (r.auc < 0.5 ? PALETTE[3] : PALETTE[0])),
        },
        line: { color: PALETTE[0] },
        hovertemplate: "%{x}: AUC %{y:.4f}<br>%{text}<extra></extra>",
        ...(hasStd
          ? {
            error_y: {
              type: "data" as const,
              array: results.map((r) => (finite(r.aucStd) ? r.aucStd : 0)),
              visible: true,
            },
          }
          : {}),
      },
      {
        type: "bar",
        name: "training seconds",
        x,
        y: results.map((r) => r.seconds),
        text: results.map((r) => `${Number(r.seconds.toPrecision(3))} s`),
        textposition: "outside",
        xaxis: "x2",
        yaxis: "y2",
        marker: { color: PALETTE[7] },
        hovertemplate: "%{x}: %{y:.1f} s<br>%{text}<extra></extra>",
      },
    ],
    layout: {
      title: figureTitle(opts.title ?? "Test AUC and training time"),
      xaxis: { domain: [0, 0.45], type: "category", anchor: "y" },
      yaxis: { title: { text: "test ROC AUC" }, range: [0, 1], anchor: "x" },
      xaxis2: { domain: [0.58, 1], type: "category", anchor: "y2" },
      yaxis2: {
        title: { text: "training seconds" },
        anchor: "x2",
        rangemode: "tozero",
        range: [0, 1.15 * Math.max(...results.map((r) => r.seconds))],
      },
      shapes: [horizontalLine(0.5, { color: "gray", dash: "dot", width: 1 }, "x domain")],
      annotations: [{
        xref: "x domain" as "x",
        x: 1,
        xanchor: "right",
        yref: "y",
        y: 0.5,
        yanchor: "top",
        text: "chance",
        showarrow: false,
        font: { size: 10, color: "gray" },
      }],
      showlegend: false,
      margin: { t: 50 },
    },
  };
}

// ---------------------------------------------------------------------------------------------
// AUC per epoch of several runs

/**
 * The test AUC after each epoch of several runs (e.g. one per batch size), one line each, axis
 * 0-1 with the chance level dotted: where a run starts below chance (EDE-GAN's early inversion)
 * and whether it has trained past it. Epochs without an AUC are left out.
 *
 * @throws {RangeError} when no run has any AUC.
 *
 * @example
 * ```ts
 * import { aucPerEpoch } from "./analysis.ts";
 * const fig = aucPerEpoch([{ name: "batch 64", history: [{ epoch: 1, auc: 0.3 }, { epoch: 2 }] }]);
 * if ((fig.data[0] as { x: number[] }).x.length !== 1) throw new Error();
 * ```
 */
export function aucPerEpoch(
  runs: { name: string; history: { epoch: number; auc?: number | null }[] }[],
  opts: {
    title?: string;
    xTitle?: string;
    /** The value axis (default [0, 1], chance included); narrower to compare runs near the top. */
    yRange?: [number, number];
  } = {},
): Figure {
  const data: Plotly.Data[] = runs.flatMap((run, i) => {
    const points = run.history.filter((h) => finite(h.auc));
    if (points.length === 0) return [];
    return [{
      type: "scatter" as const,
      mode: "lines+markers" as const,
      name: run.name,
      x: points.map((h) => h.epoch),
      y: points.map((h) => h.auc as number),
      line: { color: PALETTE[i % PALETTE.length] },
      hovertemplate: `${run.name}, epoch %{x}: AUC %{y:.4f}<extra></extra>`,
    }];
  });
  if (data.length === 0) throw new RangeError("aucPerEpoch: no run has an AUC");
  return {
    data,
    layout: {
      title: figureTitle(opts.title ?? "Test AUC after each epoch"),
      xaxis: { title: { text: opts.xTitle ?? "epoch" }, dtick: 1 },
      yaxis: { title: { text: "test ROC AUC" }, range: opts.yRange ?? [0, 1] },
      shapes: [horizontalLine(0.5, { color: "gray", dash: "dot", width: 1 })],
      legend: legendAbove(),
      margin: { t: 80 },
    },
  };
}

/**
 * Ticks 1-2-5 per decade over the positive `values`, written in full: plotly's own log ticks
 * add bare minor digits ("2", "5") that read as values. Values inside one 1-2-5 step (an
 * under-trained model's scores, all near one value: 7.5e-4 to 8.1e-4) would leave no tick on the
 * axis at all; they get four ticks spread over their range, to two significant digits, instead.
 */
function logAxisTicks(values: number[]): { tickvals: number[]; ticktext: string[] } {
  const positive = values.filter((v) => v > 0);
  const [lo, hi] = [Math.min(...positive), Math.max(...positive)];
  const ticks = logTicks(lo, hi, 2.5);
  if (ticks.filter((t) => t >= lo && t <= hi).length < 2) {
    const spread = [
      ...new Set([0, 1, 2, 3].map((k) => Number((lo * (hi / lo) ** (k / 3)).toPrecision(2)))),
    ];
    return { tickvals: spread, ticktext: spread.map(String) };
  }
  return { tickvals: ticks, ticktext: ticks.map((t) => String(Number(t.toPrecision(1)))) };
}

// ---------------------------------------------------------------------------------------------
// Paired AUCs: two ways of scoring (or training) the same models

/** One model of {@link pairedAucs}: its AUC two ways. */
export interface PairedAuc {
  x: number;
  y: number;
  /** Hover text (e.g. the run). */
  label: string;
  /** Colour group (e.g. the dataset); one legend entry each. */
  group?: string;
}

/**
 * Each model's AUC one way (x) against another way (y), one point per model, with the diagonal
 * y = x dashed: points above it are models where y is higher. Both axes share one range (the
 * points' span, padded), so distances from the diagonal read the same either way. The title
 * gets the count above the diagonal ("y higher on k of n").
 *
 * @throws {RangeError} when no point is given or an AUC is not finite.
 *
 * @example
 * ```ts
 * import { pairedAucs } from "./analysis.ts";
 * const fig = pairedAucs([{ x: 0.8, y: 0.9, label: "a" }, { x: 0.95, y: 0.9, label: "b" }],
 *   { xName: "reconstruction", yName: "latent" });
 * if (!String(fig.layout.title?.text).includes("latent higher on 1 of 2")) throw new Error();
 * ```
 */
export function pairedAucs(
  points: PairedAuc[],
  opts: { xName: string; yName: string; title?: string },
): Figure {
  if (points.length === 0) throw new RangeError("pairedAucs: no points");
  for (const p of points) {
    if (!finite(p.x) || !finite(p.y)) {
      throw new RangeError(`pairedAucs: ${p.label} has AUC ${p.x}, ${p.y}`);
    }
  }
  const values = points.flatMap((p) => [p.x, p.y]);
  const lo = Math.min(...values), hi = Math.max(...values);
  const pad = Math.max(0.01, (hi - lo) * 0.05);
  const range: [number, number] = [lo - pad, Math.min(1.005, hi + pad)];
  const groups = [...new Set(points.map((p) => p.group ?? ""))];
  const data: Plotly.Data[] = [
    referenceTrace(`${opts.yName} = ${opts.xName}`, range, range, "dash"),
    ...groups.map((g, i) => {
      const ps = points.filter((p) => (p.group ?? "") === g);
      return {
        type: "scatter" as const,
        mode: "markers" as const,
        name: g || "models",
        x: ps.map((p) => p.x),
        y: ps.map((p) => p.y),
        text: ps.map((p) => p.label),
        marker: { color: PALETTE[i % PALETTE.length], size: 9 },
        hovertemplate: `%{text}<br>${opts.xName} %{x:.4f}<br>${opts.yName} %{y:.4f}<extra></extra>`,
      };
    }),
  ];
  const above = points.filter((p) => p.y > p.x).length;
  return {
    data,
    layout: {
      title: figureTitle(
        `${
          opts.title ?? `${opts.yName} against ${opts.xName}`
        }: ${opts.yName} higher on ${above} of ${points.length}`,
      ),
      // Equal scales; the plot narrows (constrain: domain) rather than the range widening past it.
      xaxis: { title: { text: `ROC AUC, ${opts.xName}` }, range, constrain: "domain" },
      yaxis: {
        title: { text: `ROC AUC, ${opts.yName}` },
        range,
        scaleanchor: "x",
        constrain: "domain",
      },
      legend: legendAbove(),
      margin: { t: 80 },
      height: 560,
    },
  };
}
