import { assert, assertEquals, assertRejects, assertStringIncludes } from "@std/assert";
import { join, toFileUrl } from "@std/path";
import { loadOnnxRuntime } from "./_onnxruntime.ts";
import onnxProto from "onnx-proto";
import { io } from "@tensorflow/tfjs-core";
import { loadGraphModel } from "@tensorflow/tfjs-converter";
import * as tf from "../../lib/tf.ts";
import { type ExportMetadata, exportRun } from "../../lib/export/mod.ts";
import { loadScoringRun, resolveBatchNormStats } from "../../lib/score/scoring_run.ts";
import { scoreImages } from "../../lib/score/score.ts";
import { saveModel } from "../../lib/train/checkpoint.ts";
import { EdeGan } from "../../lib/models/ede_gan/mod.ts";
import type { BatchNormStatsMode } from "../../lib/models/ede_gan/batch_norm_stats.ts";
import type { ImageSet } from "../../lib/data/types.ts";
import { useBackend } from "../_helpers.ts";
import { type RunName, tempDir, testImages, trainedRun } from "./_runs.ts";

/** Scores of an exported model must equal edegan's within this, absolutely and relatively. */
const TOLERANCE = 1e-5;
const IMAGES = 1000;

let images: ImageSet | undefined;
async function theImages(): Promise<ImageSet> {
  return images ??= await testImages(IMAGES);
}

/** edegan's own scores of the run, with the BatchNorm statistics the run scores with. */
async function edeganScores(run: string): Promise<{ scores: Float32Array; bnStats: string }> {
  const manifest = JSON.parse(await Deno.readTextFile(join(run, "run.json")));
  const bnStats = manifest.scoring.bnStats as BatchNormStatsMode;
  const scoring = await loadScoringRun(run);
  try {
    const { recomputedStats } = bnStats === "recomputed"
      ? await resolveBatchNormStats(scoring, "recomputed")
      : {};
    const { scores } = await scoreImages(scoring.model, await theImages(), {
      bnStats,
      recomputedStats,
    });
    return { scores, bnStats };
  } finally {
    scoring.model.dispose();
  }
}

/** The images as the exported models take them: NHWC floats p / 127.5 - 1. */
function inputs(set: ImageSet): Float32Array {
  return Float32Array.from(set.pixels, (p) => p / 127.5 - 1);
}

/** Compares scores; returns the largest absolute difference. */
function compare(what: string, got: ArrayLike<number>, want: Float32Array): number {
  assertEquals(got.length, want.length, `${what}: one score per image`);
  let maxAbs = 0, maxRel = 0;
  for (let i = 0; i < want.length; i++) {
    const d = Math.abs(got[i] - want[i]);
    maxAbs = Math.max(maxAbs, d);
    maxRel = Math.max(maxRel, d / Math.abs(want[i]));
  }
  console.log(
    `${what}: ${want.length} images, max |difference| ${maxAbs.toExponential(2)}, ` +
      `max relative ${maxRel.toExponential(2)}`,
  );
  assert(maxAbs <= TOLERANCE, `${what}: scores differ by up to ${maxAbs}`);
  assert(maxRel <= TOLERANCE, `${what}: scores differ by up to ${maxRel} relatively`);
  return maxAbs;
}

async function exportTo(run: string, format: "tfjs" | "onnx") {
  const out = join(await tempDir(), format);
  const result = await exportRun({ model: run, format, out });
  const onDisk = JSON.parse(await Deno.readTextFile(join(out, "edegan-export.json")));
  assertEquals(onDisk, JSON.parse(JSON.stringify(result.metadata)));
  return { out, metadata: result.metadata as ExportMetadata };
}

