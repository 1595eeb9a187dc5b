import { assert, assertAlmostEquals, assertEquals, assertThrows } from "@std/assert";
import { createRng } from "../../lib/util/rng.ts";
import {
  compressionVsAuc,
  imageGrid,
  latentScatter,
  latentViews,
  reconstructionGrid,
  rocFigure,
  scoreHistogram,
  trainingCurves,
} from "../../lib/viz/figures.ts";
import { MODEBAR_CLEARANCE } from "../../lib/viz/image_grids.ts";

// Traces are a union of plotly types; tests read them as plain records.
// deno-lint-ignore no-explicit-any
type Trace = Record<string, any>;
const traces = (fig: { data: unknown[] }) => fig.data as Trace[];

/** Two well separated clusters in 6 dimensions, with class labels. */
function clusters(n: number, seed = 1) {
  const rng = createRng(seed);
  const points = Array.from(
    { length: n },
    (_, i) => Array.from({ length: 6 }, (_, j) => (i % 2) * (j === 0 ? 10 : 0) + rng()),
  );
  return { points, classes: points.map((_, i) => i % 2) };
}

Deno.test("trainingCurves: steps on x, present losses only, AUC per epoch on y2", () => {
  const history = [
    { step: 10, epoch: 1, lossG: 3, lossD: 1.5, lossCon: 2 },
    { step: 20, epoch: 1, lossG: 2.5, lossD: 1.4, lossCon: 1.8, auc: 0.6 },
    { step: 30, epoch: 2, lossG: 2, lossD: 1.3, lossCon: 1.5, auc: 0.7 },
    { step: 40, epoch: 2, lossG: 1.8, lossD: 1.2, lossCon: 1.4, auc: 0.75 },
  ];
  const fig = trainingCurves(history);
  const t = traces(fig);
  assertEquals(t.map((d) => d.name), [
    "generator loss",
    "discriminator loss",
    "contextual loss",
    "test AUC",
  ]);
  assertEquals(t[0].x, [10, 20, 30, 40]);
  assertEquals(t[1].y, [1.5, 1.4, 1.3, 1.2]);
  // last AUC of each epoch, at its step, on the second axis
  assertEquals(t[3].x, [20, 40]);
  assertEquals(t[3].y, [0.6, 0.75]);
  assertEquals(t[3].yaxis, "y2");
  assertEquals(fig.layout.yaxis2?.overlaying, "y");
  assertEquals(fig.layout.yaxis2?.range, [0, 1]);
  assertEquals(fig.layout.xaxis?.title, { text: "step" });
});

Deno.test("trainingCurves: epochs on x without steps; missing values left out; no AUC axis", () => {
  const fig = trainingCurves([
    { epoch: 1, lossG: 3, lossD: 1, lossLat: 0.5 },
    { epoch: 2, lossG: 2, lossD: 1 },
  ]);
  const t = traces(fig);
  assertEquals(t.length, 3);
  assertEquals(t[0].x, [1, 2]);
  assertEquals(t[2].name, "latent loss");
  // the record without a latent loss is left out (not a gap, never 0)
  assertEquals([t[2].x, t[2].y], [[1], [0.5]]);
  assertEquals(fig.layout.yaxis2, undefined);
  assertEquals(fig.layout.xaxis?.title, { text: "epoch" });
});

Deno.test("rocFigure: one line per model named with AUC, plus the diagonal", () => {
  const fig = rocFigure([
    { name: "EDE-GAN", fpr: [0, 0.2, 1], tpr: [0, 0.9, 1], auc: 0.912345 },
    { name: "student", fpr: [0, 0.5, 1], tpr: [0, 0.6, 1], auc: 0.55 },
  ]);
  const t = traces(fig);
  assertEquals(t.length, 3);
  assertEquals(t.map((d) => d.name), ["EDE-GAN (AUC 0.912)", "student (AUC 0.550)", "chance"]);
  assertEquals(t[0].x, [0, 0.2, 1]);
  assertEquals(t[0].y, [0, 0.9, 1]);
  assertEquals([t[2].x, t[2].y], [[0, 1], [0, 1]]);
  assert(t[0].line.color !== t[1].line.color, "models get distinct colours");
  assertEquals(fig.layout.xaxis?.range, [0, 1]);
  // the width follows the page (no fixed 560 px); the square comes from scaleanchor
  assertEquals(fig.layout.width, undefined);
  assertEquals(fig.layout.yaxis?.scaleanchor, "x");
  // the title is left-aligned, clear of plotly's toolbar at the top right
  assertEquals((fig.layout.title as Trace).xanchor, "left");
  assertThrows(
    () => rocFigure([{ name: "bad", fpr: [0, 1], tpr: [0], auc: 0 }]),
    RangeError,
    "bad has 2 fpr, 1 tpr",
  );
});

