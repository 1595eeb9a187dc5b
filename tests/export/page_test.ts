import { assert, assertEquals } from "@std/assert";
import { join } from "@std/path";
import { PNG } from "pngjs";
import * as tf from "../../lib/tf.ts";
import { exportRun, serveScoringPage } from "../../lib/export/mod.ts";
import { readScoresCsv } from "../../lib/score/csv.ts";
import { loadOneClass } from "../../lib/data/protocol.ts";
import { chromiumExists, launchChromium } from "../../lib/viz/_chromium.ts";
import type { Page } from "playwright-core";
import { edeganFolderScores, tempDir, trainedRun } from "./_runs.ts";

/** MNIST test images written as PNG files, as a user would drop them. */
const IMAGES = 1000;

// The page's globals are untyped here; callbacks of page.evaluate run in the browser.
// deno-lint-ignore no-explicit-any
type Any = any;
declare const document: Any;
declare const DataTransfer: Any;

function png(width: number, height: number, rgba: (p: number, c: number) => number): Uint8Array {
  const image = new PNG({ width, height });
  for (let p = 0; p < width * height; p++) {
    for (let c = 0; c < 4; c++) image.data[p * 4 + c] = rgba(p, c);
  }
  return PNG.sync.write(image);
}

/**
 * A folder of image files: real MNIST test digits at their own 28x28 (the page resizes them to
 * 32x32 as edegan does), and one colour image of another size (resized down and made grey).
 */
async function imageFolder(): Promise<string> {
  const dir = await tempDir("edegan-page-images-");
  const { test } = await loadOneClass({
    dataset: "mnist",
    normal: 2,
    testLimit: IMAGES,
    imageSize: 28,
  });
  for (let i = 0; i < test.count; i++) {
    const pixels = test.pixels.subarray(i * 784, (i + 1) * 784);
    const name = `mnist-${String(i).padStart(3, "0")}-digit${test.labels[i]}.png`;
    await Deno.writeFile(join(dir, name), png(28, 28, (p, c) => c === 3 ? 255 : pixels[p]));
  }
  await Deno.writeFile(
    join(dir, "colour-45x37.png"),
    png(45, 37, (p, c) => c === 3 ? 255 : (p * (c + 3) * 7) % 256),
  );
  return dir;
}

/** Waits until the page has shown `count` rows in all. */
async function scored(page: Page, count: number): Promise<void> {
  await page.waitForFunction(
    (n) => document.body.dataset.scored === String(n) || document.body.dataset.error,
    count,
    { timeout: 120_000 },
  );
}

Deno.test({
  name:
    "the scoring page scores 1000 MNIST files, chosen or dropped, in Chromium as edegan does, with its decisions",
  ignore: !chromiumExists(),
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const run = await trainedRun("student");
    const images = await imageFolder();
    // edegan's own scores of the same files, as `deno task score --images` computes them.
    const { set, want, threshold } = await edeganFolderScores(run, images);

    const exported = join(await tempDir(), "tfjs");
    await tf.setBackend("cpu");
    await exportRun({ model: run, format: "tfjs", out: exported });
    const server = await serveScoringPage(exported, { port: 0 });
    assert(server.url.startsWith("http://127.0.0.1:"), server.url);
    const browser = await launchChromium();
    try {
      const page = await browser.context.newPage();
      await page.setViewportSize({ width: 1000, height: 900 });
      const errors: string[] = [];
      page.on("pageerror", (e) => errors.push(e.message));
      page.on(
        "console",
        (m) => m.type() === "error" && errors.push(`${m.text()} ${m.location().url}`),
      );
      await page.goto(server.url);
      await page.waitForFunction(() => document.body.dataset.ready === "true", null, {
        timeout: 60_000,
      });
      // Chosen with the file input: every image, and a file that is not one.
      const files = [...set.names!.map((n) => join(images, n)), import.meta.filename!];
      await page.setInputFiles("#files", files);
      await scored(page, files.length);
      // Dropped on the page: three of them again.
      const dropped = [0, 1, 2].map((i) => set.names![i]);
      const dataTransfer = await page.evaluateHandle((items) => {
        const transfer = new DataTransfer();
        for (const { name, bytes } of items) {
          transfer.items.add(new File([new Uint8Array(bytes)], name, { type: "image/png" }));
        }
        return transfer;
      }, dropped.map((name) => ({ name, bytes: [...Deno.readFileSync(join(images, name))] })));
      await page.dispatchEvent("#drop", "drop", { dataTransfer });
      await scored(page, files.length + dropped.length);

      const rows: { name: string; score?: string; decision?: string; error?: string }[] = await page
        .evaluate(() =>
          [...document.querySelectorAll("tr.result")].map((tr: Any) => ({ ...tr.dataset }))
        );
      assertEquals(errors, []);
      assertEquals(rows.length, files.length + dropped.length);
      // A file that is not an image is a row with a reason, not a score.
      assertEquals(rows[files.length - 1].error, "unreadable image, expected a PNG or JPEG file");
      const expected = [...set.names!.map((name, i) => ({ name, score: want[i] }))];
      const seen = [
        ...rows.slice(0, set.count),
        ...rows.slice(files.length),
      ];
      for (const i of [0, 1, 2]) expected.push(expected[i]);
      let maxAbs = 0, maxRel = 0;
      seen.forEach((row, i) => {
        assertEquals(row.name, expected[i].name);
        const d = Math.abs(Number(row.score) - expected[i].score);
        maxAbs = Math.max(maxAbs, d);
        maxRel = Math.max(maxRel, d / Math.abs(expected[i].score));
      });
      console.log(
        `page (Chromium, tfjs cpu): ${seen.length} images (${dropped.length} dropped), max ` +
          `|difference| ${maxAbs.toExponential(2)}, max relative ${maxRel.toExponential(2)}`,
      );
      assert(maxAbs <= 1e-5 && maxRel <= 1e-5, `page scores differ by ${maxAbs} (${maxRel})`);
      // The decisions are edegan's wherever the scores' difference cannot cross the threshold.
      let decided = 0;
      seen.forEach((row, i) => {
        if (Math.abs(expected[i].score - threshold) <= maxAbs) return;
        decided++;
        assertEquals(
          row.decision,
          expected[i].score >= threshold ? "anomalous" : "normal",
          row.name,
        );
      });
      assert(decided >= seen.length - 2, `${decided} of ${seen.length} decisions checked`);
      assert(
        seen.some((r) => r.decision === "anomalous") && seen.some((r) => r.decision === "normal"),
      );
      // The download: every scored image once per scoring, as `deno task score` writes a CSV.
      const [download] = await Promise.all([
        page.waitForEvent("download"),
        page.click("#download"),
      ]);
      const csv = join(await tempDir(), "page-scores.csv");
      await download.saveAs(csv);
      const table = await readScoresCsv(csv);
      const scoredRows = rows.filter((r) => r.score !== undefined);
      assertEquals(table.items, scoredRows.map((r) => r.name));
      assertEquals(table.scores, scoredRows.map((r) => Number(r.score)));
      assertEquals(
        table.decisions,
        scoredRows.map((r) => r.decision === "anomalous" ? 1 : 0),
      );
      const shot = Deno.env.get("EDEGAN_PAGE_SHOT");
      if (shot) await page.screenshot({ path: shot, fullPage: false });
    } finally {
      await browser.close();
      await server.shutdown();
    }
  },
});
