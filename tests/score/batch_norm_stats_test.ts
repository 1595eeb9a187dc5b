import {
  assert,
  assertAlmostEquals,
  assertEquals,
  assertRejects,
  assertStringIncludes,
} from "@std/assert";
import { join } from "@std/path";
import { IN_CI, maxAbsDiff, useBackend } from "../_helpers.ts";
import * as tf from "../../lib/tf.ts";
import { EdeGan, SCORE_KINDS } from "../../lib/models/ede_gan/mod.ts";
import { loadOneClass } from "../../lib/data/protocol.ts";
import { batchTensor } from "../../lib/data/batches.ts";
import { subsetImageSet } from "../../lib/data/preprocess.ts";
import { fit } from "../../lib/train/trainer.ts";
import { trainRun, type TrainRunOptions } from "../../lib/train/run.ts";
import { exists } from "../../lib/util/atomic.ts";
import { scoreImages } from "../../lib/score/score.ts";
import {
  recomputeBatchNormStats,
  withBatchNormStats,
} from "../../lib/models/ede_gan/batch_norm_stats.ts";
import { chooseBatchNormStats } from "../../lib/models/ede_gan/choose_batch_norm_stats.ts";
import { loadDnnl } from "../../lib/backend/onednn/_ffi.ts";
import { BATCH_NORM_ACTIVATION, hasKernel } from "../../lib/ops/kernel_names.ts";
import type { BackendName } from "../../lib/backend/select.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

function onednnAvailable(): boolean {
  try {
    loadDnnl();
    return true;
  } catch {
    return false;
  }
}

/** z_hat of each image scored alone in training mode (batch-1 statistics), one at a time. */
function batchOneTraining(model: EdeGan, images: tf.Tensor4D): Float32Array {
  const n = images.shape[0];
  const rows: Float32Array[] = [];
  for (let i = 0; i < n; i++) {
    rows.push(tf.tidy(() => {
      const one = tf.slice(images, [i, 0, 0, 0], [1, -1, -1, -1]);
      return model.generate(one, "train").zHat.dataSync() as Float32Array;
    }));
    model.discardBatchStats();
  }
  return Float32Array.from(rows.flatMap((r) => [...r]));
}

const backends: BackendName[] = ["cpu", "wasm", ...(onednnAvailable() ? ["onednn" as const] : [])];
if (IN_CI && !backends.includes("onednn")) throw new Error("CI=true but oneDNN is missing");

for (const backend of backends) {
  Deno.test(`bnStats per-image: a batch at once equals training mode at batch 1, image by image (${backend})`, async () => {
    await useBackend(backend);
    const data = await loadOneClass({ dataset: "mnist", normal: 3, limit: 64, testLimit: 20 });
    const model = EdeGan.create({ width: 4, latentSize: 8 }, 5);
    const images = batchTensor(data.test, [0, 1, 2, 3, 4, 5]);
    // On onednn, training mode goes through the fused oneDNN op; per-image through tfjs's ops.
    assertEquals(hasKernel(BATCH_NORM_ACTIVATION), backend === "onednn");
    const alone = batchOneTraining(model, images);
    const before = tf.memory().numTensors;
    const batched = tf.tidy(() =>
      model.generate(images, "perImage").zHat.dataSync() as Float32Array
    );
    assertEquals(tf.memory().numTensors, before);
    assert(maxAbsDiff(batched, alone) < 1e-4, `differ by ${maxAbsDiff(batched, alone)}`);
    // ... and is a different function from the moving averages (fresh ones: mean 0, variance 1).
    const moving = tf.tidy(() => model.generate(images, "infer").zHat.dataSync() as Float32Array);
    assert(maxAbsDiff(moving, alone) > 1e-3);
    // scoreImages in per-image mode gives the same latent distances.
    const scores =
      (await scoreImages(model, subsetImageSet(data.test, Int32Array.of(0, 1, 2, 3, 4, 5)), {
        bnStats: "per-image",
        keepLatents: true,
      })).zHat!;
    assert(maxAbsDiff(scores, alone) < 1e-4);
    images.dispose();
    model.dispose();
  });
}

