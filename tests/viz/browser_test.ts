/**
 * Real-browser checks: pages and notebook outputs are opened in headless Chromium and must draw
 * every plot without console errors. Skipped when /usr/bin/chromium is absent. Set
 * EDEGAN_VIZ_SHOTS=<dir> to keep the screenshots.
 */
import { assert, assertAlmostEquals, assertEquals } from "@std/assert";
import { Buffer } from "node:buffer";
import { PNG } from "pngjs";
import { createRng } from "../../lib/util/rng.ts";
import { rocAuc, rocCurve, thresholdAtFpr } from "../../lib/metrics/mod.ts";
import {
  compressionVsAuc,
  type Figure,
  latentScatter,
  latentViews,
  reconstructionGrid,
  rocFigure,
  scoreHistogram,
  trainingCurves,
} from "../../lib/viz/figures.ts";
import { htmlTable, toHtml, writeHtml } from "../../lib/viz/html.ts";
import {
  aucAndTime,
  aucPerAnomalousClass,
  aucPerEpoch,
  classAucBars,
  errorGallery,
  lossPanels,
  pairedAucs,
  precisionRecallFigure,
  scoreAgreement,
  scoresByClass,
} from "../../lib/viz/analysis.ts";
import { plotlyBundle } from "../../lib/viz/jupyter.ts";
import { figureToPng } from "../../lib/viz/png.ts";
import { chromiumExists, launchChromium } from "../../lib/viz/_chromium.ts";
import type { Page } from "playwright-core";

const ignore = !chromiumExists();
/** plotly.js 4 stacks three .main-svg layers in every drawn plot (plot, images, hover/info). */
const SVGS_PER_PLOT = 3;
const browserTest = { ignore, sanitizeOps: false, sanitizeResources: false };

/** A small synthetic evaluation: scores, labels, latents and 8x8 images. */
function evaluation() {
  const rng = createRng(11);
  const n = 120;
  const labels = Array.from({ length: n }, (_, i) => (i % 4 === 0 ? 1 : 0));
  const scores = labels.map((y) => rng() + 0.8 * y);
  const weak = labels.map((y) => rng() + 0.2 * y);
  const z = labels.map((y) => Array.from({ length: 8 }, (_, j) => rng() + (j < 2 ? 3 * y : 0)));
  const zHat = z.map((row, i) => row.map((v) => v - scores[i] * 0.6 * rng()));
  const size = 8 * 8;
  const images = new Float32Array(n * size).map((_, k) => {
    const i = Math.floor(k / size), p = k % size;
    return Math.tanh(Math.sin((p % 8) + (i % 5)) + (labels[i] ? 0.5 : 0));
  });
  const recon = images.map((v, k) => v * 0.9 + 0.1 * Math.cos(k));
  // digit 2 normal; anomalies spread over the other nine digits
  const classes = labels.map((y, i) => (y ? [0, 1, 3, 4, 5, 6, 7, 8, 9][i % 9] : 2));
  return { labels, scores, weak, z, zHat, images, recon, classes };
}

