/**
 * The scorer pool (`lib/score/scorer_pool.ts`) against the single scorer: a shipped 311:1 student
 * scores real MNIST test images in two (or three) single-threaded workers to the very scores that
 * `scoreImages` gives in one thread, in the images' order; errors name the model.
 */
import { assert, assertEquals, assertRejects, assertStringIncludes } from "@std/assert";
import {
  firstImages,
  maxAbsDiff,
  runDeno,
  teacherRecording,
  tempRoot,
  useBackend,
  withEnv,
} from "../_helpers.ts";
import { readScoresCsv } from "../../lib/score/csv.ts";
import { loadScoringRun } from "../../lib/score/scoring_run.ts";
import { scoreImages } from "../../lib/score/score.ts";
import { ScorerPool, type ScorerRuntime } from "../../lib/score/scorer_pool.ts";
import type { ImageSet } from "../../lib/data/types.ts";
import { loadModel } from "../../lib/train/checkpoint.ts";
import { join } from "@std/path";

const STUDENT = "shipped:mnist-2-311-pkdgan";

// onednn where libdnnl.so.2 loads (the fastest CPU backend), else wasm; the pool on the same one.
let runtime: ScorerRuntime = "onednn";
await useBackend("onednn").catch(async () => {
  runtime = "wasm";
  await useBackend("wasm");
});

/**
 * The pool's scores against one scorer's. Bit for bit (`exact`) where each image meets the same
 * kernels in both: on onednn, a set scored at batch 64 whole or as the pool's two slices (measured
 * too in one thread: whole or two halves, 1 or 2 threads, the same bits). Otherwise within 1e-6
 * (the students' scores are 0.002-0.05): oneDNN and XNNPACK (wasm) round a few images differently
 * by the size of their batch and their place in it (oneDNN: an image alone in a batch of one, 284
 * of 301 scores differ by up to 2.4e-6 of the score; the last two of a batch of 10 against the
 * same images in a batch of 100; XNNPACK: a set scored whole against its two halves, 42 of 301
 * scores, up to 2.3e-6 of the score), and the slices make other batches than the whole set. A
 * slice put back in the wrong place would be off by about 1e-2.
 */
function assertSameScores(
  actual: Float32Array,
  expected: Float32Array,
  what: string,
  exact = false,
): void {
  if (exact && runtime === "onednn") return assertEquals(actual, expected, what);
  assertEquals(actual.length, expected.length, what);
  const diff = maxAbsDiff(actual, expected);
  assert(diff <= 1e-6, `${what}: ${diff}`);
}
const run = await loadScoringRun(STUDENT);

Deno.test(`scorer pool: ${STUDENT} on 301 real test images equals one scorer, bit for bit`, async () => {
  const set = firstImages(run.data.test, 301);
  // some digits 2 (normal) and some others among them, so the scores are not all alike
  assert(new Set(Array.from(run.data.testIsAnomaly.slice(0, 301))).size === 2);
  const alone = (await scoreImages(run.model, set, { batchSize: 64 })).scores;
  assertEquals(new Set(alone).size > 290, true, "distinct scores, so that the order shows");
  await using pool = await ScorerPool.open({ model: STUDENT, runtime, workers: 2 });
  assertEquals(pool.size, 2);
  assert(pool.devices.every((d) => d.includes("1 thread")), pool.devices.join("; "));
  let done = 0;
  const scores = await pool.score(set, {
    batchSize: 64,
    progress: { update: (n) => done = n, finish() {} },
  });
  assertEquals(done, 301);
  assertSameScores(scores, alone, "301 images, batch 64", true);
  // a second call on the same pool: the same scores again
  assertEquals(await pool.score(set, { batchSize: 64 }), scores);
});

Deno.test("scorer pool: 257 images over 2 and 3 workers keep their order (uneven slices)", async () => {
  const set = firstImages(run.data.test, 257);
  // batches of 100, 100, 57 here; 129 + 128 and 86 + 86 + 85 in the workers (no batch of one)
  const alone = (await scoreImages(run.model, set, { batchSize: 100 })).scores;
  const single = (await scoreImages(run.model, firstImages(set, 1))).scores;
  for (const workers of [2, 3]) {
    await using pool = await ScorerPool.open({ model: STUDENT, runtime, workers });
    // several calls at once on one pool: each gets its own images' scores
    const [all, head, one] = await Promise.all([
      pool.score(set),
      pool.score(firstImages(set, 100), { batchSize: 40 }),
      pool.score(firstImages(set, 1)),
    ]);
    assertSameScores(all, alone, `${workers} workers`);
    assertSameScores(head, alone.slice(0, 100), `${workers} workers, 100 images`);
    assertSameScores(one, single, `${workers} workers, 1 image`);
  }
});

Deno.test("scorer pool: an error in a worker rejects, naming the model and the worker", async () => {
  await using pool = await ScorerPool.open({ model: STUDENT, runtime, workers: 2 });
  // 28x28 images: each worker's scoreImages refuses them (the model expects 32x32x1)
  const wrong: ImageSet = {
    pixels: new Uint8Array(4 * 28 * 28),
    labels: new Int32Array(4),
    count: 4,
    height: 28,
    width: 28,
    channels: 1,
  };
  const error = await assertRejects(() => pool.score(wrong), Error);
  assert(error.message.includes(`scorer pool for ${STUDENT} (${runtime}, worker `), error.message);
  assert(error.message.includes("the model expects 32x32x1"), error.message);
  // the pool still scores after a refused call
  const set = firstImages(run.data.test, 3);
  assertSameScores(
    await pool.score(set),
    (await scoreImages(run.model, set)).scores,
    "3 images",
  );
});

