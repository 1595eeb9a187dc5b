import { assert, assertAlmostEquals, assertEquals, assertThrows } from "@std/assert";
import {
  aucAndTime,
  aucPerAnomalousClass,
  aucPerEpoch,
  classAucBars,
  errorGallery,
  lossPanels,
  pairedAucs,
  pearson,
  precisionRecallFigure,
  scoreAgreement,
  scoresByClass,
  spearman,
  thresholdErrors,
} from "../../lib/viz/analysis.ts";
import { precisionRecallCurve } from "../../lib/metrics/precision_recall_curve.ts";
import { averagePrecision } from "../../lib/metrics/mod.ts";
import { createRng } from "../../lib/util/rng.ts";

// deno-lint-ignore no-explicit-any
type Trace = Record<string, any>;
const traces = (fig: { data: unknown[] }) => fig.data as Trace[];

/** 10 classes, class 2 normal, scores rising with the class (class 3 overlaps the normal one). */
function testSet(n = 200, seed = 3) {
  const rng = createRng(seed);
  const classes = Array.from({ length: n }, (_, i) => i % 10);
  const isAnomaly = classes.map((c) => (c === 2 ? 0 : 1));
  const scores = classes.map((c) => (c === 2 ? 0.1 : c === 3 ? 0.1 : 0.05 * c) + 0.1 * rng());
  return { classes, isAnomaly, scores };
}

Deno.test("thresholdErrors: false positives highest first, false negatives lowest first", () => {
  const e = thresholdErrors([0.6, 0.9, 0.1, 0.3, 0.5, 0.2], [0, 0, 1, 1, 0, 0], 0.5);
  assertEquals(e.falsePositives, [1, 0, 4]);
  assertEquals(e.falseNegatives, [2, 3]);
  assertEquals([e.normals, e.anomalies], [4, 2]);
  assertThrows(() => thresholdErrors([NaN], [0], 1), RangeError, "score 0 is NaN");
});

Deno.test("errorGallery: FP and FN rows titled with class, test index and score", () => {
  const scores = [0.6, 0.9, 0.1, 0.3, 0.5, 0.2, 0.8];
  const fig = errorGallery({
    scores,
    isAnomaly: [0, 0, 1, 1, 0, 0, 1],
    classes: [2, 2, 7, 3, 2, 2, 5],
    threshold: 0.5,
    image: (i) => new Uint8Array(4).fill(i * 10),
    height: 2,
    width: 2,
    channels: 1,
    k: 2,
  });
  const titles = fig.layout.annotations!.map((a) => a.text);
  assertEquals(titles, [
    "class 2 · #1<br>s=0.9",
    "class 2 · #0<br>s=0.6",
    "class 7 · #2<br>s=0.1",
    "class 3 · #3<br>s=0.3",
    "false positives",
    "false negatives",
  ]);
  // the images are the items' own pixels, in that order
  assertEquals(traces(fig).map((t) => t.z[0][0]), [10, 0, 20, 30]);
  const heading = (fig.layout.title as { text: string }).text;
  assert(heading.includes("3 of 4 normals flagged (75.0 %)"), heading);
  assert(heading.includes("2 of 3 anomalies missed (66.7 %)"), heading);

  // no false negative: the row says so, and blank cells have no title or hover
  const none = errorGallery({
    scores: [0.6, 0.1, 0.9],
    isAnomaly: [0, 0, 1],
    classes: [2, 2, 4],
    threshold: 0.5,
    image: () => new Uint8Array(4),
    height: 2,
    width: 2,
    channels: 1,
  });
  assertEquals(none.layout.annotations!.map((a) => a.text), [
    "class 2 · #0<br>s=0.6",
    "false positives",
    "false negatives: none",
  ]);
  assertEquals(traces(none)[1].hoverinfo, "skip");
});