Deno.test("bnStats recomputed: batch statistics pooled over batches, unbiased, by hand", async () => {
  await useBackend("cpu");
  const data = await loadOneClass({ dataset: "mnist", normal: 3, limit: 64, testLimit: 20 });
  const model = EdeGan.create({ width: 4, latentSize: 8 }, 5);
  const four = subsetImageSet(data.train, Int32Array.of(0, 1, 2, 3));
  // The statistics each training-mode batch of 2 collects, by hand from the model's own pass.
  const perBatch = [[0, 1], [2, 3]].map((indices) => {
    tf.tidy(() => {
      const x = batchTensor(four, indices);
      const { xHat } = model.generate(x, "train");
      model.discriminate(x, "train");
      model.discriminate(xHat, "train");
    });
    const taken = model.takeBatchStats();
    const out = taken.map((s) => ({
      key: s.key,
      count: s.count,
      mean: s.mean.dataSync() as Float32Array,
      variance: s.variance.dataSync() as Float32Array,
    }));
    taken.forEach((s) => tf.dispose([s.mean, s.variance]));
    return out;
  });
  const stats = await recomputeBatchNormStats(model, four, { batchSize: 2 });
  assertEquals([stats.batchSize, stats.images], [2, 4]);
  for (const key of ["encoder1/conv1", "decoder/initial", "discriminator/conv2"]) {
    const entries = perBatch.flat().filter((s) => s.key === key);
    // encoder and decoder layers run once per batch; the discriminator's on x and on x_hat.
    assertEquals(entries.length, key.startsWith("discriminator") ? 4 : 2, key);
    const n = entries.reduce((a, s) => a + s.count, 0);
    for (const c of [0, 1]) {
      const mean = entries.reduce((a, s) => a + s.mean[c] * s.count, 0) / n;
      const square = entries.reduce((a, s) => a + (s.variance[c] + s.mean[c] ** 2) * s.count, 0) /
        n;
      assertAlmostEquals(stats.layers[key].mean[c], mean, 1e-6);
      assertAlmostEquals(stats.layers[key].variance[c], (square - mean * mean) * n / (n - 1), 1e-6);
    }
  }
  // Scoring with them is scoring a model whose moving averages were set to them.
  const copy = await withBatchNormStats(model, stats);
  const direct = await scoreImages(copy, data.test);
  const via = await scoreImages(model, data.test, {
    bnStats: "recomputed",
    recomputedStats: stats,
  });
  assertEquals([...via.scores], [...direct.scores]);
  const moving = await scoreImages(model, data.test);
  assert(maxAbsDiff(via.scores, moving.scores) > 1e-6, "recomputed differs from fresh averages");
  // The model itself is untouched.
  assertEquals(model.variables.get("encoder1/conv1/movingMean")!.dataSync()[0], 0);
  copy.dispose();
  // Statistics of another model are refused naming the layer.
  const { ["encoder1/conv1"]: _, ...missing } = stats.layers;
  await assertRejects(
    () => withBatchNormStats(model, { ...stats, layers: missing }),
    Error,
    "layer 'encoder1/conv1' is missing",
  );
  await assertRejects(
    () => scoreImages(model, data.test, { bnStats: "recomputed" }),
    Error,
    "no recomputedStats given",
  );
  model.dispose();
});

Deno.test("bnStats choice: the mode with the lowest generator objective on validation normals", async () => {
  await useBackend("wasm");
  const data = await loadOneClass({ dataset: "mnist", normal: 3, limit: 64, testLimit: 20 });
  const model = EdeGan.create({ width: 4, latentSize: 8 }, 5);
  await fit(model, data.train, { epochs: 1, batchSize: 1, seed: 0 });
  const recomputedStats = await recomputeBatchNormStats(model, data.train, { batchSize: 1 });
  const choice = await chooseBatchNormStats(model, data.val, { recomputedStats });
  const { adversarial, contextual, latent } = model.config.weights;
  for (const mode of ["moving", "recomputed", "per-image"] as const) {
    const { byKind } = await scoreImages(model, data.val, {
      bnStats: mode,
      recomputedStats,
      kinds: SCORE_KINDS,
    });
    let sum = 0;
    for (let i = 0; i < data.val.count; i++) {
      sum += adversarial * byKind.features![i] + contextual * byKind.reconstruction![i] +
        latent * byKind.latent![i];
    }
    assertAlmostEquals(choice.validationObjective[mode]!, sum / data.val.count, 1e-9);
  }
  const objective = choice.validationObjective;
  const best = Object.entries(objective).sort((a, b) => a[1]! - b[1]!)[0][0];
  assertEquals(choice.mode, best, JSON.stringify(objective));
  // A net trained on single images reconstructs held-out normals best with their own statistics.
  assertEquals(choice.mode, "per-image", JSON.stringify(objective));
  model.dispose();
});

async function task(name: string, args: string[]) {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `tasks/${name}.ts`, ...args],
    cwd: ROOT,
    env: { EDEGAN_NO_PROGRESS: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code, stdout: decode(stdout), stderr: decode(stderr) };
}

