/**
 * The distillation experiment behind `deno task distill`: train (or load) a teacher, then for each
 * student size train the student from scratch, by one-step KD and by P-KDGAN (and optionally the
 * joint structure alone), evaluate everything on the same test set, and write `results.json`,
 * `results.csv` and one result file per job so that a rerun skips what is done. One failing
 * student is reported and the others go on.
 *
 * @module
 */

import { join } from "@std/path";
import { EdeGan } from "../models/ede_gan/mod.ts";
import { modelCost } from "../models/ede_gan/mod.ts";
import type { LatentConstraint } from "../models/ede_gan/mod.ts";
import type { DatasetName, OneClassSplit, Protocol } from "../data/types.ts";
import { rocAuc, rocCurve } from "../metrics/mod.ts";
import { scoreImages } from "../score/score.ts";
import { loadEdeGan as loadModel } from "../models/ede_gan/mod.ts";
import { checkRunData, loadRunData, trainRun } from "../train/run.ts";
import { readManifest, writeManifest } from "../train/manifest.ts";
import { exists, writeFileAtomic, writeJsonAtomic } from "../util/atomic.ts";
import { csvText } from "../util/csv.ts";
import { type ProgressSink, silentProgress } from "../util/progress.ts";
import type { DistillationWeights } from "./kd_loss.ts";
import { distillStudent, type Method } from "./pkdgan.ts";
import { initialiseFromTeacher, studentConfig } from "./students.ts";

/** Everything that defines a distillation experiment. */
export interface DistillExperimentOptions {
  dataset: DatasetName;
  dataDir?: string;
  normal: number;
  protocol?: Protocol;
  seed: number;
  limit?: number;
  testLimit?: number;
  /** Train a teacher of this width, or load the one in `teacherDir`. */
  teacher: {
    width: number;
    epochs: number;
    batchSize: number;
    latent?: LatentConstraint;
    /** `--ema`: decay of an average of the teacher generator's weights (off when absent). */
    ema?: number;
  };
  /** A trained teacher's run or model directory to use instead of training one. */
  teacherDir?: string;
  /** Student widths. */
  students: number[];
  /** Student latent size (default: the teacher's). */
  studentLatent?: number;
  epochs: { step1: number; step2: number };
  batchSize: number;
  methods?: Method[];
  /** `random` (default) or `teacher` (slice the teacher's channels); both runs both. */
  inits?: ("random" | "teacher")[];
  weights?: DistillationWeights;
  /** Output folder (required: results and per-job files go there). */
  out: string;
  backend?: { name: string; device?: string; skipped?: string[] };
  progress?: (label: string) => ProgressSink;
  log?: (line: string) => void;
  data?: OneClassSplit;
}

/**
 * One student's row of `results.json` (and, but `errors`, of `results.csv`). Its fields are
 * snake_case, unlike the library's other types, because they are the files' column names: the
 * report, notebook 03, the sweep runner and the committed `results/` read them by these names, so
 * the type keeps the on-disk names rather than renaming them on every write and read.
 */
export interface StudentResult {
  width: number;
  latent: number;
  params: number;
  mflops: number;
  ratio: number;
  auc_scratch: number | null;
  auc_one_step: number | null;
  auc_pkdgan: number | null;
  auc_joint?: number | null;
  auc_one_step_teacher_init?: number | null;
  auc_pkdgan_teacher_init?: number | null;
  /** P-KDGAN's AUC minus scratch's. */
  delta_vs_scratch: number | null;
  score_images_per_s: number | null;
  errors: string[];
}

/** The columns of `results.csv`, in order (the fields of {@link StudentResult} but `errors`). */
export const RESULT_COLUMNS = [
  "width",
  "latent",
  "params",
  "mflops",
  "ratio",
  "auc_scratch",
  "auc_one_step",
  "auc_pkdgan",
  "auc_joint",
  "auc_one_step_teacher_init",
  "auc_pkdgan_teacher_init",
  "delta_vs_scratch",
  "score_images_per_s",
] as const;

