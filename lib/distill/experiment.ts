/**
 * The distillation experiment behind `deno task distill`: train (or load) a teacher, then for each
 * student size train the student from scratch, by one-step KD and by P-KDGAN (and optionally the
 * joint structure alone), evaluate everything on the same test set, and write `results.json`,
 * `results.csv` and one result file per job so that a rerun skips what is done. One failing
 * student is reported and the others go on.
 *
 * The teacher is prepared by `teacher.ts`; the result types and their on-disk form (snake_case
 * columns of `results.json` and `results.csv`) are in `results.ts`; this file is the job loop.
 *
 * @module
 */

import type { EmaOption } from "../train/ema.ts";
import { join } from "@std/path";
import { EdeGan } from "../models/ede_gan/mod.ts";
import { modelCost } from "../models/ede_gan/mod.ts";
import type { LatentConstraint } from "../models/ede_gan/mod.ts";
import type { DatasetName, OneClassSplit, Protocol } from "../data/types.ts";
import { rocAuc, rocCurve } from "../metrics/mod.ts";
import { scoreImages } from "../score/score.ts";
import { checkRunData, loadRunData } from "../train/run.ts";
import { readManifest, writeManifest } from "../train/manifest.ts";
import { exists, writeJsonAtomic } from "../util/atomic.ts";
import { type ProgressSink, silentProgress } from "../util/progress.ts";
import type { DistillationWeights } from "./kd_loss.ts";
import { distillStudent, type Method } from "./pkdgan.ts";
import {
  type DistillResults,
  distillResultsToFile,
  type StudentResult,
  type TeacherResult,
  writeDistillResults,
} from "./results.ts";
import { initialiseFromTeacher, studentConfig } from "./students.ts";
import { resolveStudentChoice, type StudentChoice } from "./student_choice.ts";
import { prepareTeacher, round, scoringSpeed } from "./teacher.ts";
import { saveStudentRun } from "./student_run.ts";

export {
  type DistillResults,
  type DistillResultsFile,
  FileFieldError,
  readDistillResults,
  RESULT_COLUMNS,
  STUDENT_COLUMNS,
  type StudentResult,
  type StudentResultRow,
  studentResultToRow,
  type TeacherResult,
} from "./results.ts";
export { scoringSpeed } from "./teacher.ts";

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
    /** `--ema`: decay of an average of the teacher generator's weights, or `auto` (off when absent). */
    ema?: EmaOption;
  };
  /** A trained teacher's run or model directory to use instead of training one. */
  teacherDir?: string;
  /**
   * Students: widths, widths with latent sizes, or compression ratios resolved against the teacher
   * ({@linkcode StudentChoice}; `--students 12,3x32,700:1`).
   */
  students: StudentChoice[];
  /** Student latent size where a choice gives none (default: the teacher's). */
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
 * console.log(results.students[0].aucPkdgan);
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

  const { model: teacher, result: teacherResult } = await prepareTeacher(
    opts,
    data,
    log,
    progress("teacher"),
  );
  const teacherCost = modelCost(teacher.config);

  const students: StudentResult[] = [];
  for (const choice of opts.students) {
    const size = resolveStudentChoice(teacher.config, choice, opts.studentLatent);
    const width = size.width;
    const config = studentConfig(teacher.config, size);
    const cost = modelCost(config);
    const row: StudentResult = {
      width,
      latent: config.latentSize,
      params: cost.generator.params,
      mflops: round(cost.generatorMflops, 3),
      ratio: round(teacherCost.generator.macs / cost.generator.macs, 2),
      aucScratch: null,
      aucOneStep: null,
      aucPkdgan: null,
      deltaVsScratch: null,
      scoreImagesPerSecond: null,
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
            if (row.scoreImagesPerSecond === null) {
              row.scoreImagesPerSecond = round(await scoringSpeed(student, data), 1);
            }
            // The student itself, as a run (`deno task ship --run OUT/jobs/<job>`), before the
            // result file that marks the job done.
            await saveStudentRun(join(opts.out, "jobs", name), student, data, scores, {
              job: name,
              method,
              init,
              ratio: row.ratio,
              epochs: opts.epochs,
              batchSize: opts.batchSize,
              seed: opts.seed,
              teacher: opts.teacherDir ?? join(opts.out, "teacher"),
            });
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
          row[AUC_FIELDS[init][method]] = job.auc;
        }
      }
    }
    if (row.aucPkdgan !== null && row.aucScratch !== null) {
      row.deltaVsScratch = row.aucPkdgan - row.aucScratch;
    }
    if (row.scoreImagesPerSecond === null) {
      const student = EdeGan.create(config, 0);
      row.scoreImagesPerSecond = round(await scoringSpeed(student, data), 1);
      student.dispose();
    }
    students.push(row);
    await writeOutputs(opts, data, teacherResult, students);
  }
  teacher.dispose();
  const results = await writeOutputs(opts, data, teacherResult, students);
  await writeManifest(join(opts.out, "run.json"), {
    ...manifest,
    status: "finished",
    results: distillResultsToFile(results),
  });
  return results;
}

async function writeOutputs(
  opts: DistillExperimentOptions,
  data: OneClassSplit,
  teacher: TeacherResult,
  students: StudentResult[],
): Promise<DistillResults> {
  const results: DistillResults = {
    dataset: opts.dataset,
    normalClass: opts.normal,
    protocol: data.manifest.protocol,
    seed: opts.seed,
    teacher,
    students,
    ratioDefinition: "teacher FLOPs / student FLOPs along the scoring path E1 -> Dec -> E2",
  };
  await writeDistillResults(opts.out, results);
  return results;
}

/** The result field of each way of training a student. */
const AUC_FIELDS = {
  random: {
    "scratch": "aucScratch",
    "one-step": "aucOneStep",
    "pkdgan": "aucPkdgan",
    "joint": "aucJoint",
  },
  teacher: {
    "scratch": "aucScratch", // never run: a student sliced from the teacher is not "from scratch"
    "one-step": "aucOneStepTeacherInit",
    "pkdgan": "aucPkdganTeacherInit",
    "joint": "aucJointTeacherInit",
  },
} as const satisfies Record<"random" | "teacher", Record<Method, keyof StudentResult>>;

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