Deno.test("scoresByClass: one box per class in order, normal class black and named, threshold", () => {
  const { classes, isAnomaly, scores } = testSet();
  const fig = scoresByClass({ scores, classes, isAnomaly, threshold: 0.3 });
  const t = traces(fig);
  assertEquals(t.map((d) => d.name), [
    "0",
    "1",
    "2 (normal)",
    "3",
    "4",
    "5",
    "6",
    "7",
    "8",
    "9",
  ]);
  assertEquals(t[2].marker.color, "#111111");
  assert(t.every((d, i) => i === 2 || d.marker.color !== "#111111"));
  assertEquals(t[2].y.length, 20);
  assertEquals(t[0].type, "box");
  assertEquals(fig.layout.shapes![0].y0, 0.3);
  assertEquals(
    scoresByClass({ scores, classes, isAnomaly, kind: "violin" }).data[0].type,
    "violin",
  );
  // on a log axis: 1-2-5 ticks written in full, and the threshold's label right of the plot
  const log = scoresByClass({ scores, classes, isAnomaly, threshold: 0.3, logScores: true });
  assertEquals(log.layout.yaxis?.type, "log");
  const ticks = log.layout.yaxis!.tickvals as number[];
  assertEquals(log.layout.yaxis?.ticktext, ticks.map((v) => String(v)));
  assert(ticks.every((v) => /^[125]$/.test(v.toExponential().slice(0, 1))), String(ticks));
  assert(ticks.includes(0.1) && ticks.includes(0.5), String(ticks));
  assertEquals(log.layout.annotations![0].xanchor, "left");
  assertThrows(
    () => scoresByClass({ scores: [0], classes: [1], isAnomaly: [0], logScores: true }),
    RangeError,
    "score 0 is 0",
  );
});

Deno.test("aucPerAnomalousClass: normal against each class alone; null for the normal class", () => {
  const { classes, isAnomaly, scores } = testSet();
  const auc = aucPerAnomalousClass(scores, classes, isAnomaly);
  assertEquals(auc.length, 10);
  assertEquals(auc[2], null);
  // class 3 is drawn like the normal class: near chance; class 9 far above it
  assertAlmostEquals(auc[3]!, 0.5, 0.2);
  assertEquals(auc[9], 1);
  assert(auc[0]! < 0.5, `class 0 scores below the normal one: AUC ${auc[0]}`);
});

Deno.test("classAucBars: grouped bars, error bars, missing values as n/a (never 0)", () => {
  const fig = classAucBars([
    { name: "teacher", auc: [0.99, 0.8, null, 0.7], std: [0.01, 0.02, null, 0.05] },
    { name: "P-KDGAN", auc: [0.98, NaN, 0.9, 0.4] },
  ]);
  const t = traces(fig);
  assertEquals(t[0].y, [0.99, 0.8, null, 0.7]);
  assertEquals(t[1].y, [0.98, null, 0.9, 0.4]);
  assertEquals(t[0].error_y.array, [0.01, 0.02, 0, 0.05]);
  assertEquals(t[1].error_y, undefined);
  assertEquals(fig.layout.annotations!.map((a) => [a.x, a.text]), [["2", "n/a"], ["1", "n/a"]]);
  // an AUC below chance: the axis starts at 0 so that the bar shows
  assertEquals(fig.layout.yaxis?.range, [0, 1.005]);
  assertEquals(classAucBars([{ name: "a", auc: [0.9] }]).layout.yaxis?.range, [0.5, 1.005]);
  assertThrows(() => classAucBars([]), RangeError, "no series");
});

Deno.test("classAucBars: reference lines are dashed traces named in the legend, each its own dash", () => {
  const fig = classAucBars([{ name: "teacher", auc: [0.99, null] }], {
    references: [{ value: 0.978, label: "EDE-GAN 97.80" }, { value: 0.975, label: "OCGAN 97.50" }],
  });
  const t = traces(fig);
  assertEquals(t.map((x) => [x.type, x.name]), [
    ["bar", "teacher"],
    ["scatter", "EDE-GAN 97.80"],
    ["scatter", "OCGAN 97.50"],
  ]);
  assertEquals(t[1].y, [0.978, 0.978]);
  assertEquals(t[1].line.dash, "dash");
  assertEquals(t[2].line.dash, "dashdot", "two close references must not look alike");
  assertEquals(fig.layout.annotations!.map((a) => a.text), ["n/a"], "no label over the bars");
});

Deno.test("aucPerEpoch: a narrower value axis on request", () => {
  const runs = [{ name: "live", history: [{ epoch: 1, auc: 0.9 }, { epoch: 2, auc: 0.95 }] }];
  assertEquals(aucPerEpoch(runs).layout.yaxis?.range, [0, 1]);
  assertEquals(aucPerEpoch(runs, { yRange: [0.8, 1] }).layout.yaxis?.range, [0.8, 1]);
});

