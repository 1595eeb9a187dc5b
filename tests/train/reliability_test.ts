// Issue 15: every check that can be made before training is made before training, nothing trained
// is ever lost, and --resume refuses settings that change the result. Tiny runs (width 4-8, one
// or two epochs, <= 64 images) on real MNIST digits, on wasm.

import { assert, assertEquals, assertRejects, assertStringIncludes } from "@std/assert";
import { join } from "@std/path";
import { useBackend } from "../_helpers.ts";
import { writeDigitFolder } from "../data/_fixtures.ts";
import { trainRun, type TrainRunOptions } from "../../lib/train/run.ts";
import { fit } from "../../lib/train/trainer.ts";
import { loadModel, loadTrainingState, saveModel } from "../../lib/train/checkpoint.ts";
import { createOptimisers, EdeGan } from "../../lib/models/ede_gan/mod.ts";
import { loadOneClass } from "../../lib/data/protocol.ts";
import { exists } from "../../lib/util/atomic.ts";
import { runStudy } from "../../lib/models/ede_gan/study.ts";
import { runDistillExperiment } from "../../lib/distill/experiment.ts";
import * as tf from "../../lib/tf.ts";

const tiny = {
  epochs: 1,
  batchSize: 8,
  seed: 0,
  model: { width: 4, latentSize: 8 },
  warn: () => {},
} as const;

/** trainRun that counts its training steps, so a test can say "refused before training". */
async function refused(opts: TrainRunOptions): Promise<{ message: string; steps: number }> {
  let steps = 0;
  const error = await assertRejects(() =>
    trainRun({ ...opts, onStep: () => void steps++, warn: () => {} })
  );
  return { message: error.message, steps };
}

Deno.test("an empty test/anomalous folder is refused before training, and leaves nothing", async () => {
  await useBackend("wasm");
  const root = await Deno.makeTempDir();
  await writeDigitFolder(root, {
    normal: 1,
    anomalous: 7,
    train: 20,
    testNormal: 8,
    testAnomalous: 0,
  });
  const out = join(root, "run");
  const { message, steps } = await refused({
    ...tiny,
    dataset: "folder",
    dataDir: root,
    normal: 0,
    out,
  });
  assertEquals(steps, 0);
  assertStringIncludes(message, "the test split has no anomalous images (8 test images");
  assertStringIncludes(message, `add anomalous images to ${root}/test/anomalous/`);
  assertEquals(await exists(out), false, "no half-made run folder");
  await Deno.remove(root, { recursive: true });
});

Deno.test("a --test-limit that leaves one class out is refused before training, naming it", async () => {
  await useBackend("wasm");
  // Leave-one-out on 9: a stratified pick of 2 test images takes a 0 and a 1, both normal.
  const { message, steps } = await refused({
    ...tiny,
    dataset: "mnist",
    normal: 9,
    protocol: "leave-one-out",
    limit: 32,
    testLimit: 2,
  });
  assertEquals(steps, 0);
  assertStringIncludes(message, "the test split has no anomalous images");
  assertStringIncludes(message, "--test-limit 2");
});

Deno.test("a class of 4 images trains at batch size 1 and is calibrated; of 1 image, refused first", async () => {
  await useBackend("wasm");
  const root = await Deno.makeTempDir();
  await writeDigitFolder(root, {
    normal: 1,
    anomalous: 7,
    train: 4,
    testNormal: 4,
    testAnomalous: 4,
  });
  // Hidden copies are not data: the manifest says how many were skipped and why.
  await Deno.mkdir(`${root}/train/.ipynb_checkpoints`);
  await Deno.copyFile(`${root}/train/d1-0.png`, `${root}/train/.ipynb_checkpoints/d1-0.png`);
  await Deno.writeFile(`${root}/test/anomalous/._d7-0.png`, Uint8Array.of(0, 5, 22, 7));
  const out = join(root, "run");
  const warnings: string[] = [];
  const run = await trainRun({
    ...tiny,
    batchSize: 1,
    dataset: "folder",
    dataDir: root,
    normal: 0,
    out,
    warn: (line) => warnings.push(line),
  });
  try {
    assertEquals([run.data.train.count, run.data.val.count, run.data.test.count], [3, 1, 8]);
    assertEquals(run.calibration.count, 1);
    assert(Number.isFinite(run.metrics.auc));
    const manifest = JSON.parse(await Deno.readTextFile(join(out, "run.json")));
    assertEquals(manifest.status, "finished");
    assertEquals(manifest.data.skipped[0].count, 2);
    assertStringIncludes(manifest.data.skipped[0].reason, "hidden");
    assert(warnings.some((w) => w.includes("only 1 validation image")), warnings.join("\n"));
    assert(manifest.warnings.some((w: string) => w.includes("skipped 2 file(s)")));
  } finally {
    run.model.dispose();
  }
  for (const name of ["d1-1.png", "d1-2.png", "d1-3.png"]) {
    await Deno.remove(`${root}/train/${name}`);
  }
  const { message, steps } = await refused({
    ...tiny,
    batchSize: 1,
    dataset: "folder",
    dataDir: root,
    normal: 0,
  });
  assertEquals(steps, 0);
  assertStringIncludes(message, `--data-dir ${root}: 1 normal training image(s)`);
  await Deno.remove(root, { recursive: true });
});

