/**
 * The teacher of a distillation experiment: loaded from `--model`, reused from an earlier run in
 * the same `--out`, or trained there once; then scored on the test set and timed, with
 * `teacher.json` (AUC, ROC, every test score and label) written beside the results.
 *
 * @module
 */

import { join } from "@std/path";
import {
  type AnomalyModel,
  asDistillable,
  type DistillableModel,
  type ModelSettings,
} from "../models/mod.ts";
import { loadModel } from "../train/checkpoint.ts";
import type { OneClassSplit } from "../data/types.ts";
import { rocAuc, rocCurve } from "../metrics/mod.ts";
import { scoreImages } from "../score/score.ts";
import { trainRun } from "../train/run.ts";
import { exists, writeJsonAtomic } from "../util/atomic.ts";
import { readRunManifest } from "../run/manifest.ts";
import type { ProgressSink } from "../util/progress.ts";
import type { DistillExperimentOptions } from "./options.ts";
import type { TeacherResult } from "./results.ts";
import { SHIPPED_PREFIX, shippedRunDir } from "../ship/shipped.ts";

/** A teacher ready to distil from, with its results. */
export interface PreparedTeacher {
  model: DistillableModel;
  result: TeacherResult;
}

/**
 * The experiment's teacher when it needs no training: `opts.teacherDir`'s model (a run or model
 * directory, or a shipped teacher `shipped:NAME`; checked against the data), or the one trained
 * before in `out/teacher` when that run finished; undefined when one is to be trained (by
 * {@link prepareTeacher}). Reads, never writes: a teacher that cannot be used is refused before
 * the experiment writes anything. The caller disposes the model.
 *
 * @throws {Error} naming `--model` when its run has not finished (its `run.json` says "running"
 *   or "failed"), was trained on another dataset, class or protocol, is an export (TF.js or ONNX,
 *   for inference only) or holds a model that cannot be distilled (see {@link loadTeacher}).
 *
 * @example
 * ```ts ignore
 * // not run as a test: it needs a teacher run (tests/distill runs it through runDistillExperiment)
 * import { openTeacher } from "./teacher.ts";
 * ```
 */
export async function openTeacher(
  opts: DistillExperimentOptions,
  data: OneClassSplit,
  log: (line: string) => void,
): Promise<DistillableModel | undefined> {
  const teacherRunDir = join(opts.out, "teacher");
  if (opts.teacherDir) {
    // `shipped:NAME` is a teacher committed under models/ (lib/ship/shipped.ts).
    const dir = opts.teacherDir.startsWith(SHIPPED_PREFIX)
      ? await shippedRunDir(opts.teacherDir)
      : opts.teacherDir;
    const where = `--model ${opts.teacherDir}`;
    await refuseExport(dir, where);
    await checkTeacherData(dir, data, where);
    const teacher = await loadTeacher(await modelDirOf(dir), where);
    log(`teacher loaded from ${opts.teacherDir}`);
    return teacher;
  }
  if (await exists(join(teacherRunDir, "model", "model.json")) && await finished(teacherRunDir)) {
    const teacher = await loadTeacher(join(teacherRunDir, "model"));
    log(`teacher reused from ${teacherRunDir}`);
    return teacher;
  }
  return undefined;
}

/**
 * The experiment's teacher ready to distil from: `opened` (from {@link openTeacher}), or one
 * trained now into `out/teacher` (resumable); scored on the test set and timed, with
 * `out/teacher.json` written. The caller disposes the model.
 *
 * @example
 * ```ts ignore
 * // not run as a test: it trains a teacher (tests/distill runs it through runDistillExperiment)
 * import { prepareTeacher } from "./teacher.ts";
 * ```
 */