Deno.test("pairedAucs: one point per model, the diagonal, equal axes, the count above it", () => {
  const fig = pairedAucs([
    { x: 0.80, y: 0.90, label: "mnist 2", group: "mnist" },
    { x: 0.95, y: 0.97, label: "mnist 5", group: "mnist" },
    { x: 0.92, y: 0.91, label: "fashion 5", group: "fashion-mnist" },
  ], { xName: "reconstruction", yName: "latent" });
  const t = traces(fig);
  assertEquals(t.map((x) => x.name), ["latent = reconstruction", "mnist", "fashion-mnist"]);
  assertEquals(t[1].x, [0.80, 0.95]);
  assertEquals(t[2].y, [0.91]);
  // the diagonal spans the shared range
  assertEquals(t[0].x, t[0].y);
  assertEquals(fig.layout.xaxis?.range, fig.layout.yaxis?.range);
  const [lo, hi] = fig.layout.xaxis!.range as number[];
  assert(lo < 0.8 && hi > 0.97 && hi <= 1.005, `${lo}, ${hi}`);
  assert(String(fig.layout.title?.text).endsWith("latent higher on 2 of 3"));
  assertThrows(() => pairedAucs([], { xName: "a", yName: "b" }), RangeError, "no points");
  assertThrows(
    () => pairedAucs([{ x: NaN, y: 0.5, label: "r" }], { xName: "a", yName: "b" }),
    RangeError,
    "r has AUC NaN",
  );
});

Deno.test("pearson and spearman: known values, ranks with ties", () => {
  assertAlmostEquals(pearson([1, 2, 3], [2, 4, 6]), 1, 1e-12);
  assertAlmostEquals(pearson([1, 2, 3], [3, 2, 1]), -1, 1e-12);
  // scipy.stats.spearmanr([1, 2, 2, 3], [1, 3, 2, 4]) = 0.9486832980505138
  assertAlmostEquals(spearman([1, 2, 2, 3], [1, 3, 2, 4]), 0.9486832980505138, 1e-12);
  assert(Number.isNaN(pearson([1, 1], [1, 2])));
});

Deno.test("scoreAgreement: two groups, correlations in the title, log axes reject <= 0", () => {
  const rng = createRng(5);
  const x = Array.from({ length: 100 }, () => Math.exp(3 * rng()));
  const y = x.map((v) => v * 2);
  const isAnomaly = x.map((_, i) => i % 3 === 0 ? 1 : 0);
  const fig = scoreAgreement({ x, y, isAnomaly, xName: "teacher", yName: "student w4" });
  const t = traces(fig);
  assertEquals(t.map((d) => d.name), ["normal (n=66)", "anomalous (n=34)"]);
  assertEquals(t[0].customdata.length + t[1].customdata.length, 100);
  const heading = (fig.layout.title as { text: string }).text;
  assert(heading.includes("Pearson r 1.000 (log scores)"), heading);
  assert(heading.includes("Spearman 1.000"), heading);
  assertEquals(fig.layout.xaxis?.type, "log");
  // Scores inside one 1-2-5 step (an under-trained EDE-GAN's, measured 2026-12-06 in notebook 06
  // at the ci size: 7.53e-4 to 8.13e-4) still get labelled ticks inside their range.
  const narrow = scoreAgreement({
    x: [7.53e-4, 7.8e-4, 8.13e-4],
    y: [1, 2, 3],
    isAnomaly: [0, 1, 1],
    xName: "a",
    yName: "b",
  });
  const inside = (narrow.layout.xaxis?.tickvals as number[]).filter((v) =>
    v >= 7.53e-4 && v <= 8.13e-4
  );
  assert(inside.length >= 2, `ticks ${narrow.layout.xaxis?.tickvals}`);
  assertEquals(
    narrow.layout.xaxis?.ticktext,
    (narrow.layout.xaxis?.tickvals as number[]).map(String),
  );
  assertThrows(
    () => scoreAgreement({ x: [0], y: [1], isAnomaly: [0], xName: "a", yName: "b" }),
    RangeError,
    "item 0 has score 0 (log axes)",
  );
});