Deno.test("scorer pool: a model or runtime that cannot open is refused, naming it", async () => {
  const missing = await Deno.makeTempDir();
  try {
    const error = await assertRejects(
      () => ScorerPool.open({ model: missing, runtime, workers: 2 }),
      Error,
    );
    // whichever worker answers first
    assert(
      new RegExp(
        `^scorer pool for ${missing} \\(${runtime}, worker [12] of 2\\) could not open: ` +
          `--model ${missing}: neither`,
      ).test(error.message),
      error.message,
    );
  } finally {
    await Deno.remove(missing, { recursive: true });
  }
  // a backend that cannot start in the workers: oneDNN's library where there is none (the
  // workers read the variable when they load it; this thread's oneDNN is loaded already)
  await withEnv({ EDEGAN_DNNL_LIBRARY: "/nonexistent/libdnnl.so.2" }, async () => {
    const error = await assertRejects(
      () => ScorerPool.open({ model: STUDENT, runtime: "onednn", workers: 2 }),
      Error,
    );
    assert(
      /^scorer pool for shipped:mnist-2-311-pkdgan \(onednn, worker [12] of 2\) could not open: backend 'onednn' cannot start: [^]*apt-get install libdnnl2[^]*\/nonexistent\/libdnnl\.so\.2/
        .test(error.message),
      error.message,
    );
  });
  await assertRejects(
    () => ScorerPool.open({ model: STUDENT, runtime: "webgpu" as ScorerRuntime }),
    Error,
    "runtime 'webgpu', expected one of onednn, wasm, cpu, onnxruntime-node",
  );
  await assertRejects(
    () => ScorerPool.open({ model: STUDENT, runtime, workers: 0 }),
    Error,
    "workers 0, expected a whole number >= 1",
  );
});

Deno.test({
  name: "scorer pool: closing releases the workers; a closed pool refuses to score",
  fn: async () => {
    const pool = await ScorerPool.open({ model: STUDENT, runtime, workers: 2 });
    await pool.close();
    await pool.close();
    await assertRejects(() => pool.score(firstImages(run.data.test, 2)), Error, "already closed");
  },
});

globalThis.addEventListener("unload", () => run.model.dispose());

Deno.test("scorer pool: a run reported with each image's own BatchNorm statistics is scored with them", async () => {
  const model = await teacherRecording("per-image");
  try {
    const set = firstImages(run.data.test, 40);
    const { model: teacher } = await loadModel(model);
    const perImage = (await scoreImages(teacher, set, { bnStats: "per-image" })).scores;
    const moving = (await scoreImages(teacher, set, { bnStats: "moving" })).scores;
    teacher.dispose();
    // the two modes differ by far more than the tolerance, so the test tells them apart
    assert(maxAbsDiff(perImage, moving) > 1e-3, `${maxAbsDiff(perImage, moving)}`);
    await using pool = await ScorerPool.open({ model, runtime, workers: 2 });
    assertSameScores(await pool.score(set, { batchSize: 20 }), perImage, "per-image");
  } finally {
    await Deno.remove(tempRoot(model), { recursive: true });
  }
});

Deno.test("scorer pool: a run reported with statistics that need its data is refused, naming deno task score", async () => {
  const model = await teacherRecording("recomputed");
  try {
    await assertRejects(
      () => ScorerPool.open({ model, runtime, workers: 1 }),
      Error,
      "'recomputed' BatchNorm statistics",
    );
  } finally {
    await Deno.remove(tempRoot(model), { recursive: true });
  }
});

Deno.test("deno task score --workers 2: the same scores as one scorer; a mode the pool cannot take is refused", async () => {
  const dir = await Deno.makeTempDir({ prefix: "edegan-score-workers-" });
  try {
    const args = (out: string, ...more: string[]) => [
      "tasks/score.ts",
      "--model",
      STUDENT,
      "--backend",
      runtime,
      "--threads",
      "1",
      "--out",
      join(dir, out),
      ...more,
    ];
    const one = await runDeno(args("one.csv"));
    assertEquals(one.code, 0, one.text);
    const two = await runDeno(args("two.csv", "--workers", "2"));
    assertEquals(two.code, 0, two.text);
    assert(two.text.includes("2 workers"), two.text);
    const a = await readScoresCsv(join(dir, "one.csv"));
    const b = await readScoresCsv(join(dir, "two.csv"));
    assertEquals(b.items, a.items);
    assert(a.scores.length >= 290, `${a.scores.length} scores`);
    assertSameScores(Float32Array.from(b.scores), Float32Array.from(a.scores), "--workers 2");
    const refused = await runDeno(args("bad.csv", "--workers", "2", "--bn-stats", "per-image"));
    assert(refused.code !== 0, refused.text);
    assert(refused.text.includes("--workers 2: a scorer pool scores with"), refused.text);
    // Refused before any data is read: a data folder that does not exist is never reached.
    for (const more of [["--bn-stats", "per-image"], ["--score-kind", "reconstruction"]]) {
      const early = await runDeno(
        args("early.csv", "--workers", "2", ...more, "--data-dir", join(dir, "no-such-folder")),
      );
      assertEquals(early.code, 2, early.text);
      assertStringIncludes(early.text, "error: --workers 2: a scorer pool scores with");
      // Each refusal names the statistics the run reported (read once, as the workers read it).
      assertStringIncludes(early.text, "its run's BatchNorm statistics (moving)");
      assert(!early.text.includes("no-such-folder"), early.text);
    }
    const zero = await runDeno(args("zero.csv", "--workers", "0"));
    assert(zero.code !== 0 && zero.text.includes("--workers"), zero.text);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