Deno.test("training images that are all one flat value are refused before training", async () => {
  await useBackend("wasm");
  const root = await Deno.makeTempDir();
  await writeDigitFolder(root, {
    normal: 1,
    anomalous: 7,
    train: 12,
    testNormal: 2,
    testAnomalous: 2,
  });
  const { greyPng } = await import("../data/_fixtures.ts");
  const black = greyPng(new Uint8Array(28 * 28), 28, 28);
  for (let i = 0; i < 12; i++) await Deno.writeFile(`${root}/train/d1-${i}.png`, black);
  const { message, steps } = await refused({
    ...tiny,
    dataset: "folder",
    dataDir: root,
    normal: 0,
  });
  assertEquals(steps, 0);
  assertStringIncludes(message, "every training image is one flat value (0)");
  await Deno.remove(root, { recursive: true });
});

Deno.test("flags and --out are checked first, with errors that name them", async () => {
  const dir = await Deno.makeTempDir();
  const file = join(dir, "a-file");
  await Deno.writeTextFile(file, "x");
  const base = { ...tiny, dataset: "mnist" as const, normal: 1, limit: 32 };
  for (
    const [opts, expected] of [
      [{ out: file }, `--out ${file}: is a file, expected a folder`],
      [{ out: `${file}/run` }, `--out ${file}/run: a part of this path is a file`],
      [{ out: "/proc/edegan-run" }, "--out /proc/edegan-run: cannot create this folder"],
      [{ epochs: -1 }, "--epochs: expected a positive integer, got -1"],
      [{ batchSize: 0 }, "--batch-size: expected a positive integer, got 0"],
      [{ batchSize: 64 }, "--batch-size 64: only 32 training images"],
      [{ normal: 12 }, "normal: class index 12 out of range, expected an integer 0..9"],
    ] as const
  ) {
    const { message, steps } = await refused({ ...base, ...opts });
    assertEquals(steps, 0);
    assertStringIncludes(message, expected);
  }
  await Deno.remove(dir, { recursive: true });
});

Deno.test("--resume refuses settings that change the result, naming each with old and new value", async () => {
  await useBackend("wasm");
  const out = await Deno.makeTempDir();
  const base = { ...tiny, dataset: "mnist" as const, normal: 1, limit: 32, testLimit: 40, out };
  await trainRun(base).then((r) => r.model.dispose());
  const resume = { ...base, resume: true };
  let { message, steps } = await refused({ ...resume, normal: 7 });
  assertEquals(steps, 0);
  assertStringIncludes(message, `--resume: ${out}/run.json records other settings`);
  assertStringIncludes(message, "--normal 1 -> 7");
  ({ message, steps } = await refused({ ...resume, model: { width: 8, latentSize: 8 } }));
  assertStringIncludes(message, "--width 4 -> 8");
  assert(!message.includes("copyFrom"), message);
  ({ message } = await refused({ ...resume, seed: 2, batchSize: 4, limit: 24 }));
  for (const line of ["--seed 0 -> 2", "--batch-size 8 -> 4", "--limit 32 -> 24"]) {
    assertStringIncludes(message, line);
  }
  ({ message } = await refused({ ...resume, testLimit: 50 }));
  assertStringIncludes(message, "--test-limit 40 -> 50");
  // The manifest was not touched by the refused resumes: still class 1, finished.
  const manifest = JSON.parse(await Deno.readTextFile(join(out, "run.json")));
  assertEquals([manifest.status, manifest.data.normalClass], ["finished", 1]);
  // A damaged manifest is named, never taken for a missing one.
  await Deno.writeTextFile(join(out, "run.json"), "{ not json");
  ({ message } = await refused(resume));
  assertStringIncludes(message, `${out}/run.json: not valid JSON`);
  // Without a manifest, the checkpoint's model.json still tells a different model apart.
  await Deno.remove(join(out, "run.json"));
  ({ message } = await refused({ ...resume, model: { width: 8, latentSize: 8 } }));
  assertStringIncludes(message, `--resume: ${out}/model/model.json records other settings`);
  assertStringIncludes(message, "--width 4 -> 8");
  await Deno.remove(out, { recursive: true });
});

