/**
 * ONNX scoring on both cores: the scorer pool with one onnxruntime-node session per worker (one
 * intra-op thread each) against one session in this thread, on real MNIST test images of a shipped
 * student; and the session's scores against edegan's own.
 */
import { assert, assertEquals } from "@std/assert";
import { firstImages, maxAbsDiff, teacherRecording, tempRoot, useBackend } from "../_helpers.ts";
import { loadOnnxRuntime } from "../../lib/export/onnx_runtime.ts";
import { onnxScorer, onnxSessionOptions } from "../../lib/export/onnx_scorer.ts";
import { asEdeGan } from "../../lib/models/ede_gan/mod.ts";
import { ONNX_INPUT, onnxModel, scoringPath } from "../../lib/export/mod.ts";
import { loadScoringRun } from "../../lib/score/scoring_run.ts";
import { scoreImages } from "../../lib/score/score.ts";
import { ScorerPool } from "../../lib/score/scorer_pool.ts";
import type { ImageSet } from "../../lib/data/types.ts";
import { loadModel } from "../../lib/train/checkpoint.ts";

const STUDENT = "shipped:mnist-2-311-pkdgan";

Deno.test(`onnx scorer pool: ${STUDENT}, two sessions on 301 images equal one session within 1e-6`, async () => {
  await useBackend("cpu");
  const ort = await loadOnnxRuntime();
  const run = await loadScoringRun(STUDENT);
  const per = 32 * 32;
  const set: ImageSet = {
    ...run.data.test,
    pixels: run.data.test.pixels.slice(0, 301 * per),
    labels: run.data.test.labels.slice(0, 301),
    count: 301,
    names: undefined,
  };
  const session = await onnxScorer(ort, asEdeGan(run.model, "test"), 1);
  let alone: Float32Array;
  try {
    alone = await session.score(set, 64);
  } finally {
    await session.release();
  }
  // the exported model scores as edegan does (the export tests' tolerance)
  const edegan = (await scoreImages(run.model, set, { batchSize: 64 })).scores;
  run.model.dispose();
  assert(maxAbsDiff(alone, edegan) <= 1e-5, `${maxAbsDiff(alone, edegan)}`);
  assert(new Set(alone).size > 290, "distinct scores, so that the order shows");

  await using pool = await ScorerPool.open({
    model: STUDENT,
    runtime: "onnxruntime-node",
    workers: 2,
  });
  assertEquals(pool.devices, [
    "onnxruntime-node, 1 intra-op thread(s)",
    "onnxruntime-node, 1 intra-op thread(s)",
  ]);
  // 151 + 150 images, batches of 64: other batches than the single session's, so onnxruntime's
  // kernels may round an image differently (within 1e-6; a misplaced slice would be off by ~1e-2;
  // measured here: equal bit for bit at both batch sizes)
  for (const batchSize of [64, 256]) {
    const scores = await pool.score(set, { batchSize });
    assertEquals(scores.length, 301);
    const diff = maxAbsDiff(scores, alone);
    assert(diff <= 1e-6, `batch ${batchSize}: ${diff}`);
  }
});

Deno.test("onnxSessionOptions: one inter-op thread, sequential, no spinning", () => {
  const options = onnxSessionOptions(1);
  assertEquals(
    [options.intraOpNumThreads, options.interOpNumThreads, options.executionMode],
    [1, 1, "sequential"],
  );
  // nested: onnxruntime-node joins the keys with dots (session.inter_op.allow_spinning)
  assertEquals(options.extra?.session?.inter_op, { allow_spinning: "0" });
});

/** CPU milliseconds all of this process's threads have run (Linux: /proc/self/task/N/schedstat). */
function processCpuMs(): number {
  let ms = 0;
  for (const task of Deno.readDirSync("/proc/self/task")) {
    try {
      const stat = Deno.readTextFileSync(`/proc/self/task/${task.name}/schedstat`);
      ms += Number(stat.split(" ")[0]) / 1e6;
    } catch {
      // the thread ended between the listing and the read
    }
  }
  return ms;
}

// The session options really reach onnxruntime: with its pool threads spinning (onnxruntime's
// default, and what a mistyped config key leaves), a 2-thread session burns 45-53 ms of CPU in the
// 100 ms after a run (measured 2026-12-06, load 3.4); not spinning, 0.4-3.5 ms.
Deno.test({
  name: "onnxSessionOptions: a 2-thread session's pool threads sleep after a run",
  ignore: Deno.build.os !== "linux",
  fn: async () => {
    await useBackend("cpu");
    const ort = await loadOnnxRuntime();
    const run = await loadScoringRun(STUDENT);
    const session = await ort.InferenceSession.create(
      onnxModel(scoringPath(asEdeGan(run.model, "test"), "moving")),
      onnxSessionOptions(2),
    );
    run.model.dispose();
    try {
      const x = new Float32Array(256 * 32 * 32).fill(0.5);
      const idle: number[] = [];
      for (let k = 0; k < 3; k++) {
        await session.run({ [ONNX_INPUT]: new ort.Tensor("float32", x, [256, 32, 32, 1]) });
        const before = processCpuMs();
        await new Promise((resolve) => setTimeout(resolve, 100));
        idle.push(processCpuMs() - before);
      }
      // the median of three, so that one stray wake-up (a GC thread) does not decide
      const median = idle.sort((a, b) => a - b)[1];
      assert(median < 15, `CPU ms in 100 ms idle after a run: ${idle.map((v) => v.toFixed(1))}`);
    } finally {
      await session.release();
    }
  },
});

Deno.test("onnx scorer pool: a run reported with each image's own BatchNorm statistics scores with them", async () => {
  await useBackend("cpu");
  // a copy of the shipped teacher whose run.json records per-image statistics
  const model = await teacherRecording("per-image");
  try {
    const run = await loadScoringRun(STUDENT);
    const set = firstImages(run.data.test, 40);
    run.model.dispose();
    const { model: teacher } = await loadModel(model);
    const perImage = (await scoreImages(teacher, set, { bnStats: "per-image" })).scores;
    const moving = (await scoreImages(teacher, set, { bnStats: "moving" })).scores;
    teacher.dispose();
    assert(maxAbsDiff(perImage, moving) > 1e-3, `${maxAbsDiff(perImage, moving)}`);
    await using pool = await ScorerPool.open({
      model,
      runtime: "onnxruntime-node",
      workers: 2,
    });
    const scores = await pool.score(set, { batchSize: 20 });
    // the export tests' tolerance: absolute and relative 1e-5
    for (let i = 0; i < set.count; i++) {
      const d = Math.abs(scores[i] - perImage[i]);
      assert(
        d <= 1e-5 * Math.max(1, Math.abs(perImage[i])),
        `image ${i}: ${scores[i]} vs ${perImage[i]}`,
      );
    }
  } finally {
    await Deno.remove(tempRoot(model), { recursive: true });
  }
});
