import {
  assert,
  assertEquals,
  assertRejects,
  assertStringIncludes,
  assertThrows,
} from "@std/assert";
import { dnnlAvailable, skipUnless, useBackend } from "../_helpers.ts";
import * as tf from "../../lib/tf.ts";
import { EdeGan } from "../../lib/models/ede_gan/mod.ts";
import { loadOneClass } from "../../lib/data/protocol.ts";
import { subsetImageSet } from "../../lib/data/preprocess.ts";
import { scoreImages } from "../../lib/score/score.ts";
import { calibrate, decide } from "../../lib/score/calibrate.ts";
import { readScoresCsv, writeScoresCsv } from "../../lib/score/csv.ts";

Deno.test("decisions do not depend on the batch an image is scored in (4 vs 36, wasm)", async () => {
  await useBackend("wasm");
  const data = await loadOneClass({ dataset: "mnist", normal: 1, limit: 64 });
  const images = subsetImageSet(data.train, Int32Array.from({ length: 36 }, (_, i) => i));
  for (const seed of [0, 1]) {
    const model = EdeGan.create({ width: 8, latentSize: 16 }, seed);
    const in4 = (await scoreImages(model, images, { batchSize: 4 })).scores;
    const in36 = (await scoreImages(model, images, { batchSize: 36 })).scores;
    model.dispose();
    // Scoring runs every convolution the same way from the first batch on (XNNPACK on wasm), so
    // the batch an image lies in does not change its bits (it did while the kernel counted calls).
    assertEquals(Array.from(in36), Array.from(in4), `seed ${seed}: scores in batches of 4 and 36`);
    // Calibrated on one batching, decided on the other, at every false-positive rate.
    for (let k = 0; k <= 36; k++) {
      const calibration = calibrate(in4, k / 36);
      const a = [...in4].map((s) => decide(s, calibration));
      const b = [...in36].map((s) => decide(s, calibration));
      assertEquals(b, a, `seed ${seed}, fpr ${k}/36: threshold ${calibration.threshold}`);
      assert(a.filter((d) => d === 1).length <= k, "at most the asked false positives");
    }
  }
});

Deno.test("a NaN score is an error naming the image, never a decision", async () => {
  await useBackend("cpu");
  const model = EdeGan.create({ width: 2, latentSize: 4 }, 0);
  const kernel = model.variables.get("encoder1/conv0/kernel")!;
  tf.tidy(() => kernel.assign(tf.fill(kernel.shape, NaN)));
  const set = {
    pixels: new Uint8Array(3 * 32 * 32),
    labels: new Int32Array(3),
    count: 3,
    height: 32,
    width: 32,
    channels: 1,
    names: ["a.png", "b.png", "c.png"],
  };
  const error = await assertRejects(() => scoreImages(model, set));
  assertStringIncludes(error.message, "the score of a.png is NaN");
  model.dispose();
  const calibration = { min: 0, max: 1, threshold: 0.5, fpr: 0.05, count: 10 };
  assertStringIncludes(
    assertThrows(() => decide(NaN, calibration, "b.png")).message,
    "the score of b.png is NaN; no decision",
  );
  const path = `${await Deno.makeTempDir()}/scores.csv`;
  const csvError = await assertRejects(() =>
    writeScoresCsv(path, [0.1, NaN], [0, 1], undefined, calibration, ["a.png", "b.png"])
  );
  assertStringIncludes(csvError.message, `${path}: not written, the score of b.png is NaN`);
});

Deno.test("a scores CSV takes normal/anomalous labels like labels.csv, and names a bad one", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/scores.csv`;
  await Deno.writeTextFile(
    path,
    "\uFEFFitem,score,label\nnormal/a.png,0.1,normal\nanomalous/b.png,0.9,Anomalous\nc.png,0.2,0\n",
  );
  const rows = await readScoresCsv(path);
  assertEquals(rows.labels, [0, 1, 0]);
  assertEquals(rows.scores, [0.1, 0.9, 0.2]);
  await Deno.writeTextFile(path, "item,score,label\na.png,0.1,normal\nb.png,0.9,outlier\n");
  assertStringIncludes(
    (await assertRejects(() => readScoresCsv(path))).message,
    `${path}:3: label 'outlier', expected 0, 1, normal or anomalous`,
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test("an image's score does not depend on what was scored before (wasm, onednn)", async () => {
  // The wasm conv2d kernel switched an encoder's filter from its SIMD product to XNNPACK after a
  // few calls with it (models/mnist-2: its first 29 validation images scored again after 1000 test
  // images gave 29 other scores, last bits). Here b is 6 batches: past that count.
  const data = await loadOneClass({ dataset: "mnist", normal: 2, limit: 200 });
  const a = subsetImageSet(data.val, Int32Array.from({ length: 5 }, (_, i) => i));
  const b = subsetImageSet(data.train, Int32Array.from({ length: 24 }, (_, i) => i));
  const backends = ["wasm", ...(skipUnless(dnnlAvailable(), "oneDNN") ? [] : ["onednn"])];
  for (const backend of backends as ("wasm" | "onednn")[]) {
    await useBackend(backend);
    const model = EdeGan.create({ width: 8, latentSize: 16 }, 0);
    const first = await scoreImages(model, a, { batchSize: 4, keepLatents: true });
    await scoreImages(model, b, { batchSize: 4 });
    const again = await scoreImages(model, a, { batchSize: 4, keepLatents: true });
    model.dispose();
    assertEquals(Array.from(again.z!), Array.from(first.z!), `${backend}: z`);
    assertEquals(Array.from(again.scores), Array.from(first.scores), `${backend}: scores`);
  }
});