Deno.test("scoreHistogram: classes split, shared bins, threshold line", () => {
  const scores = new Float32Array([0, 1, 2, 3, 8, 9, 10]);
  const fig = scoreHistogram(scores, [false, false, false, false, true, true, true], 5);
  const t = traces(fig);
  assertEquals(t.length, 2);
  assertEquals(t.map((d) => d.type), ["histogram", "histogram"]);
  assertEquals(t[0].x, [0, 1, 2, 3]);
  assertEquals(t[1].x, [8, 9, 10]);
  assertEquals(t[0].name, "normal (n=4)");
  assertEquals(t[1].name, "anomalous (n=3)");
  assertEquals(t[0].xbins, t[1].xbins);
  assertEquals(t[0].xbins.start, 0);
  assertAlmostEquals(t[0].xbins.size, 10 / 40, 1e-12);
  assertEquals(fig.layout.barmode, "overlay");
  const line = fig.layout.shapes![0];
  assertEquals([line.type, line.x0, line.x1, line.yref], ["line", 5, 5, "paper"]);
  assertEquals(scoreHistogram([1, 2], [0, 1]).layout.shapes, undefined);
  assertThrows(() => scoreHistogram([1, 2], [0]), RangeError, "2 scores but 1 anomaly flags");
  assertThrows(() => scoreHistogram([1, NaN], [0, 1]), RangeError, "score 1 is NaN");
});

Deno.test("latentScatter (PCA): one trace per group, separated clusters, hover index", () => {
  const { points, classes } = clusters(40);
  const hover = points.map((_, i) => `score ${i / 10}`);
  const fig = latentScatter(points, { method: "pca", colorBy: classes, hover, title: "z" });
  const t = traces(fig);
  assertEquals(t.length, 2);
  assertEquals(t.map((d) => d.name), ["0", "1"]);
  assertEquals(t[0].customdata, points.flatMap((_, i) => (i % 2 === 0 ? [i] : [])));
  assertEquals(t[1].text[0], "score 0.1");
  assert(t[0].hovertemplate.includes("%{customdata}"));
  // the clusters differ along dimension 0 only, so PC1 separates them completely
  const pc1a = t[0].x as number[], pc1b = t[1].x as number[];
  assert(Math.max(...pc1a) < Math.min(...pc1b) || Math.max(...pc1b) < Math.min(...pc1a));
  assert(
    String(fig.layout.xaxis?.title && (fig.layout.xaxis.title as Trace).text).startsWith(
      "PC1",
    ),
  );
  // PC1 explains nearly all variance
  const pct = Number(/\(([\d.]+)%\)/.exec((fig.layout.xaxis!.title as Trace).text)![1]);
  assert(pct > 90, `PC1 explains ${pct}%`);
});

Deno.test("latentScatter (UMAP): seeded and repeatable, clusters kept apart", () => {
  const { points, classes } = clusters(60, 3);
  const opts = {
    method: "umap" as const,
    colorBy: classes.map((c) => (c ? "anomalous" : "normal")),
    hover: points.map(() => ""),
    title: "u",
    seed: 7,
  };
  const a = traces(latentScatter(points, opts)), b = traces(latentScatter(points, opts));
  assertEquals(a[0].x, b[0].x);
  assertEquals(a.map((d) => d.name), ["anomalous", "normal"]);
  const centre = (d: Trace) =>
    [0, 1].map((k) => (k ? d.y : d.x).reduce((s: number, v: number) => s + v, 0) / d.x.length);
  const [ca, cb] = [centre(a[0]), centre(a[1])];
  const spread = Math.max(...a[0].x) - Math.min(...a[0].x);
  assert(Math.hypot(ca[0] - cb[0], ca[1] - cb[1]) > spread, "clusters separated");
});

Deno.test("latentScatter: many numeric values become one colour-scaled trace", () => {
  const { points } = clusters(30);
  const colorBy = points.map((_, i) => i * 0.1);
  const t = traces(
    latentScatter(points, { method: "pca", colorBy, hover: colorBy.map(String), title: "s" }),
  );
  assertEquals(t.length, 1);
  assertEquals(t[0].marker.color, colorBy);
  assertThrows(
    () => latentScatter(points, { method: "pca", colorBy: [1], hover: [], title: "" }),
    RangeError,
    "30 points, 1 colorBy, 0 hover",
  );
});

