import { assert, assertEquals } from "@std/assert";
import { join } from "@std/path";
import { PNG } from "pngjs";
import * as tf from "../../lib/tf.ts";
import { exportRun, serveScoringPage } from "../../lib/export/mod.ts";
import { loadEdeGan } from "../../lib/models/ede_gan/mod.ts";
import { scoreImages } from "../../lib/score/score.ts";
import { loadImageFolder } from "../../lib/score/images.ts";
import { loadOneClass } from "../../lib/data/protocol.ts";
import { chromiumExists, launchChromium } from "../../lib/viz/_chromium.ts";
import { useBackend } from "../_helpers.ts";
import { tempDir, trainedRun } from "./_runs.ts";

/** MNIST test images written as PNG files, as a user would drop them. */
const IMAGES = 200;

// The page's globals are untyped here; callbacks of page.evaluate run in the browser.
// deno-lint-ignore no-explicit-any
type Any = any;
declare const document: Any;

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

Deno.test({
  name: "the scoring page scores dropped MNIST images in Chromium as edegan does, with decisions",
  ignore: !chromiumExists(),
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const run = await trainedRun("student");
    const images = await imageFolder();
    // edegan's own scores of the same files, as `deno task score --images` computes them.
    await useBackend("cpu");
    const set = await loadImageFolder(images, 32, 1);
    const { model } = await loadEdeGan(join(run, "model"));
    const want = (await scoreImages(model, set)).scores;
    model.dispose();
    const threshold = JSON.parse(await Deno.readTextFile(join(run, "run.json"))).calibration
      .threshold as number;

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
      const files = [...set.names!.map((n) => join(images, n)), import.meta.filename!];
      await page.setInputFiles("#files", files);
      await page.waitForFunction(
        (n) => document.body.dataset.scored === String(n) || document.body.dataset.error,
        files.length,
        { timeout: 120_000 },
      );
      const rows: { name: string; score?: string; decision?: string; error?: string }[] = await page
        .evaluate(() =>
          [...document.querySelectorAll("tr.result")].map((tr: Any) => ({ ...tr.dataset }))
        );
      assertEquals(errors, []);
      assertEquals(rows.length, files.length);
      // A file that is not an image is a row with a reason, not a score.
      assertEquals(rows.at(-1)!.error, "unreadable image, expected a PNG or JPEG file");
      let maxAbs = 0, maxRel = 0;
      set.names!.forEach((name, i) => {
        const row = rows[i];
        assertEquals(row.name, name);
        const score = Number(row.score);
        const d = Math.abs(score - want[i]);
        maxAbs = Math.max(maxAbs, d);
        maxRel = Math.max(maxRel, d / Math.abs(want[i]));
        if (Math.abs(want[i] - threshold) > 1e-5) {
          assertEquals(row.decision, want[i] >= threshold ? "anomalous" : "normal", name);
        }
      });
      console.log(
        `page (Chromium, tfjs cpu): ${set.count} images, max |difference| ` +
          `${maxAbs.toExponential(2)}, max relative ${maxRel.toExponential(2)}`,
      );
      assert(maxAbs <= 1e-5 && maxRel <= 1e-5, `page scores differ by ${maxAbs} (${maxRel})`);
      const shot = Deno.env.get("EDEGAN_PAGE_SHOT");
      if (shot) await page.screenshot({ path: shot, fullPage: false });
    } finally {
      await browser.close();
      await server.shutdown();
    }
  },
});