Deno.test("--resume may raise --epochs: it ends exactly like an uninterrupted run of that length", async () => {
  await useBackend("wasm");
  const data = await loadOneClass({ dataset: "mnist", normal: 1, limit: 32, testLimit: 40 });
  const base = { ...tiny, dataset: "mnist" as const, normal: 1, limit: 32, testLimit: 40, data };
  const whole = await trainRun({ ...base, epochs: 2 });
  const out = await Deno.makeTempDir();
  await trainRun({ ...base, epochs: 1, out }).then((r) => r.model.dispose());
  const more = await trainRun({ ...base, epochs: 2, out, resume: true });
  try {
    assertEquals(more.history.map((h) => h.lossG), whole.history.map((h) => h.lossG));
    assertEquals([...more.testScores], [...whole.testScores]);
  } finally {
    whole.model.dispose();
    more.model.dispose();
  }
  const { message } = await refused({ ...base, epochs: 1, out, resume: true });
  assertStringIncludes(message, "--epochs 1 is below the last finished epoch 2");
  await Deno.remove(out, { recursive: true });
});

Deno.test("--resume where --out holds no run says so, and trains from the start", async () => {
  await useBackend("wasm");
  const out = await Deno.makeTempDir();
  const said: string[] = [];
  const run = await trainRun({
    ...tiny,
    dataset: "mnist",
    normal: 1,
    limit: 32,
    testLimit: 40,
    out,
    resume: true,
    warn: (line) => said.push(line),
  });
  run.model.dispose();
  assertEquals(run.history.length, 1);
  assertEquals(
    said.filter((line) => line.includes("nothing to resume")),
    [`--resume: nothing to resume in ${out} (no checkpoint in ${
      join(out, "model")
    }): training from the start`],
  );
  await Deno.remove(out, { recursive: true });
});

Deno.test("a failure after training keeps the trained model; --resume finishes without retraining", async () => {
  await useBackend("wasm");
  const out = await Deno.makeTempDir();
  const base = { ...tiny, dataset: "mnist" as const, normal: 1, limit: 32, testLimit: 40, out };
  // scores.csv cannot be written where a folder stands: the run fails after its epoch.
  await Deno.mkdir(join(out, "scores.csv"));
  await Deno.writeTextFile(join(out, "scores.csv", "keep"), "");
  const { message, steps } = await refused(base);
  assertEquals(steps, 4);
  assertStringIncludes(message, `Epoch 1 is checkpointed in ${out}/model`);
  assertStringIncludes(message, "--resume");
  const manifest = JSON.parse(await Deno.readTextFile(join(out, "run.json")));
  assertEquals([manifest.status, manifest.lastEpoch], ["failed", 1]);
  const { model } = await loadModel(join(out, "model"));
  model.dispose();
  await Deno.remove(join(out, "scores.csv"), { recursive: true });
  let resumedSteps = 0;
  const resumed = await trainRun({ ...base, resume: true, onStep: () => void resumedSteps++ });
  resumed.model.dispose();
  assertEquals(resumedSteps, 0);
  assertEquals(JSON.parse(await Deno.readTextFile(join(out, "run.json"))).status, "finished");
  await Deno.remove(out, { recursive: true });
});