/** The whole `results.json`. */
export interface DistillResults {
  dataset: string;
  normal_class: number;
  protocol: string;
  seed: number;
  teacher: {
    width: number;
    params: number;
    mflops: number;
    auc: number;
    score_images_per_s: number;
  };
  students: StudentResult[];
  ratio_definition: string;
}

interface JobResult {
  auc: number;
  seconds: number;
  roc: { fpr: number[]; tpr: number[] };
  history: unknown[];
  /** The test score of every test image, in test-set order (teacher-vs-student comparisons). */
  scores?: number[];
}

/**
 * Runs the experiment; returns and writes the results.
 *
 * @example
 * ```ts ignore
 * // not run as a test: it trains a teacher and students for minutes (tests/distill runs it)
 * import { runDistillExperiment } from "./experiment.ts";
 * const results = await runDistillExperiment({ dataset: "mnist", normal: 1, seed: 0,
 *   teacher: { width: 32, epochs: 2, batchSize: 16 }, students: [4], epochs: { step1: 2, step2: 1 },
 *   batchSize: 16, limit: 2048, out: "runs/distill" });
 * console.log(results.students[0].auc_pkdgan);
 * ```
 */
export async function runDistillExperiment(
  opts: DistillExperimentOptions,
): Promise<DistillResults> {
  const log = opts.log ?? (() => {});
  const progress = opts.progress ?? (() => silentProgress);
  const methods = opts.methods ?? ["scratch", "one-step", "pkdgan"];
  const inits = opts.inits ?? ["random"];
  await Deno.mkdir(join(opts.out, "jobs"), { recursive: true });
  const data = opts.data ?? await loadRunData(opts);
  // Before the teacher or any student trains: a batch, a validation image, both test labels.
  const batchSize = Math.max(opts.batchSize, opts.teacherDir ? 1 : opts.teacher.batchSize);
  for (const line of checkRunData(data, { batchSize })) log(`warning: ${line}`);
  const manifest = {
    kind: "distill",
    options: { ...opts, data: undefined, progress: undefined, log: undefined },
    backend: opts.backend ?? null,
    data: data.manifest,
  };
  await refuseOtherSettings(join(opts.out, "run.json"), manifest);
  await writeManifest(join(opts.out, "run.json"), { ...manifest, status: "running" });

  // The teacher: loaded, or trained once and kept in out/teacher for reruns.
  const teacherRunDir = join(opts.out, "teacher");
  let teacher: EdeGan;
  let teacherScores: Float32Array | undefined;
  if (opts.teacherDir) {
    await checkTeacherData(opts.teacherDir, data);
    teacher = (await loadModel(await modelDirOf(opts.teacherDir))).model;
    log(`teacher loaded from ${opts.teacherDir}`);
  } else if (
    await exists(join(teacherRunDir, "model", "model.json")) && await finished(teacherRunDir)
  ) {
    teacher = (await loadModel(join(teacherRunDir, "model"))).model;
    log(`teacher reused from ${teacherRunDir}`);
  } else {
    log(`training the teacher (width ${opts.teacher.width})`);
    const run = await trainRun({
      dataset: opts.dataset,
      normal: opts.normal,
      epochs: opts.teacher.epochs,
      batchSize: opts.teacher.batchSize,
      seed: opts.seed,
      ema: opts.teacher.ema,
      model: { width: opts.teacher.width, latent: opts.teacher.latent ?? "tanh" },
      data,
      out: teacherRunDir,
      resume: true,
      backend: opts.backend,
      progress: progress("teacher"),
    });
    teacher = run.model;
    teacherScores = run.testScores;
  }
  teacherScores ??= (await scoreImages(teacher, data.test)).scores;
  const teacherCost = modelCost(teacher.config);
  const teacherResult = {
    width: teacher.config.width,
    params: teacherCost.generator.params,
    mflops: round(teacherCost.generatorMflops, 3),
    auc: rocAuc(teacherScores, data.testIsAnomaly),
    score_images_per_s: round(await scoringSpeed(teacher, data), 1),
  };
  log(`teacher AUC ${teacherResult.auc.toFixed(4)}`);
  await writeJsonAtomic(join(opts.out, "teacher.json"), {
    ...teacherResult,
    roc: rocCurve(teacherScores, data.testIsAnomaly),
    scores: Array.from(teacherScores),
    // 1 anomalous, 0 normal, per test image: the labels of every score list of this experiment.
    labels: Array.from(data.testIsAnomaly),
  });

  const students: StudentResult[] = [];
  for (const width of opts.students) {
    const config = studentConfig(teacher.config, { width, latentSize: opts.studentLatent });
    const cost = modelCost(config);
    const row: StudentResult = {
      width,
      latent: config.latentSize,
      params: cost.generator.params,
      mflops: round(cost.generatorMflops, 3),
      ratio: round(teacherCost.generator.macs / cost.generator.macs, 2),
      auc_scratch: null,
      auc_one_step: null,
      auc_pkdgan: null,
      delta_vs_scratch: null,
      score_images_per_s: null,
      errors: [],
    };
    for (const init of inits) {
      for (const method of methods) {
        if (init === "teacher" && method === "scratch") continue;
        const name = `w${width}-l${config.latentSize}-${method}${
          init === "teacher" ? "-tinit" : ""
        }`;
        const file = join(opts.out, "jobs", `${name}.json`);
        let job: JobResult | undefined;
        if (await exists(file)) {
          job = JSON.parse(await Deno.readTextFile(file));
          log(`${name}: done before (AUC ${job!.auc.toFixed(4)}), skipped`);
        } else {
          const student = EdeGan.create(config, opts.seed + width);
          try {
            if (init === "teacher") initialiseFromTeacher(student, teacher);
            const result = await distillStudent(teacher, student, data.train, method, {
              epochs: opts.epochs,
              batchSize: opts.batchSize,
              seed: opts.seed,
              weights: opts.weights,
              progress: progress(name),
            });
            const scores = (await scoreImages(student, data.test)).scores;
            job = {
              auc: rocAuc(scores, data.testIsAnomaly),
              seconds: round(result.seconds, 1),
              roc: rocCurve(scores, data.testIsAnomaly),
              history: result.history,
              scores: Array.from(scores),
            };
            if (row.score_images_per_s === null) {
              row.score_images_per_s = round(await scoringSpeed(student, data), 1);
            }
            await writeJsonAtomic(file, job);
            log(`${name}: AUC ${job.auc.toFixed(4)} in ${job.seconds}s`);
          } catch (error) {
            const message = `${name}: ${(error as Error).message}`;
            row.errors.push(message);
            log(`FAILED ${message}`);
          } finally {
            student.dispose();
          }
        }
        if (job) {
          const key = ({
            "scratch": "auc_scratch",
            "one-step": "auc_one_step",
            "pkdgan": "auc_pkdgan",
            "joint": "auc_joint",
          } as const)[method];
          const column = (init === "teacher" ? `${key}_teacher_init` : key) as keyof StudentResult;
          (row as unknown as Record<string, unknown>)[column] = job.auc;
        }
      }
    }
    if (row.auc_pkdgan !== null && row.auc_scratch !== null) {
      row.delta_vs_scratch = row.auc_pkdgan - row.auc_scratch;
    }
    if (row.score_images_per_s === null) {
      const student = EdeGan.create(config, 0);
      row.score_images_per_s = round(await scoringSpeed(student, data), 1);
      student.dispose();
    }
    students.push(row);
    await writeOutputs(opts, data, teacherResult, students);
  }
  teacher.dispose();
  const results = await writeOutputs(opts, data, teacherResult, students);
  await writeManifest(join(opts.out, "run.json"), { ...manifest, status: "finished", results });
  return results;
}