Deno.test("precisionRecallCurve: steps sum to average precision; prevalence", () => {
  const { isAnomaly, scores } = testSet(300, 8);
  const pr = precisionRecallCurve(scores, isAnomaly);
  let ap = 0, previous = 0;
  pr.recall.forEach((r, i) => {
    ap += (r - previous) * pr.precision[i];
    previous = r;
  });
  assertAlmostEquals(ap, averagePrecision(scores, isAnomaly), 1e-12);
  assertEquals(pr.prevalence, 270 / 300);
  assertEquals(pr.recall.at(-1), 1);
});

Deno.test("precisionRecallFigure: AP and prevalence named, chance line at the prevalence", () => {
  const { isAnomaly, scores } = testSet(300, 8);
  const fig = precisionRecallFigure([{ name: "teacher", scores, labels: isAnomaly }]);
  const t = traces(fig);
  const ap = averagePrecision(scores, isAnomaly);
  assertEquals(t[0].name, `teacher (AP ${ap.toFixed(3)} at prevalence 0.900)`);
  assertEquals(t[1].y, [0.9, 0.9]);
  assertEquals(t[1].name, "chance (precision = prevalence 0.900)");
  assertEquals(t[0].x[0], 0);
});

Deno.test("lossPanels: one panel per loss, D on log, phases as lines, missing never 0", () => {
  const records = [
    { step: 10, epoch: 1, phase: "step 1", distillation: 2, lossD: 0 },
    { step: 20, epoch: 1, phase: "step 1", distillation: 1.5, auc: null },
    {
      step: 30,
      epoch: 2,
      phase: "step 2",
      adversarial: 0.3,
      contextual: 5,
      latent: 0.1,
      lossD: 0.2,
      distillation: 1.2,
    },
    {
      step: 40,
      epoch: 2,
      phase: "step 2",
      adversarial: 0.2,
      contextual: 4,
      latent: NaN,
      lossD: 0.05,
      distillation: 1,
      auc: 0.93,
    },
  ];
  const fig = lossPanels(records, { title: "P-KDGAN" });
  const t = traces(fig);
  const names = (fig.layout.annotations as { text: string }[]).map((a) => a.text);
  assertEquals(names, [
    "<b>adversarial (feature matching)</b>",
    "<b>contextual |x - x_hat| (x50)</b>",
    "<b>latent |z - z_hat|²</b>",
    "<b>discriminator BCE (log)</b>",
    "<b>distillation K</b>",
    "<b>test ROC AUC</b>",
  ]);
  const layout = fig.layout as Record<string, Trace>;
  assertEquals(layout.yaxis4.type, "log");
  assertEquals(layout.yaxis.type, "linear");
  assertEquals(layout.yaxis6.range, [0, 1]);
  // distillation: one line per step of P-KDGAN, on panel 5
  const k = t.filter((d) => d.yaxis === "y5");
  assertEquals(k.map((d) => [d.name, d.x, d.y]), [
    ["step 1", [10, 20], [2, 1.5]],
    ["step 2", [30, 40], [1.2, 1]],
  ]);
  // the discriminator's 0 cannot sit on a log axis; the latent NaN and AUC null are left out
  const d = t.filter((d) => d.yaxis === "y4");
  assertEquals(d.map((x) => x.x), [[30, 40]]);
  assertEquals(t.filter((d) => d.yaxis === "y3")[0].x, [30]);
  assertEquals(t.filter((d) => d.yaxis === "y6")[0].y, [0.93]);
  for (const trace of t) assert(trace.y.every((v: number) => Number.isFinite(v)), trace.name);
  assertEquals(fig.layout.showlegend, true);
  assertThrows(() => lossPanels([{ epoch: 1 }]), RangeError, "no record carries a value");
});

Deno.test("aucAndTime: categorical x, AUC axis 0-1 with chance line, time bars in their own panel", () => {
  const fig = aucAndTime([
    { setting: "batch 1", auc: 0.91, seconds: 80, detail: "4096 steps" },
    { setting: "batch 8", auc: 0.88, aucStd: 0.02, seconds: 20 },
    { setting: "batch 64", auc: 0.36, seconds: 6 },
  ]);
  const t = traces(fig);
  assertEquals(t[0].x, ["batch 1", "batch 8", "batch 64"]);
  assertEquals(t[0].marker.color, ["#1f77b4", "#1f77b4", "#d62728"]);
  assertEquals(t[0].error_y.array, [0, 0.02, 0]);
  assertEquals([t[1].type, t[1].xaxis, t[1].yaxis], ["bar", "x2", "y2"]);
  assertEquals(fig.layout.xaxis?.type, "category");
  assertEquals(fig.layout.yaxis?.range, [0, 1]);
  assertEquals(fig.layout.yaxis2?.range, [0, 92]);
  // the two panels do not overlap
  const [a, b] = [fig.layout.xaxis!.domain!, fig.layout.xaxis2!.domain!];
  assert(a[1] < b[0]);
  assertEquals(fig.layout.shapes![0].y0, 0.5);
  assertThrows(() => aucAndTime([]), RangeError, "no settings");
});