export async function prepareTeacher(
  opts: DistillExperimentOptions,
  data: OneClassSplit,
  log: (line: string) => void,
  progress: ProgressSink,
  opened?: DistillableModel,
): Promise<PreparedTeacher> {
  const teacherRunDir = join(opts.out, "teacher");
  let teacher: DistillableModel;
  let teacherScores: Float32Array | undefined;
  if (opened) {
    teacher = opened;
  } else {
    log(`training the teacher (width ${opts.teacher.width})`);
    // The default model (EDE-GAN) is the teacher a distillation trains.
    const run = await trainRun({
      dataset: opts.dataset,
      normal: opts.normal,
      epochs: opts.teacher.epochs,
      batchSize: opts.teacher.batchSize,
      seed: opts.seed,
      ema: opts.teacher.ema,
      model: teacherSettings(opts),
      data,
      out: teacherRunDir,
      resume: true,
      backend: opts.backend,
      progress,
    });
    teacher = asDistillable(run.model, teacherRunDir);
    teacherScores = run.testScores;
  }
  teacherScores ??= (await scoreImages(teacher, data.test)).scores;
  const teacherCost = teacher.cost();
  const result: TeacherResult = {
    width: teacher.baseShape.width,
    params: teacherCost.params,
    mflops: round(teacherCost.mflops, 3),
    auc: rocAuc(teacherScores, data.testIsAnomaly),
    scoreImagesPerSecond: round(await scoringSpeed(teacher, data), 1),
  };
  // The test set of this experiment (a --test-limit subset at the quick size), on which every
  // student is scored too: a shipped teacher's own line names its AUC on the whole test set.
  log(`teacher AUC ${result.auc.toFixed(4)} on this run's ${data.test.count} test images`);
  await writeJsonAtomic(join(opts.out, "teacher.json"), {
    width: result.width,
    params: result.params,
    mflops: result.mflops,
    auc: result.auc,
    score_images_per_s: result.scoreImagesPerSecond,
    roc: rocCurve(teacherScores, data.testIsAnomaly),
    scores: Array.from(teacherScores),
    // 1 anomalous, 0 normal, per test image: the labels of every score list of this experiment.
    labels: Array.from(data.testIsAnomaly),
  });
  return { model: teacher, result };
}

/**
 * The model saved in the model folder `dir`, loaded through the model registry (`loadModel`, any
 * registered kind), as a distillation's teacher. A model that is no {@link DistillableModel}
 * (Deep SVDD: no decoder, no second encoder) is refused, naming `where` (default `dir`) and its
 * kind. The caller disposes the model.
 *
 * @example
 * ```ts
 * import { assertEquals, assertRejects } from "@std/assert";
 * import * as tf from "../tf.ts";
 * import { saveModel } from "../train/checkpoint.ts";
 * import { EdeGan } from "../models/ede_gan/mod.ts";
 * import { DeepSvdd } from "../models/deep_svdd/mod.ts";
 * import { loadTeacher } from "./teacher.ts";
 * await tf.setBackend("cpu");
 * const edeGan = EdeGan.create({ width: 2, latentSize: 4 }, 1);
 * const deepSvdd = DeepSvdd.create({ widths: [2, 2], representation: 4 }, 1);
 * const [a, b] = [await Deno.makeTempDir(), await Deno.makeTempDir()];
 * await saveModel(a, edeGan);
 * await saveModel(b, deepSvdd);
 * const teacher = await loadTeacher(a);
 * assertEquals([teacher.name, teacher.baseShape], ["ede-gan", { width: 2, latentSize: 4 }]);
 * await assertRejects(() => loadTeacher(b), Error, `${b}: holds a 'deep-svdd' model, which cannot be distilled`);
 * [edeGan, deepSvdd, teacher].forEach((m) => m.dispose());
 * ```
 */
export async function loadTeacher(dir: string, where = dir): Promise<DistillableModel> {
  const { model } = await loadModel(dir).catch((error: Error) => {
    // `--model X: X/model.json: ...`: the flag typed, then the file at fault.
    throw where === dir ? error : new Error(`${where}: ${error.message}`, { cause: error });
  });
  try {
    return asDistillable(model, where);
  } catch (error) {
    model.dispose();
    throw error;
  }
}

/**
 * Images per second scoring at batch 256 (after one warm-up pass), on the first `images` test
 * images.
 *
 * @example
 * ```ts ignore
 * // not run as a test: it needs a model and a dataset (runDistillExperiment calls it)
 * import { scoringSpeed } from "./teacher.ts";
 * ```
 */
export async function scoringSpeed(
  model: AnomalyModel,
  data: OneClassSplit,
  images = 512,
): Promise<number> {
  const n = Math.min(images, data.test.count);
  const subset = {
    ...data.test,
    count: n,
    pixels: data.test.pixels.subarray(
      0,
      n * data.test.height * data.test.width * data.test.channels,
    ),
  };
  await scoreImages(model, { ...subset, count: Math.min(n, 256) });
  const started = performance.now();
  await scoreImages(model, subset);
  return n / ((performance.now() - started) / 1000);
}

/**
 * The model settings of a teacher trained here (the default model, EDE-GAN): `--teacher-width`
 * and `--latent`.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { teacherSettings } from "./teacher.ts";
 * const teacher = { width: 8, epochs: 1, batchSize: 16 };
 * assertEquals(teacherSettings({ teacher } as Parameters<typeof teacherSettings>[0]),
 *   { width: 8, latent: "tanh" });
 * ```
 */
export function teacherSettings(opts: DistillExperimentOptions): ModelSettings {
  return { width: opts.teacher.width, latent: opts.teacher.latent ?? "tanh" };
}

