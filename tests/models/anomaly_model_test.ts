/**
 * The model interface proved by a second model the engine has never heard of: a test double that
 * learns one template image and scores each image by its mean squared distance to it. It trains
 * through `fit` (with checkpoints, resume and `--ema`) and through a whole `trainRun`, is scored
 * by `scoreImages`, saved by `saveModel` and loaded back by its name; checkpoints written before
 * models had names load as EDE-GAN.
 */

import { assert, assertEquals, assertRejects } from "@std/assert";
import { join } from "@std/path";
import * as tf from "../../lib/tf.ts";
import { useBackend } from "../_helpers.ts";
import { TemplateModel } from "./_template_model.ts";
import { EdeGan } from "../../lib/models/ede_gan/mod.ts";
import { fit } from "../../lib/train/trainer.ts";
import { loadModel, saveModel } from "../../lib/train/checkpoint.ts";
import { prepareScoring } from "../../lib/score/scoring_run.ts";
import { scoreImages } from "../../lib/score/score.ts";
import { trainRun } from "../../lib/train/run.ts";
import type { ImageSet } from "../../lib/data/types.ts";

/** `count` 16x16 grey images of one bright square on black (pixel 200 inside), or noise. */
function squares(count: number, noise = false): ImageSet {
  const pixels = new Uint8Array(count * 16 * 16);
  for (let n = 0; n < count; n++) {
    for (let i = 0; i < 256; i++) {
      const [y, x] = [Math.floor(i / 16), i % 16];
      pixels[n * 256 + i] = noise
        ? (n * 97 + i * 61) % 256
        : (y >= 4 && y < 12 && x >= 4 && x < 12 ? 200 : 0);
    }
  }
  return { pixels, labels: new Int32Array(count), count, height: 16, width: 16, channels: 1 };
}

const config = { imageSize: 16, channels: 1, learningRate: 0.05 };

Deno.test("a second model trains through fit, is scored, saved and loaded by its name", async () => {
  await useBackend("cpu");
  const before = tf.memory().numTensors;
  const model = new TemplateModel(config);
  const dir = join(await Deno.makeTempDir(), "model");
  const { history, steps, optimisers } = await fit(model, squares(8), {
    epochs: 3,
    batchSize: 4,
    seed: 5,
    curveEvery: 1,
    checkpointDir: dir,
    evaluate: async (m) => (await scoreImages(m, squares(2))).scores[0],
  });
  // Its own losses, averaged per epoch, falling; its curve losses per step; the context counted.
  assertEquals(history.map((h) => h.epoch), [1, 2, 3]);
  assert(history[2].loss < history[0].loss, `${history.map((h) => h.loss)}`);
  assertEquals(Object.keys(steps[0]).sort(), ["epoch", "loss", "step"]);
  assertEquals(model.stepsSeen.map((c) => c.step), [1, 2, 3, 4, 5, 6]);
  assert(model.stepsSeen.every((c) => c.seed === 5));
  // Evaluated on a detached copy after each epoch: the normal squares' distance shrinks.
  assert(history[2].auc! < history[0].auc!);

  // Scored: the noise images lie further from the learned template than the squares.
  const normal = (await scoreImages(model, squares(3))).scores;
  const noisy = (await scoreImages(model, squares(3, true), { batchSize: 2 })).scores;
  assert(Math.max(...normal) < Math.min(...noisy), `${normal} vs ${noisy}`);
  await assertRejects(
    () => scoreImages(model, squares(1), { scoreKind: "latent" }),
    Error,
    "scoreKind: expected distance, got 'latent'",
  );
  await assertRejects(
    () => scoreImages(model, squares(1), { keepLatents: true }),
    Error,
    "the 'test-template' model has no latent codes",
  );

  // The checkpoint records which model it is and loads back as one, with the same scores.
  const json = JSON.parse(await Deno.readTextFile(join(dir, "model.json")));
  assertEquals(json.model, "test-template");
  const loaded = await loadModel(dir);
  assert(loaded.model instanceof TemplateModel);
  assertEquals([...(await scoreImages(loaded.model, squares(3))).scores], [...normal]);

  // Resumed with more epochs, fit continues from the checkpoint (epoch 4 only) ...
  const resumed = new TemplateModel(config);
  const more = await fit(resumed, squares(8), {
    epochs: 4,
    batchSize: 4,
    seed: 5,
    checkpointDir: dir,
    resume: true,
  });
  assertEquals(more.history.map((h) => h.epoch), [1, 2, 3, 4]);
  assertEquals(resumed.stepsSeen.map((c) => c.step), [7, 8]);
  // ... and refuses a checkpoint of another model.
  const edeGan = EdeGan.create({ imageSize: 16, width: 2, latentSize: 4 }, 0);
  await assertRejects(
    () =>
      fit(edeGan, squares(8), {
        epochs: 4,
        batchSize: 4,
        seed: 5,
        checkpointDir: dir,
        resume: true,
      }),
    Error,
    "holds a 'test-template' model, this run trains 'ede-gan'",
  );

  for (const o of [optimisers, more.optimisers]) o.template.dispose();
  for (const m of [model, loaded.model, resumed, edeGan]) m.dispose();
  assertEquals(tf.memory().numTensors, before);
});