Deno.test("lossPanels: epochs as whole numbers, log ticks 1-2-5 written in full", () => {
  const fig = lossPanels([
    { epoch: 1, lossD: 0.3 },
    { epoch: 2, lossD: 0.012 },
    { epoch: 3, lossD: 0.004 },
  ]);
  const layout = fig.layout as Record<string, Trace>;
  assertEquals(layout.xaxis.dtick, 1);
  assertEquals(layout.yaxis.tickvals, [0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5]);
  assertEquals(layout.yaxis.ticktext, [
    "0.002",
    "0.005",
    "0.01",
    "0.02",
    "0.05",
    "0.1",
    "0.2",
    "0.5",
  ]);
});

Deno.test("lossPanels: a flat loss gets an axis 1% of its size wide and says 'flat', a moving one its own range", () => {
  const fig = lossPanels([
    { step: 1, epoch: 1, adversarial: 0.53429, contextual: 20 },
    { step: 2, epoch: 1, adversarial: 0.53428, contextual: 12 },
    { step: 3, epoch: 1, adversarial: 0.53427, contextual: 9 },
  ]);
  const range = (fig.layout.yaxis as { range?: number[] }).range!;
  // 0.53427-0.53429 spans 2e-5: drawn on 0.5316-0.5370, a flat line, not a cliff
  assert(Math.abs(range[1] - range[0] - 0.0053429) < 1e-9, String(range));
  assert(range[0] < 0.53427 && range[1] > 0.53429, String(range));
  assertEquals((fig.layout.yaxis2 as { range?: number[] }).range, undefined);
  const names = (fig.layout.annotations as { text: string }[]).map((a) => a.text);
  assertEquals(
    names[0],
    "<b>adversarial (feature matching): flat, 0.53427 to 0.53429 (is the discriminator learning?)</b>",
  );
  assertEquals(names[1], "<b>contextual |x - x_hat| (x50)</b>");
  const weighted = lossPanels([{ epoch: 1, contextual: 1 }, { epoch: 2, contextual: 2 }], {
    weights: { adversarial: 1, contextual: 10, latent: 1 },
  });
  assertEquals(
    (weighted.layout.annotations as { text: string }[])[0].text,
    "<b>contextual |x - x_hat| (x10)</b>",
  );
});

Deno.test("precisionRecallFigure zooms to the curves: 90% anomalies, curves in 0.9-1", () => {
  // 9 anomalies (label 1) and 1 normal; the normal scores in the middle
  const scores = [0.9, 0.8, 0.7, 0.6, 0.5, 0.45, 0.4, 0.3, 0.2, 0.1];
  const labels = [1, 1, 1, 1, 1, 0, 1, 1, 1, 1];
  const fig = precisionRecallFigure([{ name: "m", scores, labels }]);
  const y = fig.layout.yaxis as { range: number[]; title: { text: string } };
  assertEquals(y.range, [0.8, 1.005]); // lowest precision 5/6 = 0.833, down to a 0.05 step
  assertEquals(y.title.text, "precision (zoomed)");
  // a curve that falls to precision 0 (the top score is normal) keeps the full axis
  const low = precisionRecallFigure([{ name: "m", scores: [0.9, 0.1], labels: [0, 1] }]);
  assertEquals((low.layout.yaxis as { range: number[] }).range[0], 0);
});

Deno.test("classAucBars says where its value axis starts", () => {
  const high = classAucBars([{ name: "t", auc: [0.9, 0.95] }]);
  assertEquals(
    (high.layout.yaxis as { title: { text: string } }).title.text,
    "ROC AUC (axis from 0.5, chance)",
  );
  const low = classAucBars([{ name: "t", auc: [0.3, 0.95] }]);
  assertEquals((low.layout.yaxis as { range: number[] }).range[0], 0);
});