Deno.test("latentViews: z, z_hat and their difference, grouped by class and anomaly", () => {
  const { points, classes } = clusters(20);
  const zHat = points.map((p, i) => p.map((v) => v + (i % 2) * 3));
  const figs = latentViews({
    z: points,
    zHat,
    classes: classes.map((c) => (c ? 7 : 0)),
    isAnomaly: classes,
    scores: classes.map((c) => c * 3),
  });
  assertEquals(figs.length, 3);
  assertEquals(figs.map((f) => (f.layout.title as Trace).text), [
    "z = E1(x) (PCA)",
    "z_hat = E2(Dec(z)) (PCA)",
    "z - z_hat (PCA)",
  ]);
  for (const f of figs) {
    assertEquals(traces(f).map((d) => d.name), ["class 0 (normal)", "class 7 (anomalous)"]);
  }
  assert(traces(figs[2])[1].text[0].includes("score 3.000"));
  assertThrows(
    () => latentViews({ z: points, zHat, classes: [], isAnomaly: [], scores: [] }),
    RangeError,
    "lengths differ",
  );
});

Deno.test("compressionVsAuc: log x, lines per method sorted by ratio, teacher at 1", () => {
  const fig = compressionVsAuc([
    { ratio: 16, aucScratch: 0.7, aucPkdgan: 0.85, label: "w4" },
    { ratio: 4, aucScratch: 0.8, aucOneStep: 0.84, aucPkdgan: 0.9, label: "w8" },
  ], { auc: 0.93 });
  const t = traces(fig);
  assertEquals(fig.layout.xaxis?.type, "log");
  assertEquals(t.map((d) => d.name), ["trained from scratch", "one-step KD", "P-KDGAN", "teacher"]);
  // methods nudged apart along x (scratch 4 % left), the true ratio in customdata
  assertEquals(t[0].customdata, [4, 16]);
  assertEquals(t[0].x, [4 / 1.04, 16 / 1.04]);
  assertEquals(t[0].y, [0.8, 0.7]);
  assertEquals(t[1].x, [4]);
  assertEquals(t[0].error_y, undefined);
  // 1-2-5 ticks only: no stray minor labels on the log axis
  assertEquals(fig.layout.xaxis?.tickvals, [1, 2, 5, 10, 20]);
  assertEquals(fig.layout.legend?.yanchor, "bottom");
  assertEquals(t[2].text, ["w8", "w4"]);
  assertEquals([t[3].x, t[3].y, t[3].marker.symbol], [[1], [0.93], "star"]);
  assertEquals(fig.layout.shapes![0].y0, 0.93);
  assertThrows(
    () => compressionVsAuc([{ ratio: 0, label: "z" }], { auc: 1 }),
    RangeError,
    "ratio of z is 0",
  );
});

Deno.test("imageGrid: trace kinds, pixel mapping, subplot layout", () => {
  const rgb = new Float32Array(2 * 2 * 3).fill(-1);
  rgb[0] = 1; // top-left red channel to white in [-1, 1]
  const fig = imageGrid([
    { pixels: new Float32Array([0, 0.5, 1, 0.25]), height: 2, width: 2, channels: 1, title: "x" },
    { pixels: rgb, height: 2, width: 2, channels: 3, title: "rgb" },
    {
      pixels: new Float32Array([0, 2, 4, 8]),
      height: 2,
      width: 2,
      channels: 1,
      colorscale: "Hot",
    },
  ], { columns: 2, cellPx: 100 });
  const t = traces(fig);
  assertEquals(t.map((d) => d.type), ["heatmap", "image", "heatmap"]);
  assertEquals(t[0].z, [[0, 0.5], [1, 0.25]]);
  assertEquals([t[0].zmin, t[0].zmax], [0, 1]);
  assertEquals(t[1].z[0][0], [255, 0, 0]);
  assertEquals(t[1].z[1][1], [0, 0, 0]);
  assertEquals([t[2].zmin, t[2].zmax, t[2].colorscale], [0, 8, "Hot"]);
  assertEquals(t.map((d) => d.xaxis), ["x", "x2", "x3"]);
  const layout = fig.layout as Trace;
  assertEquals(layout.yaxis3.autorange, "reversed");
  assertEquals(layout.yaxis2.scaleanchor, "x2");
  // third image starts the second row, in the first column
  assertEquals(layout.xaxis3.domain, layout.xaxis.domain);
  assert(layout.yaxis3.domain[1] < layout.yaxis.domain[0]);
  assertEquals(fig.layout.annotations!.map((a) => a.text), ["x", "rgb"]);
  assertThrows(
    () => imageGrid([{ pixels: new Uint8Array(3), height: 2, width: 2, channels: 1 }]),
    RangeError,
    "expected 2x2x1 = 4",
  );
});