Deno.test("a second model's weight average (--ema) averages its scoring variables", async () => {
  await useBackend("cpu");
  const model = new TemplateModel(config);
  const { ema, optimisers } = await fit(model, squares(8), {
    epochs: 1,
    batchSize: 4,
    seed: 1,
    ema: 0.5,
  });
  const state = await ema!.state();
  assertEquals([...state.tensors.keys()], ["template/image"]);
  const averaged = await ema!.averagedModel(model);
  assert(averaged instanceof TemplateModel && averaged !== model);
  for (const m of [model, averaged]) m.dispose();
  ema!.dispose();
  optimisers.template.dispose();
});

Deno.test("model.json: a file without a model name loads as EDE-GAN; an unknown name is refused", async () => {
  await useBackend("cpu");
  const dir = join(await Deno.makeTempDir(), "model");
  const model = EdeGan.create({ width: 2, latentSize: 4 }, 3);
  await saveModel(dir, model);
  const path = join(dir, "model.json");
  const json = JSON.parse(await Deno.readTextFile(path));
  assertEquals(json.model, "ede-gan");
  // As every model.json written before models had names.
  delete json.model;
  await Deno.writeTextFile(path, JSON.stringify(json));
  const old = await loadModel(dir);
  assert(old.model instanceof EdeGan);
  assertEquals(old.model.config, model.config);
  old.model.dispose();
  await Deno.writeTextFile(path, JSON.stringify({ ...json, model: "ocgan" }));
  await assertRejects(
    () => loadModel(dir),
    Error,
    "unknown model 'ocgan'; this edegan knows ede-gan",
  );
  model.dispose();
});

Deno.test("a second model goes through a whole training run: run.json and model.json name it", async () => {
  const out = join(await Deno.makeTempDir(), "run");
  const base = {
    dataset: "mnist" as const,
    normal: 1,
    epochs: 1,
    batchSize: 16,
    seed: 0,
    limit: 64,
    testLimit: 64,
    backend: { name: "cpu" },
  };
  await useBackend("cpu");
  const run = await trainRun({
    ...base,
    out,
    createModel: (images) => new TemplateModel({ ...images, learningRate: 0.05 }),
  });
  assert(run.model instanceof TemplateModel);
  assert(run.metrics.auc >= 0 && run.metrics.auc <= 1, `AUC ${run.metrics.auc}`);
  assertEquals(Object.keys(run.history[0]).filter((k) => k === "loss"), ["loss"]);
  const manifest = JSON.parse(await Deno.readTextFile(join(out, "run.json")));
  assertEquals([manifest.status, manifest.model], ["finished", "test-template"]);
  const loaded = await loadModel(join(out, "model"));
  assert(loaded.model instanceof TemplateModel);
  assertEquals(loaded.calibration, run.calibration);
  // `deno task score`'s setup: by default the model's own score (not EDE-GAN's `latent`), and a
  // bare model folder (no run.json beside it) keeps its stored calibration.
  const bare = join(await Deno.makeTempDir(), "model");
  await Deno.mkdir(bare);
  for await (const entry of Deno.readDir(join(out, "model"))) {
    await Deno.copyFile(join(out, "model", entry.name), join(bare, entry.name));
  }
  const setup = await prepareScoring(bare, loaded.model, loaded.calibration, {
    scoreKind: loaded.model.scoreKinds[0],
    bnStats: "run",
  });
  assertEquals([setup.scoreKind, setup.bnStats], ["distance", "moving"]);
  assertEquals(setup.calibration, run.calibration);
  // Resumed as an EDE-GAN (the default model), the run is refused, naming the model.
  const error = await assertRejects(() => trainRun({ ...base, epochs: 2, out, resume: true }));
  assert(
    (error as Error).message.includes("model test-template -> ede-gan"),
    (error as Error).message,
  );
  run.model.dispose();
  loaded.model.dispose();
});