async function writeOutputs(
  opts: DistillExperimentOptions,
  data: OneClassSplit,
  teacher: DistillResults["teacher"],
  students: StudentResult[],
): Promise<DistillResults> {
  const results: DistillResults = {
    dataset: opts.dataset,
    normal_class: opts.normal,
    protocol: data.manifest.protocol,
    seed: opts.seed,
    teacher,
    students,
    ratio_definition: "teacher FLOPs / student FLOPs along the scoring path E1 -> Dec -> E2",
  };
  await writeJsonAtomic(join(opts.out, "results.json"), results);
  await writeFileAtomic(join(opts.out, "results.csv"), csvText(students, RESULT_COLUMNS));
  return results;
}

/** Images per second scoring at batch 256 (after one warm-up pass). */
export async function scoringSpeed(
  model: EdeGan,
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

/** The options that change a distillation's results (students, methods and inits only add jobs). */
const RESULT_OPTIONS: Record<string, string> = {
  dataset: "--dataset",
  dataDir: "--data-dir",
  normal: "--normal",
  protocol: "--protocol",
  seed: "--seed",
  limit: "--limit",
  testLimit: "--test-limit",
  teacher: "--teacher-width/--epochs/--batch-size/--latent",
  teacherDir: "--model",
  studentLatent: "student latent",
  epochs: "--distill-epochs",
  batchSize: "--batch-size",
  weights: "distillation weights",
};

/**
 * A rerun into the same folder reuses its teacher and finished jobs: refused, naming each
 * setting, when the folder's `run.json` records settings that change the results.
 */
async function refuseOtherSettings(
  path: string,
  now: { options: Record<string, unknown>; data: { counts: unknown } },
): Promise<void> {
  const before = await readManifest(path);
  const options = before?.options as Record<string, unknown> | undefined;
  if (!options) return;
  const show = (v: unknown) => JSON.stringify(v ?? null).replaceAll('"', "");
  const lines = Object.entries(RESULT_OPTIONS)
    .filter(([key]) => show(options[key]) !== show(now.options[key]))
    .map(([key, flag]) => `${flag} ${show(options[key])} -> ${show(now.options[key])}`);
  const counts = (before?.data as { counts?: unknown } | undefined)?.counts;
  if (counts && show(counts) !== show(now.data.counts)) {
    lines.push(`data counts ${show(counts)} -> ${show(now.data.counts)}`);
  }
  if (lines.length > 0) {
    throw new Error(
      `--out: ${path} records a distillation with other settings, whose teacher and finished ` +
        `jobs would be mixed into this one:\n  ${lines.join("\n  ")}\n` +
        "rerun with the recorded values, or choose another --out",
    );
  }
}

/**
 * A loaded teacher must have been trained on the normal class, dataset and protocol of this
 * experiment: its run's manifest (`run.json` beside `model/`) is compared when there is one.
 */
async function checkTeacherData(dir: string, data: OneClassSplit): Promise<void> {
  const manifestPath = await exists(join(dir, "run.json"))
    ? join(dir, "run.json")
    : join(dir, "..", "run.json");
  if (!(await exists(manifestPath))) return;
  const teacherData = JSON.parse(await Deno.readTextFile(manifestPath)).data ?? {};
  for (const key of ["dataset", "normalClass", "protocol"] as const) {
    const theirs = teacherData[key], ours = data.manifest[key];
    if (theirs !== undefined && theirs !== ours) {
      throw new Error(
        `--model ${dir}: the teacher was trained with ${key} ${JSON.stringify(theirs)}, ` +
          `this experiment uses ${JSON.stringify(ours)} (${manifestPath})`,
      );
    }
  }
}

async function modelDirOf(dir: string): Promise<string> {
  return await exists(join(dir, "model", "model.json")) ? join(dir, "model") : dir;
}

async function finished(runDir: string): Promise<boolean> {
  try {
    const manifest = JSON.parse(await Deno.readTextFile(join(runDir, "run.json")));
    return manifest.status === "finished";
  } catch {
    return false;
  }
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