/**
 * An export folder (`deno task export`: a TF.js graph model or ONNX, with `edegan-export.json`)
 * holds a graph for inference, not the trainable networks a distillation needs: refused, naming
 * `where` and the run it was exported from when it says.
 */
async function refuseExport(dir: string, where: string): Promise<void> {
  // The name of lib/export's metadata file (EXPORT_METADATA_FILE), read here without importing
  // the export module.
  for (const folder of [dir, join(dir, "model")]) {
    const file = join(folder, "edegan-export.json");
    if (!await exists(file)) continue;
    let source: unknown;
    let format: unknown;
    try {
      ({ source, modelFormat: format } = JSON.parse(await Deno.readTextFile(file)));
    } catch {
      // An unreadable metadata file still marks an export.
    }
    throw new Error(
      `${where}: ${folder} is an exported model${
        typeof format === "string" ? ` (${format})` : ""
      }` +
        ", for inference only; expected a run or model folder with its trainable networks" +
        (typeof source === "string" ? ` (it was exported from ${source})` : ""),
    );
  }
}

/**
 * A loaded teacher must have been trained on the normal class, dataset and protocol of this
 * experiment: its run's manifest (`run.json` beside `model/`) is compared when there is one.
 */
async function checkTeacherData(dir: string, data: OneClassSplit, where: string): Promise<void> {
  const manifestPath = await teacherManifestPath(dir);
  const manifest = await readRunManifest(manifestPath);
  // A run still training (or one that failed) holds a checkpoint, not its finished teacher.
  if (manifest && manifest.status !== "finished") {
    throw new Error(
      `${where}: the teacher's run has not finished (status "${manifest.status}" in ` +
        `${manifestPath}); distil from a finished run`,
    );
  }
  const teacherData = manifest?.data;
  if (!teacherData) return;
  for (const key of ["dataset", "normalClass", "protocol"] as const) {
    const theirs = teacherData[key], ours = data.manifest[key];
    if (theirs !== undefined && theirs !== ours) {
      throw new Error(
        `${where}: the teacher was trained with ${key} ${JSON.stringify(theirs)}, ` +
          `this experiment uses ${JSON.stringify(ours)} (${manifestPath})`,
      );
    }
  }
}

/** The `run.json` of a teacher's run or model folder: beside `model/`, or above the model. */
async function teacherManifestPath(dir: string): Promise<string> {
  return await exists(join(dir, "run.json")) ? join(dir, "run.json") : join(dir, "..", "run.json");
}

/**
 * What a distillation's `run.json` records as its teacher (`options.teacher`): for a teacher
 * trained here (now, or before in `out/teacher`) its settings (`--teacher-width`, `--epochs`,
 * `--batch-size`, `--latent`, `--ema`); for a loaded one (`--model`, `shipped:NAME`) the teacher
 * as it is: where from, its model, width and latent size, and its training's epochs, batch size
 * and weight average as its own `run.json` records them. Never the flags of a teacher that was
 * not trained.
 *
 * @example
 * ```ts ignore
 * // not run as a test: it needs a loaded teacher (tests/distill checks run.json's record)
 * import { teacherRecord } from "./teacher.ts";
 * ```
 */
export async function teacherRecord(
  opts: DistillExperimentOptions,
  opened?: DistillableModel,
): Promise<Record<string, unknown>> {
  if (!opts.teacherDir || !opened) return { ...opts.teacher };
  const dir = opts.teacherDir.startsWith(SHIPPED_PREFIX)
    ? await shippedRunDir(opts.teacherDir)
    : opts.teacherDir;
  const manifest = await readRunManifest(await teacherManifestPath(dir));
  const training = manifest?.kind === "train" ? manifest.training : undefined;
  const latent = (manifest?.kind === "train" ? manifest.config : undefined)?.latent;
  return {
    from: opts.teacherDir,
    model: opened.name,
    width: opened.baseShape.width,
    latentSize: opened.baseShape.latentSize,
    ...(typeof latent === "string" ? { latent } : {}),
    ...(training
      ? { epochs: training.epochs, batchSize: training.batchSize, ema: training.ema ?? null }
      : {}),
  };
}

async function modelDirOf(dir: string): Promise<string> {
  return await exists(join(dir, "model", "model.json")) ? join(dir, "model") : dir;
}

/** Whether the run in `runDir` finished; a damaged `run.json` is an error naming it. */
async function finished(runDir: string): Promise<boolean> {
  return (await readRunManifest(join(runDir, "run.json")))?.status === "finished";
}

/**
 * x rounded to `digits` decimals, as the results record costs and speeds.
 *
 * @example
 * ```ts
 * import { round } from "./teacher.ts";
 * if (round(104.69437, 3) !== 104.694) throw new Error();
 * ```
 */
export function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