Deno.test("fit: a failing evaluation still checkpoints its epoch, and says so", async () => {
  await useBackend("wasm");
  const dir = await Deno.makeTempDir();
  const data = await loadOneClass({ dataset: "mnist", normal: 1, limit: 16 });
  const model = EdeGan.create({ width: 4, latentSize: 8 }, 0);
  const error = await assertRejects(() =>
    fit(model, data.train, {
      epochs: 2,
      batchSize: 8,
      seed: 0,
      checkpointDir: dir,
      evaluate: () => {
        throw new Error("rocAuc: needs both classes");
      },
    })
  );
  assertStringIncludes(
    error.message,
    "evaluation after epoch 1 failed: rocAuc: needs both classes",
  );
  assertStringIncludes(error.message, `Epoch 1 is checkpointed in ${dir}; --resume continues`);
  const state = await loadTrainingState(dir, { ...createOptimisers(model) });
  assertEquals(state?.epoch, 1);
  model.dispose();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a model with NaN weights is refused at load, and never saved over a checkpoint", async () => {
  await useBackend("wasm");
  const dir = await Deno.makeTempDir();
  const model = EdeGan.create({ width: 2, latentSize: 4 }, 0);
  await saveModel(join(dir, "model"), model);
  const path = join(dir, "model", "weights.bin");
  const bytes = await Deno.readFile(path);
  new Float32Array(bytes.buffer, 0, 4).fill(NaN);
  await Deno.writeFile(path, bytes);
  const error = await assertRejects(() => loadModel(join(dir, "model")));
  assertStringIncludes(error.message, `${path}: 'encoder1/conv0/kernel' holds NaN at element 0`);
  // Saving a poisoned live model is refused and keeps what was there.
  await saveModel(join(dir, "good"), model);
  model.variables.get("decoder/deconv0/kernel")?.assign(
    tf.mul(model.variables.get("decoder/deconv0/kernel")!, Infinity),
  );
  const refusedSave = await assertRejects(() => saveModel(join(dir, "good"), model));
  assertStringIncludes(refusedSave.message, "not saved, weight 'decoder/deconv0/kernel'");
  (await loadModel(join(dir, "good"))).model.dispose();
  // A calibration that JSON turned into null is refused too.
  const jsonPath = join(dir, "good", "model.json");
  const json = JSON.parse(await Deno.readTextFile(jsonPath));
  json.calibration = { min: 0, max: 1, threshold: null, fpr: 0.05, count: 3 };
  await Deno.writeTextFile(jsonPath, JSON.stringify(json));
  assertStringIncludes(
    (await assertRejects(() => loadModel(join(dir, "good")))).message,
    "calibration.threshold is null, expected a finite number",
  );
  model.dispose();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a study checks every setting first, and --resume skips the settings that finished", async () => {
  await useBackend("wasm");
  const data = await loadOneClass({ dataset: "mnist", normal: 1, limit: 32, testLimit: 40 });
  const base = { ...tiny, dataset: "mnist" as const, normal: 1, limit: 32, testLimit: 40, data };
  let steps = 0;
  const tooBig = await assertRejects(() =>
    runStudy("batch-size", { ...base, onStep: () => void steps++ }, [4, 64])
  );
  assertEquals(steps, 0, "batch 4 did not train before batch 64 was refused");
  assertStringIncludes(tooBig.message, "--batch-size 64: only 32 training images");
  const out = await Deno.makeTempDir();
  steps = 0;
  await assertRejects(
    () =>
      runStudy("latent", {
        ...base,
        out,
        onStep: () => {
          if (++steps === 6) throw new Error("killed in the second setting");
        },
      }),
    Error,
    "killed",
  );
  steps = 0;
  const rows = await runStudy("latent", { ...base, out, resume: true, onStep: () => void steps++ });
  assertEquals(steps, 4, "only the unfinished setting trains again");
  assertEquals(rows.map((r) => r.setting), ["latent tanh", "latent none"]);
  await Deno.remove(out, { recursive: true });
});

Deno.test("a distillation checks its data before the teacher or any student trains", async () => {
  await useBackend("wasm");
  const root = await Deno.makeTempDir();
  await writeDigitFolder(root, {
    normal: 1,
    anomalous: 7,
    train: 20,
    testNormal: 6,
    testAnomalous: 0,
  });
  const error = await assertRejects(() =>
    runDistillExperiment({
      dataset: "folder",
      dataDir: root,
      normal: 0,
      seed: 0,
      teacher: { width: 4, epochs: 1, batchSize: 8 },
      students: [2],
      epochs: { step1: 1, step2: 1 },
      batchSize: 8,
      out: join(root, "distill"),
    })
  );
  assertStringIncludes(error.message, "the test split has no anomalous images");
  assertEquals(await exists(join(root, "distill", "teacher")), false, "no teacher trained");
  await Deno.remove(root, { recursive: true });
});

Deno.test("a distillation rerun into the same --out with other settings is refused, naming them", async () => {
  await useBackend("wasm");
  const out = await Deno.makeTempDir();
  const opts = {
    dataset: "mnist" as const,
    normal: 1,
    seed: 0,
    limit: 32,
    testLimit: 40,
    teacher: { width: 4, epochs: 1, batchSize: 8 },
    students: [2],
    methods: ["scratch" as const],
    epochs: { step1: 1, step2: 0 },
    batchSize: 8,
    out,
  };
  await runDistillExperiment(opts);
  // The same settings with another student only add jobs.
  const more = await runDistillExperiment({ ...opts, students: [2, 3] });
  assertEquals(more.students.map((s) => s.width), [2, 3]);
  const error = await assertRejects(() =>
    runDistillExperiment({
      ...opts,
      epochs: { step1: 2, step2: 0 },
      teacher: { ...opts.teacher, width: 8 },
    })
  );
  assertStringIncludes(error.message, "--distill-epochs {step1:1,step2:0} -> {step1:2,step2:0}");
  assertStringIncludes(error.message, "--teacher-width/--epochs/--batch-size/--latent");
  assertEquals(JSON.parse(await Deno.readTextFile(join(out, "run.json"))).status, "finished");
  await Deno.remove(out, { recursive: true });
});