/** A width-2 EDE-GAN trained one epoch on 64 images of digit 2 into `out`. */
function tinyRun(out: string, extra: Partial<TrainRunOptions> = {}) {
  return trainRun({
    dataset: "mnist",
    normal: 2,
    epochs: 1,
    batchSize: 8,
    seed: 0,
    limit: 64,
    testLimit: 100,
    model: { width: 2, latentSize: 8 },
    out,
    warn: () => {},
    ...extra,
  });
}

Deno.test("study score and score --bn-stats: a run scored every way, the latent/moving AUC the run's own", async () => {
  await useBackend("cpu");
  const out = await Deno.makeTempDir();
  const run = await tinyRun(out);
  run.model.dispose();
  const study = await task("study", ["score", "--model", out, "--backend", "cpu"]);
  assertEquals(study.code, 0, study.stderr);
  const json = JSON.parse(await Deno.readTextFile(join(out, "study-score.json")));
  assertEquals(json.rows.length, 9);
  const latentMoving = json.rows.find((r: { kind: string; bnStats: string }) =>
    r.kind === "latent" && r.bnStats === "moving"
  );
  assertEquals(latentMoving.auc, run.metrics.auc);
  assertEquals(latentMoving.calibration.threshold, run.calibration.threshold);
  assertEquals(json.bnStats.modes, ["moving", "recomputed", "per-image"]);
  assert(["moving", "recomputed", "per-image"].includes(json.bnStats.choice.mode));
  assertEquals(json.bnStats.recomputed.batchSize, 8);
  assert(json.versions && json.machine, "written as a manifest");
  const stored = JSON.parse(await Deno.readTextFile(join(out, "bn-recomputed.json")));
  assertEquals(stored.weightsSha256.length, 64);
  // score: the mode as asked, recorded, and calibrated anew on validation for a non-default one.
  const csv = join(out, "rec.csv");
  const score = await task("score", [
    "--model",
    out,
    "--backend",
    "cpu",
    "--bn-stats",
    "recomputed",
    "--score-kind",
    "reconstruction",
    "--out",
    csv,
  ]);
  assertEquals(score.code, 0, score.stderr);
  const scored = JSON.parse(await Deno.readTextFile(join(out, "rec.json")));
  assertEquals(scored.scoring.bnStats, "recomputed");
  assertEquals(scored.scoring.scoreKind, "reconstruction");
  const row = json.rows.find((r: { kind: string; bnStats: string }) =>
    r.kind === "reconstruction" && r.bnStats === "recomputed"
  );
  assertEquals(scored.calibration.threshold, row.calibration.threshold);
  const all = await task("score", ["--model", out, "--backend", "cpu", "--bn-stats", "all"]);
  assertEquals(all.code, 2);
  assertStringIncludes(all.stderr, "--bn-stats: 'all' is not one of auto, moving, recomputed, ");
  assertStringIncludes(all.stderr, "for score (all compares the modes: `deno task study score");
  await Deno.remove(out, { recursive: true });
});

Deno.test("study score --weights live: a --ema run's live weights, the AUC its curve recorded, in their own files", async () => {
  await useBackend("wasm");
  const out = await Deno.makeTempDir();
  const run = await tinyRun(out, { ema: 0.9 });
  run.model.dispose();
  // study score on this run: `weights` and `--bn-stats`, on the wasm backend.
  const study = async (weights: "live" | "averaged", bnStats: string) => {
    const args = ["score", "--model", out, "--weights", weights, "--bn-stats", bnStats];
    const r = await task("study", [...args, "--backend", "wasm"]);
    assertEquals(r.code, 0, r.stderr);
    const file = weights === "live" ? "study-score-live.json" : "study-score.json";
    return JSON.parse(await Deno.readTextFile(join(out, file)));
  };
  const json = await study("live", "recomputed");
  assertEquals(json.weights, "live");
  const avg = await study("averaged", "moving");
  const latent = (j: { rows: { kind: string; bnStats: string; auc: number }[] }, mode: string) =>
    j.rows.find((r) => r.kind === "latent" && r.bnStats === mode)!.auc;
  // The averaged generator's moving-statistics AUC is the run's; the live weights' is its
  // curve's liveAuc, here re-scored with recomputed statistics kept apart from the average's.
  assertEquals(latent(avg, "moving"), run.metrics.auc);
  assertEquals(json.bnStats.modes, ["recomputed"]);
  assert(await exists(join(out, "bn-recomputed-live.json")));
  assertEquals(await exists(join(out, "bn-recomputed.json")), false);
  const again = await study("live", "moving");
  assertEquals(latent(again, "moving"), run.history.at(-1)!.liveAuc);
  assert(latent(again, "moving") !== latent(avg, "moving"), "live and averaged weights differ");
  await Deno.remove(out, { recursive: true });
});