function reportFigures(): { figures: Figure[]; aucs: number[] } {
  const e = evaluation();
  const aucs = [rocAuc(e.scores, e.labels), rocAuc(e.weak, e.labels)];
  const history = Array.from({ length: 30 }, (_, s) => ({
    step: s * 10,
    epoch: Math.floor(s / 10) + 1,
    lossG: 3 / (1 + s / 5),
    lossD: 1.2 + 0.1 * Math.sin(s),
    lossCon: 2 / (1 + s / 8),
    lossLat: 0.3,
    auc: s % 10 === 9 ? 0.6 + s / 100 : undefined,
  }));
  const normals = e.scores.filter((_, i) => e.labels[i] === 0);
  const figures = [
    trainingCurves(history),
    rocFigure([
      { name: "EDE-GAN", ...rocCurve(e.scores, e.labels), auc: aucs[0] },
      { name: "weak student", ...rocCurve(e.weak, e.labels), auc: aucs[1] },
    ]),
    scoreHistogram(e.scores, e.labels, thresholdAtFpr(normals, 0.05)),
    ...latentViews({
      z: e.z,
      zHat: e.zHat,
      classes: e.labels.map((y) => (y ? 3 : 0)),
      isAnomaly: e.labels,
      scores: e.scores,
    }),
    latentScatter(e.z, {
      method: "umap",
      colorBy: e.labels.map((y) => (y ? "anomalous" : "normal")),
      hover: e.scores.map((s) => `score ${s.toFixed(3)}`),
      title: "z (UMAP)",
      seed: 1,
    }),
    compressionVsAuc([
      { ratio: 4, aucScratch: 0.8, aucOneStep: 0.84, aucPkdgan: 0.9, label: "width 16" },
      { ratio: 16, aucScratch: 0.7, aucOneStep: 0.76, aucPkdgan: 0.85, label: "width 8" },
      { ratio: 64, aucScratch: 0.6, aucPkdgan: 0.8, label: "width 4" },
    ], { auc: 0.93 }),
    reconstructionGrid({
      images: e.images,
      reconstructions: e.recon,
      scores: e.scores,
      height: 8,
      width: 8,
      channels: 1,
      k: 3,
    }),
    // error analysis (analysis.ts), from index 9
    lossPanels([
      ...history.map((h) => ({
        step: h.step,
        epoch: h.epoch,
        lossD: h.lossD,
        contextual: h.lossCon,
      })),
      ...history.filter((h) => h.auc !== undefined).map((h) => ({
        step: h.step,
        epoch: h.epoch,
        auc: h.auc,
        adversarial: 0.1,
        latent: h.lossLat,
      })),
    ]),
    precisionRecallFigure([{ name: "EDE-GAN", scores: e.scores, labels: e.labels }]),
    scoresByClass({ scores: e.scores, classes: e.classes, isAnomaly: e.labels, threshold: 0.9 }),
    scoresByClass({ scores: e.scores, classes: e.classes, isAnomaly: e.labels, kind: "violin" }),
    classAucBars([
      { name: "EDE-GAN", auc: aucPerAnomalousClass(e.scores, e.classes, e.labels) },
      { name: "weak", auc: aucPerAnomalousClass(e.weak, e.classes, e.labels) },
    ]),
    scoreAgreement({ x: e.scores, y: e.weak, isAnomaly: e.labels, xName: "t", yName: "s" }),
    errorGallery({
      scores: e.scores,
      isAnomaly: e.labels,
      classes: e.classes,
      threshold: 0.9,
      image: (i) => e.images.subarray(i * 64, (i + 1) * 64),
      height: 8,
      width: 8,
      channels: 1,
      k: 4,
    }),
    aucAndTime([
      { setting: "batch 1", auc: 0.9, seconds: 50 },
      { setting: "batch 64", auc: 0.4, seconds: 4 },
    ]),
    aucPerEpoch([{ name: "batch 1", history: [{ epoch: 1, auc: 0.3 }, { epoch: 2, auc: 0.8 }] }]),
    pairedAucs([{ x: 0.8, y: 0.9, label: "a", group: "mnist" }, { x: 0.9, y: 0.85, label: "b" }], {
      xName: "reconstruction",
      yName: "latent",
    }),
    classAucBars([{ name: "teacher", auc: [0.99, 0.9] }], {
      references: [{ value: 0.978, label: "published 97.80" }],
    }),
  ];
  return { figures, aucs };
}

/** Collects console errors and uncaught exceptions of a page. */
function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(`console: ${m.text()}`);
  });
  page.on("pageerror", (e) => errors.push(`pageerror: ${e.message}`));
  page.on("requestfailed", (r) => errors.push(`request failed: ${r.url()}`));
  return errors;
}

async function shotDir(): Promise<{ dir: string; keep: boolean }> {
  const keep = Deno.env.get("EDEGAN_VIZ_SHOTS");
  if (keep) {
    await Deno.mkdir(keep, { recursive: true });
    return { dir: keep, keep: true };
  }
  return { dir: await Deno.makeTempDir({ prefix: "edegan-viz-" }), keep: false };
}