Deno.test("reconstructionGrid: extremes by score, x / x_hat / |x - x_hat| rows", () => {
  const n = 5, size = 4;
  const images = new Float32Array(n * size).map((_, i) => Math.floor(i / size) / 10);
  const recon = new Float32Array(n * size);
  const fig = reconstructionGrid({
    images,
    reconstructions: recon,
    scores: [0.5, 0.1, 0.9, 0.3, 0.7],
    height: 2,
    width: 2,
    channels: 1,
    k: 2,
  });
  const t = traces(fig);
  assertEquals(t.length, 12);
  const titles = fig.layout.annotations!.map((a) => a.text);
  assertEquals(titles.slice(0, 4), ["#1<br>s=0.1", "#3<br>s=0.3", "#2<br>s=0.9", "#4<br>s=0.7"]);
  assertEquals(titles.slice(4), [
    "normal: x",
    "x_hat",
    "|x - x_hat|",
    "anomalous: x",
    "x_hat",
    "|x - x_hat|",
  ]);
  // the image row shows item 1 (most normal), the next row its reconstruction
  assertAlmostEquals(t[0].z[0][0], 0.1, 1e-6);
  assertEquals(t[2].z, [[0, 0], [0, 0]]);
  // |x - x_hat| of item 2 (all 0.2) in the anomalous block's heat-map row
  assertEquals(t[10].colorscale, "Hot");
  assertAlmostEquals(t[10].z[0][0], 0.2, 1e-6);
  // one colour bar per |x - x_hat| row, none on the images
  assertEquals(t.map((d) => d.showscale === true), t.map((_, i) => i === 4 || i === 10));
  assertEquals(t[4].colorbar.title.text, "|x - x_hat|");

  // titles carry test-set indices and classes when given
  const named = reconstructionGrid({
    images,
    reconstructions: recon,
    scores: [0.5, 0.1, 0.9, 0.3, 0.7],
    items: [100, 101, 102, 103, 104],
    classes: [1, 1, 7, 1, 3],
    height: 2,
    width: 2,
    channels: 1,
    k: 1,
  });
  assertEquals(named.layout.annotations!.slice(0, 2).map((a) => a.text), [
    "class 1 · #101<br>s=0.1",
    "class 7 · #102<br>s=0.9",
  ]);
});

Deno.test("compressionVsAuc: error bars and extra series (published, committed) on one plot", () => {
  const fig = compressionVsAuc(
    [{ ratio: 42, aucScratch: 0.9, stdScratch: 0.02, aucPkdgan: 0.88, label: "w4" }],
    { auc: 0.91 },
    {
      extra: [
        {
          name: "published P-KDGAN",
          points: [{ ratio: 311.11, auc: 0.9725 }],
          symbol: "star-open",
        },
      ],
    },
  );
  const t = traces(fig);
  assertEquals(t.map((d) => d.name), [
    "trained from scratch",
    "P-KDGAN",
    "published P-KDGAN",
    "teacher",
  ]);
  assertEquals(t[0].error_y.array, [0.02]);
  assertEquals([t[2].x, t[2].y], [[311.11], [0.9725]]);
  assertEquals(fig.layout.xaxis?.tickvals, [1, 2, 5, 10, 20, 50, 100, 200]);
  // many series: one per line below the plot, never wrapped onto the title
  const many = compressionVsAuc([], { auc: 0.9 }, {
    extra: [1, 2, 3, 4, 5].map((j) => ({ name: `s${j}`, points: [{ ratio: 10 * j, auc: 0.8 }] })),
  });
  assertEquals([many.layout.legend?.orientation, many.layout.legend?.yanchor], ["v", "top"]);
  assert((many.layout.legend?.y as number) < 0);
  assertThrows(
    () =>
      compressionVsAuc([], { auc: 1 }, { extra: [{ name: "p", points: [{ ratio: -1, auc: 1 }] }] }),
    RangeError,
    "ratio of p is -1",
  );
});

Deno.test("an untitled image grid leaves room above its first row for plotly's toolbar", () => {
  const img = {
    pixels: new Float32Array(4),
    height: 2,
    width: 2,
    channels: 1,
    title: "class 3 · #21",
  };
  const untitled = imageGrid([img, img]);
  assertEquals((untitled.layout.margin as { t: number }).t, MODEBAR_CLEARANCE);
  assert(MODEBAR_CLEARANCE >= 28, "plotly's toolbar is 28 px high");
  assertEquals((imageGrid([img], { title: "t" }).layout.margin as { t: number }).t, 50);
});
