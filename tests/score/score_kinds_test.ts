import { assert, assertAlmostEquals, assertEquals, assertNotEquals } from "@std/assert";
import { useBackend } from "../_helpers.ts";
import * as tf from "../../lib/tf.ts";
import { EdeGan, SCORE_KINDS } from "../../lib/models/ede_gan/mod.ts";
import { loadOneClass } from "../../lib/data/protocol.ts";
import { batchTensor } from "../../lib/data/batches.ts";
import { fit } from "../../lib/train/trainer.ts";
import { scoreImages } from "../../lib/score/score.ts";
import { compareScoreKinds } from "../../lib/models/ede_gan/compare_kinds.ts";
import { calibrate } from "../../lib/score/calibrate.ts";
import type { ImageSet } from "../../lib/data/types.ts";

/** A width-4 model trained one epoch on 64 MNIST images of digit 2 (wasm, batch 8). */
async function tinyTrained() {
  await useBackend("wasm");
  const data = await loadOneClass({ dataset: "mnist", normal: 2, limit: 64, testLimit: 200 });
  const model = EdeGan.create({ width: 4, latentSize: 16 }, 0);
  await fit(model, data.train, { epochs: 1, batchSize: 8, seed: 0 });
  return { data, model };
}

Deno.test("score kinds: each a real AUC in [0, 1], different from each other; latent is the existing score", async () => {
  const { data, model } = await tinyTrained();
  const plain = (await scoreImages(model, data.test)).scores;
  const all = await scoreImages(model, data.test, { kinds: SCORE_KINDS, batchSize: 64 });
  // The latent kind is the score as it always was, bit for bit.
  assertEquals([...all.byKind.latent!], [...plain]);
  assertEquals(all.scores, all.byKind.latent);
  const before = tf.memory().numTensors;
  const rows = await compareScoreKinds(model, data, { modes: ["moving"] });
  assertEquals(tf.memory().numTensors, before, "no tensor leaks");
  assertEquals(rows.map((r) => r.kind), ["latent", "reconstruction", "features"]);
  for (const r of rows) {
    assert(Number.isFinite(r.auc) && r.auc >= 0 && r.auc <= 1, `${r.kind}: auc ${r.auc}`);
  }
  const aucs = rows.map((r) => r.auc);
  assertEquals(new Set(aucs).size, 3, `kinds give different AUCs: ${aucs}`);
  // Each kind's threshold is calibrated on its own validation scores, never the test set.
  const val = await scoreImages(model, data.val, { kinds: SCORE_KINDS });
  for (const r of rows) {
    assertEquals(r.calibration, calibrate(val.byKind[r.kind]!, 0.05), r.kind);
  }
  assertNotEquals(rows[0].calibration.threshold, rows[1].calibration.threshold);
  model.dispose();
});

Deno.test("score kinds: reconstruction is mean |x - x_hat| and features mean (f(x) - f(x_hat))^2, by hand", async () => {
  await useBackend("cpu");
  const data = await loadOneClass({ dataset: "mnist", normal: 2, limit: 64, testLimit: 20 });
  const model = EdeGan.create({ width: 4, latentSize: 16 }, 2);
  const indices = [0, 5, 9];
  const { byKind, reconstructions } = await scoreImages(model, data.test, {
    kinds: SCORE_KINDS,
    reconstruct: indices,
    batchSize: 7,
  });
  for (const i of indices) {
    const x = tf.tidy(() => batchTensor(data.test, [i]).dataSync() as Float32Array);
    const xHat = reconstructions!.get(i)!;
    const l1 = x.reduce((s, v, k) => s + Math.abs(v - xHat[k]), 0) / x.length;
    assertAlmostEquals(byKind.reconstruction![i], l1, 1e-5);
    const [fx, fHat] = tf.tidy(() => {
      const input = batchTensor(data.test, [i]);
      const real = model.discriminate(input, "infer").features.dataSync() as Float32Array;
      const hat = tf.tensor4d(xHat, input.shape);
      return [real, model.discriminate(hat, "infer").features.dataSync() as Float32Array];
    });
    const mse = fx.reduce((s, v, k) => s + (v - fHat[k]) ** 2, 0) / fx.length;
    assertAlmostEquals(byKind.features![i], mse, 1e-5 * Math.max(1, mse));
  }
  model.dispose();
});

Deno.test("score kinds: a decoder that outputs grey ranks images by their distance from grey (known order)", async () => {
  await useBackend("cpu");
  const model = EdeGan.create({ width: 2, latentSize: 4 }, 3);
  // The decoder's last kernel at zero: x_hat = tanh(0) = 0, mid-grey, for every image.
  const last = [...model.variables.keys()].filter((k) => k.startsWith("decoder/")).at(-1)!;
  const kernel = model.variables.get(last)!;
  tf.tidy(() => kernel.assign(tf.zerosLike(kernel)));
  const flat = (value: number) => new Uint8Array(32 * 32).fill(value);
  // Normals near grey (120..135), anomalies far from it (0..10 and 245..255).
  const values = [120, 125, 130, 135, 0, 10, 245, 255];
  const pixels = new Uint8Array(values.length * 32 * 32);
  values.forEach((v, i) => pixels.set(flat(v), i * 32 * 32));
  const set: ImageSet = {
    pixels,
    labels: new Int32Array(values.length),
    count: values.length,
    height: 32,
    width: 32,
    channels: 1,
  };
  const isAnomaly = Uint8Array.from(values, (v) => v < 50 || v > 200 ? 1 : 0);
  const { byKind } = await scoreImages(model, set, { scoreKind: "reconstruction" });
  values.forEach((v, i) => assertAlmostEquals(byKind.reconstruction![i], Math.abs(v / 127.5 - 1)));
  const rows = await compareScoreKinds(model, { val: set, test: set, testIsAnomaly: isAnomaly });
  assertEquals(rows.find((r) => r.kind === "reconstruction")!.auc, 1);
  // Labels flipped: the same scores rank every "anomaly" below every "normal".
  const flipped = await compareScoreKinds(model, {
    val: set,
    test: set,
    testIsAnomaly: isAnomaly.map((a) => 1 - a),
  });
  assertEquals(flipped.find((r) => r.kind === "reconstruction")!.auc, 0);
  model.dispose();
});

Deno.test("score kinds: an unknown kind is an error naming scoreKind and the kinds", async () => {
  await useBackend("cpu");
  const model = EdeGan.create({ width: 2, latentSize: 4 }, 1);
  const set = {
    pixels: new Uint8Array(32 * 32),
    labels: new Int32Array(1),
    count: 1,
    height: 32,
    width: 32,
    channels: 1,
  };
  let message = "";
  // deno-lint-ignore no-explicit-any
  await scoreImages(model, set, { scoreKind: "pixels" as any }).catch((e) => message = e.message);
  assertEquals(message, "scoreKind: expected latent, reconstruction, features, got 'pixels'");
  model.dispose();
});