// The page's globals are untyped from here; callbacks of page.evaluate run in the browser.
// deno-lint-ignore no-explicit-any
type Any = any;
declare const document: Any;

Deno.test({
  name: "browser: report page draws every figure, without console errors",
  ...browserTest,
  async fn() {
    const { figures, aucs } = reportFigures();
    const { dir, keep } = await shotDir();
    const browser = await launchChromium();
    try {
      const table = htmlTable([
        { model: "EDE-GAN", auc: aucs[0] },
        { model: "weak student", auc: aucs[1] },
      ]);
      const path = `${dir}/report.html`;
      await writeHtml(path, toHtml(figures, "edegan report (test)", table));
      const page = await browser.context.newPage();
      await page.setViewportSize({ width: 1200, height: 900 });
      const errors = watchErrors(page);
      await page.goto(new URL(`file://${path}`).href, { waitUntil: "load" });
      await page.waitForFunction(
        (n) =>
          [...document.querySelectorAll(".edegan-figure")].filter((d: Any) =>
            d.querySelector(".main-svg")
          ).length === n,
        figures.length,
        { timeout: 30_000 },
      );
      const rendered = await page.evaluate(() =>
        [...document.querySelectorAll(".edegan-figure")].map((d: Any) => ({
          svgs: d.querySelectorAll(".main-svg").length,
          traces: (d as Any)._fullData.length,
          title: (d as Any)._fullLayout.title.text,
        }))
      );
      assertEquals(rendered.length, figures.length);
      assertEquals(rendered.map((r) => r.svgs), figures.map(() => SVGS_PER_PLOT));
      assertEquals(rendered.map((r) => r.traces), figures.map((f) => f.data.length));
      assertEquals(rendered[1].title, "ROC");

      // the ROC legend shows the AUCs computed by lib/metrics
      const legend = await page.locator("#figure-1 .legendtext").allTextContents();
      assertEquals(legend, [
        `EDE-GAN (AUC ${aucs[0].toFixed(3)})`,
        `weak student (AUC ${aucs[1].toFixed(3)})`,
        "chance",
      ]);
      // the compression plot's x axis is logarithmic with the teacher at ratio 1
      const compression = await page.evaluate(() => {
        const gd = document.getElementById("figure-7") as Any;
        return {
          type: gd._fullLayout.xaxis.type,
          range: gd._fullLayout.xaxis.range,
          teacherX: gd._fullData.at(-1).x,
        };
      });
      assertEquals(compression.type, "log");
      assert(compression.range[0] < 0 && compression.range[1] > Math.log10(64));
      assertEquals(compression.teacherX, [1]);
      // training curves put the AUC on a second axis
      const yaxes = await page.locator("#figure-0 .yaxislayer-above").count();
      assert(yaxes >= 1);
      assertEquals(
        await page.evaluate(() =>
          (document.getElementById("figure-0") as Any)._fullLayout.yaxis2.overlaying
        ),
        "y",
      );
      // histogram bars and the threshold line are drawn
      assert((await page.locator("#figure-2 .barlayer .point").count()) > 10);
      assertEquals(await page.locator("#figure-2 .shapelayer path").count(), 1);
      // the image grid holds 18 subplots, each with its heat map drawn
      const heatmaps = await page.locator("#figure-8 .heatmaplayer image").count();
      assertEquals(heatmaps, 18);
      // every figure has marks drawn in it and writes no NaN anywhere
      const drawn = await page.evaluate(() =>
        [...document.querySelectorAll(".edegan-figure")].map((d: Any) => ({
          marks: d.querySelectorAll(
            ".scatterlayer .trace path.js-line, .scatterlayer .point, .barlayer .point, " +
              ".heatmaplayer image, .boxlayer path.box, .violinlayer path.violin",
          ).length,
          nan: /NaN/.test(d.textContent),
        }))
      );
      drawn.forEach((d, i) => {
        assert(d.marks > 0, `figure ${i} (${rendered[i].title}) is an empty panel`);
        assert(!d.nan, `figure ${i} (${rendered[i].title}) writes NaN`);
      });
      // loss panels: the discriminator's axis is logarithmic; boxes and violins for ten classes
      assertEquals(
        await page.evaluate(() =>
          (document.getElementById("figure-9") as Any)._fullLayout.yaxis4.type
        ),
        "log",
      );
      assertEquals(await page.locator("#figure-11 .boxlayer path.box").count(), 10);
      assertEquals(await page.locator("#figure-12 .violinlayer path.violin").count(), 10);
      // the table came through
      assertEquals(await page.locator(".edegan-table tbody tr").count(), 2);

      await page.screenshot({ path: `${dir}/report.png`, fullPage: true });
      const shot = PNG.sync.read(Buffer.from(await Deno.readFile(`${dir}/report.png`)));
      assertEquals(shot.width, 1200);
      assert(shot.height > figures.length * 400, `full page ${shot.height}px high`);
      assertEquals(errors, []);
      if (keep) console.log(`screenshot: ${dir}/report.png`);
    } finally {
      await browser.close();
      if (!keep) await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "browser: notebook HTML fallbacks draw offline, plotly loaded once",
  ...browserTest,
  async fn() {
    const { figures } = reportFigures();
    // As nbconvert writes them: only text/html survives. The first output waits for plotly.js,
    // which the second carries; the third finds it loaded.
    const outputs = [
      plotlyBundle(figures[1], { embedPlotly: "never" }),
      plotlyBundle(figures[2], { embedPlotly: "always" }),
      plotlyBundle(figures[7], { embedPlotly: "never" }),
    ].map((b) => `<div class="output">${b["text/html"]}</div>`);
    const { dir, keep } = await shotDir();
    const browser = await launchChromium();
    try {
      const path = `${dir}/notebook.html`;
      await writeHtml(
        path,
        `<!DOCTYPE html><html><head><meta charset="utf-8"></head><body>${
          outputs.join("\n")
        }</body></html>`,
      );
      const page = await browser.context.newPage();
      const errors = watchErrors(page);
      await page.goto(new URL(`file://${path}`).href, { waitUntil: "load" });
      await page.waitForFunction(
        (n) => document.querySelectorAll(".edegan-plot .main-svg").length === n,
        3 * SVGS_PER_PLOT,
        { timeout: 30_000 },
      );
      const plots = await page.evaluate(() =>
        [...document.querySelectorAll(".edegan-plot")].map((d: Any) => d._fullData.length)
      );
      assertEquals(plots, [3, 2, 4]);
      await page.screenshot({ path: `${dir}/notebook.png`, fullPage: true });
      assertEquals(errors, []);
    } finally {
      await browser.close();
      if (!keep) await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "browser: figureToPng writes a PNG of the requested size with the plot in it",
  ...browserTest,
  async fn() {
    const { dir, keep } = await shotDir();
    try {
      const fig = rocFigure([{ name: "m", fpr: [0, 0.1, 1], tpr: [0, 0.8, 1], auc: 0.85 }]);
      const bytes = await figureToPng(fig, `${dir}/png/roc.png`, {
        width: 400,
        height: 300,
        scale: 2,
      });
      const png = PNG.sync.read(Buffer.from(await Deno.readFile(`${dir}/png/roc.png`)));
      assertEquals([png.width, png.height], [800, 600]);
      assertEquals(bytes.length, (await Deno.stat(`${dir}/png/roc.png`)).size);
      // the curve's colour (#1f77b4) is present
      let blue = 0;
      for (let p = 0; p < png.data.length; p += 4) {
        const [r, g, b] = [png.data[p], png.data[p + 1], png.data[p + 2]];
        if (Math.abs(r - 0x1f) < 20 && Math.abs(g - 0x77) < 20 && Math.abs(b - 0xb4) < 20) blue++;
      }
      assert(blue > 500, `${blue} curve-coloured pixels`);
      assertAlmostEquals(png.width / png.height, 4 / 3, 1e-9);
    } finally {
      if (!keep) await Deno.remove(dir, { recursive: true });
    }
  },
});