async function checkRun(name: RunName): Promise<void> {
  await useBackend("wasm");
  const run = await trainedRun(name);
  const manifest = JSON.parse(await Deno.readTextFile(join(run, "run.json")));
  const want = await edeganScores(run);
  const x = inputs(await theImages());
  const shape = [IMAGES, 32, 32, 1];

  // TF.js: the standard loader, reading model.json and its weights by URL.
  const tfjs = await exportTo(run, "tfjs");
  assertEquals(tfjs.metadata.calibration, manifest.calibration);
  // Named relative to the run, not by this machine's folders.
  assertEquals(tfjs.metadata.calibrationSource, "run.json (calibration)");
  assertEquals(tfjs.metadata.bnStats, want.bnStats);
  const graph = await loadGraphModel(io.http(toFileUrl(join(tfjs.out, "model.json")).href));
  assertEquals(
    (graph.metadata as { edegan: ExportMetadata }).edegan.calibration.threshold,
    manifest.calibration.threshold,
  );
  const ops = new Set<string>(
    JSON.parse(await Deno.readTextFile(join(tfjs.out, "model.json"))).modelTopology.node
      .map((n: { op: string }) => n.op),
  );
  // Plain TensorFlow ops; BatchNorm is folded (a bias add) or, per image, moments and arithmetic.
  const folded = "AddV2,ConcatV2,Const,Conv2D,Conv2DBackpropInput,LeakyRelu,Mean,Placeholder," +
    "Relu,Shape,SquaredDifference,StridedSlice,Tanh";
  assertEquals(
    [...ops].sort().join(),
    want.bnStats === "per-image"
      ? [...folded.split(","), "Mul", "Rsqrt", "Sub"].sort().join()
      : folded,
  );
  const tensor = tf.tensor4d(x, shape as [number, number, number, number]);
  const out = graph.predict(tensor) as tf.Tensor;
  compare(`${name} tfjs (${tf.getBackend()})`, await out.data(), want.scores);
  tf.dispose([tensor, out]);
  graph.dispose();

  // ONNX through onnxruntime-node.
  const onnx = await exportTo(run, "onnx");
  const bytes = await Deno.readFile(join(onnx.out, "model.onnx"));
  const decoded = onnxProto.onnx.ModelProto.decode(bytes);
  const types = decoded.graph!.node!.map((n) => n.opType);
  assert(!types.includes("BatchNormalization"), types.join());
  // One-channel images reach NCHW by a Reshape (the same order of values), not a Transpose.
  assertEquals(types[0], "Reshape");
  assert(!types.includes("Transpose"), types.join());
  // Per-image statistics are exported as one InstanceNormalization per BatchNorm layer
  // (E1 and E2: 2 each, the decoder: 3 at 32x32); folded statistics leave none.
  const instanceNorms = types.filter((t) => t === "InstanceNormalization").length;
  assertEquals(instanceNorms, want.bnStats === "per-image" ? 7 : 0);
  const metadata = JSON.parse(
    decoded.metadataProps!.find((p) => p.key === "edegan")!.value!,
  ) as ExportMetadata;
  assertEquals(metadata.calibration.threshold, manifest.calibration.threshold);
  const ort = await loadOnnxRuntime();
  const session = await ort.InferenceSession.create(join(onnx.out, "model.onnx"));
  const result = await session.run({ images: new ort.Tensor("float32", x, shape) });
  const scores = result.score.data as Float32Array;
  const maxAbs = compare(`${name} onnxruntime-node`, scores, want.scores);
  // The decisions at the run's threshold are edegan's wherever the difference cannot cross it.
  const t = manifest.calibration.threshold;
  let decided = 0;
  for (let i = 0; i < IMAGES; i++) {
    if (Math.abs(want.scores[i] - t) <= maxAbs) continue;
    decided++;
    assertEquals(scores[i] >= t, want.scores[i] >= t, `image ${i}`);
  }
  assert(decided >= IMAGES - 2, `only ${decided} decisions compared`);
  await session.release();
}

Deno.test("an exported 700:1-style student (width 2, latent 16) scores 1000 MNIST test images as edegan does, in TF.js and ONNX", async () => {
  await checkRun("student");
});

Deno.test("an exported teacher (width 64, latent 100) scores 1000 MNIST test images as edegan does, in TF.js and ONNX", async () => {
  await checkRun("teacher");
});

Deno.test("a batch-1 run scored with per-image BatchNorm statistics exports that computation (InstanceNormalization) and scores as edegan does", async () => {
  await checkRun("perImage");
});

Deno.test("a run scored with recomputed BatchNorm statistics exports them folded and scores as edegan does", async () => {
  await checkRun("recomputed");
});

Deno.test("export refuses what it cannot write honestly, before writing anything", async () => {
  await useBackend("cpu");
  const run = await trainedRun("student");
  await assertRejects(
    () => exportRun({ model: run, format: "keras" as "onnx", out: join(run, "x") }),
    Error,
    "--format: 'keras' is not one of tfjs, onnx",
  );
  // A folder holding something else is never replaced.
  const busy = await tempDir();
  await Deno.writeTextFile(join(busy, "notes.txt"), "keep me");
  await assertRejects(
    () => exportRun({ model: run, format: "onnx", out: busy }),
    Error,
    "holds files and no edegan-export.json",
  );
  assertEquals(await Deno.readTextFile(join(busy, "notes.txt")), "keep me");
  // A model without a calibrated threshold has no decisions to export.
  const bare = await tempDir();
  const model = EdeGan.create({ width: 2, latentSize: 16 }, 1);
  await saveModel(join(bare, "model"), model);
  model.dispose();
  const error = await assertRejects(
    () => exportRun({ model: bare, format: "tfjs", out: join(bare, "export") }),
    Error,
  );
  assertStringIncludes(error.message, "no calibrated threshold");
  await assertRejects(() => Deno.stat(join(bare, "export")), Deno.errors.NotFound);
  // An earlier export is replaced whole.
  const out = join(await tempDir(), "e");
  await exportRun({ model: run, format: "onnx", out });
  await exportRun({ model: run, format: "tfjs", out });
  assertEquals(
    [...Deno.readDirSync(out)].map((e) => e.name).sort(),
    ["edegan-export.json", "model.json", "weights.bin"],
  );
});
