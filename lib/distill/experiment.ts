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

import { join } from "@std/path";
import type { OneClassSplit } from "../data/types.ts";
import type { AnomalyModel, DistillableModel } from "../models/mod.ts";
import {
  createModel,
  DEFAULT_MODEL,
  defaultFinalScoring,
  finalScoring,
} from "../models/registry.ts";
import { asDistillable } from "../models/distillable.ts";
import { BEST_TEST_EPOCH_LABEL, bestTestEpoch, rocAuc, rocCurve } from "../metrics/mod.ts";
import { scoreImages } from "../score/score.ts";
import { calibrate } from "../score/calibrate.ts";
import { checkRunData, loadRunData } from "../train/run.ts";
import { readRunManifest, writeRunManifest } from "../run/manifest.ts";
import { edeganGitState, type GitState } from "../run/git_state.ts";
import { exists, writeJsonAtomic } from "../util/atomic.ts";
import { silentProgress } from "../util/progress.ts";
import { DEFAULT_DISTILLATION_WEIGHTS, type DistillationWeights } from "./kd_loss.ts";
import { distillStudent, type Method, type Stage1Structure } from "./pkdgan.ts";
import type { StudentLatentRule } from "./students.ts";
import { VALIDATION_AGREEMENT_CRITERION, validationAgreement } from "./validation_agreement.ts";
import {
  type DistillResults,
  distillResultsToFile,
  type StudentResult,
  type TeacherResult,
  writeDistillResults,
} from "./results.ts";
import { initialiseFromTeacher } from "./students.ts";
import { type ResolvedStudent, resolveStudentChoice } from "./student_choice.ts";
import {
  openTeacher,
  prepareTeacher,
  round,
  scoringSpeed,
  teacherRecord,
  teacherSettings,
} from "./teacher.ts";
import { saveStudentRun } from "./student_run.ts";
import type { DistillExperimentOptions } from "./options.ts";

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
export type { DistillExperimentOptions } from "./options.ts";

/** A job file, `jobs/<name>.json`: one student trained by one method. */
interface JobResult {
  /** The last epoch's test AUC, in the BatchNorm mode of `bnStats` (the headline). */
  auc: number;
  seconds: number;
  roc: { fpr: number[]; tpr: number[] };
  /**
   * Every epoch's record; each `auc` is the test AUC after it with the moving statistics, and at
   * batch size 1 `perImageAuc` the one under each image's own statistics.
   */
  history: { epoch: number; auc?: number; perImageAuc?: number; stage?: number }[];
  /** The test score of every test image, in test-set order (teacher-vs-student comparisons). */
  scores?: number[];
  /** The design settings the job ran with (absent in files written before they were options). */
  design?: DistillDesign;
  /** How the final scores normalised BatchNorm: asked, used, and the validation criterion. */
  bnStats?: { asked: string; mode: string; validationObjective?: unknown };
  /** The last epoch's test AUC with the moving statistics (the per-epoch curve's kind). */
  movingAuc?: number;
  /**
   * The best per-epoch test AUC: the reference code's protocol, for comparison only. `stage`: the
   * distillation stage it fell in (P-KDGAN's best can be a stage-1 epoch, the student trained by
   * K alone); absent in files written before it was recorded.
   */
  bestTestEpoch?: { epoch: number; auc: number; stage?: number; protocol: string } | null;
  /** At batch size 1, the best per-epoch test AUC under each image's own statistics. */
  bestTestEpochPerImage?: { epoch: number; auc: number; stage?: number; protocol: string } | null;
  /** The student's agreement with the teacher on the validation normals (a design criterion). */
  validationAgreement?: { spearman: number; criterion: string };
  /**
   * The code that wrote the file (absent in files written before it was recorded); a job resumed
   * from its checkpoint names the code that finished it.
   */
  git?: GitState;
}

/**
 * The design choices of a distillation (issue 26), with their defaults applied, as every job file
 * and `run.json` record them.
 */
export interface DistillDesign {
  studentLatent: StudentLatentRule;
  kdWeights: DistillationWeights;
  stage1: Stage1Structure;
  /** `--bn-stats`: how the students' final scores normalise BatchNorm (the model's final scoring). */
  bnStats: string;
  distillEpochs: { step1: number; step2: number };
  batchSize: number;
}

/**
 * The design an experiment's options give, defaults applied.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { distillDesign } from "./experiment.ts";
 * const d = distillDesign({ epochs: { step1: 10, step2: 5 }, batchSize: 1 });
 * assertEquals([d.studentLatent, d.stage1, d.bnStats, d.kdWeights.x], ["shrink", "kd-gan", "auto", 1]);
 * ```
 */
export function distillDesign(
  opts: Pick<
    DistillExperimentOptions,
    "latentRule" | "weights" | "stage1" | "bnStats" | "epochs" | "batchSize"
  >,
): DistillDesign {
  return {
    studentLatent: opts.latentRule ?? "shrink",
    kdWeights: { ...(opts.weights ?? DEFAULT_DISTILLATION_WEIGHTS) },
    stage1: opts.stage1 ?? "kd-gan",
    // A teacher trained here is of the default kind (EDE-GAN: `auto` at batch size 1, else `moving`).
    bnStats: opts.bnStats ?? defaultFinalScoring(DEFAULT_MODEL, opts.batchSize),
    distillEpochs: { ...opts.epochs },
    batchSize: opts.batchSize,
  };
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
  // The data first: a bad --normal or --data-dir is refused before anything is written.
  const data = opts.data ?? await loadRunData(opts);
  // Before the teacher or any student trains: a batch, a validation image, both test labels.
  const batchSize = Math.max(opts.batchSize, opts.teacherDir ? 1 : opts.teacher.batchSize);
  for (const line of checkRunData(data, { batchSize })) log(`warning: ${line}`);
  const design = distillDesign(opts);
  // Then the teacher when it needs no training (--model's, or this folder's finished one) and
  // every student against it (or against the teacher to train, by its settings), and the
  // settings against the folder's: each refusal comes before anything is written.
  const opened = await openTeacher(opts, data, log);
  let sizes: ResolvedStudent[];
  let manifest: ReturnType<typeof distillManifest>;
  try {
    sizes = studentsOf(opened, opts, data, design);
    manifest = distillManifest(opts, await teacherRecord(opts, opened), design, data);
    await refuseOtherSettings(join(opts.out, "run.json"), manifest);
  } catch (error) {
    opened?.dispose();
    throw error;
  }
  for (const size of sizes) if (size.warning) log(`warning: ${size.warning}`);
  await Deno.mkdir(join(opts.out, "jobs"), { recursive: true });
  await writeRunManifest(join(opts.out, "run.json"), { ...manifest, status: "running" });

  const { model: teacher, result: teacherResult } = await prepareTeacher(
    opts,
    data,
    log,
    progress("teacher"),
    opened,
  );
  const teacherCost = teacher.cost();
  // The teacher's ranking of the validation normals, which each student's is compared with.
  const teacherValScores = data.val.count >= 2
    ? (await scoreImages(teacher, data.val)).scores
    : undefined;
  // Each epoch's test AUC with the moving statistics (the reference code's protocol: GANomaly's
  // code evaluates in inference mode) and, at batch size 1, also under each image's own statistics
  // (the function a batch-1 net computed in training); curves only, nothing chosen on them.
  const evaluate = async (student: AnomalyModel) => {
    const auc = rocAuc((await scoreImages(student, data.test)).scores, data.testIsAnomaly);
    if (design.batchSize !== 1) return auc;
    const perImage = (await scoreImages(student, data.test, { bnStats: "per-image" })).scores;
    return { auc, perImageAuc: rocAuc(perImage, data.testIsAnomaly) };
  };

  const students: StudentResult[] = [];
  for (const resolved of sizes) {
    const size = { width: resolved.width, latentSize: resolved.latentSize };
    const { width, latentSize } = size;
    const cost = teacher.costOf(size);
    const row: StudentResult = {
      width,
      latent: latentSize,
      params: cost.params,
      mflops: round(cost.mflops, 3),
      ratio: round(teacherCost.macs / cost.macs, 2),
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
        const name = `w${width}-l${latentSize}-${method}${init === "teacher" ? "-tinit" : ""}`;
        const file = join(opts.out, "jobs", `${name}.json`);
        let job: JobResult | undefined;
        if (await exists(file)) {
          job = JSON.parse(await Deno.readTextFile(file));
          log(`${name}: done before (AUC ${job!.auc.toFixed(4)}), skipped`);
        } else {
          const student = teacher.narrower(size, opts.seed + width);
          try {
            if (init === "teacher") initialiseFromTeacher(student, teacher);
            // Kept after every epoch: a killed job resumes from its last finished epoch.
            const checkpointDir = join(opts.out, "jobs", `${name}.checkpoint`);
            if (await exists(join(checkpointDir, "student", "trainer.json"))) {
              log(`${name}: resuming from its last finished epoch (${checkpointDir})`);
            }
            const result = await distillStudent(teacher, student, data.train, method, {
              epochs: opts.epochs,
              batchSize: opts.batchSize,
              seed: opts.seed,
              weights: design.kdWeights,
              stage1: design.stage1,
              evaluate,
              checkpointDir,
              progress: progress(name),
            });
            const scored = await scoreJob(student, data, design, result, teacherValScores);
            job = scored.job;
            if (row.scoreImagesPerSecond === null) {
              row.scoreImagesPerSecond = round(await scoringSpeed(student, data), 1);
            }
            // The student itself, as a run (`deno task ship --run OUT/jobs/<job>`), before the
            // result file that marks the job done.
            await saveStudentRun(
              join(opts.out, "jobs", name),
              student,
              data,
              { test: Float32Array.from(job.scores!), val: scored.valScores },
              {
                job: name,
                method,
                init,
                ratio: row.ratio,
                epochs: opts.epochs,
                batchSize: opts.batchSize,
                seed: opts.seed,
                teacher: opts.teacherDir ?? join(opts.out, "teacher"),
                bnStats: job.bnStats!.mode as "moving" | "per-image" | "recomputed",
              },
            );
            await writeJsonAtomic(file, { ...job, git: edeganGitState() });
            await Deno.remove(checkpointDir, { recursive: true }).catch(() => {});
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
          if (init === "random" && method in BEST_EPOCH_FIELDS) {
            // The reference code's protocol beside ours; null for files without per-epoch AUCs.
            row[BEST_EPOCH_FIELDS[method as keyof typeof BEST_EPOCH_FIELDS]] =
              bestTestEpoch(job.history ?? [])?.auc ?? null;
          }
        }
      }
    }
    if (row.aucPkdgan !== null && row.aucScratch !== null) {
      row.deltaVsScratch = row.aucPkdgan - row.aucScratch;
    }
    if (row.scoreImagesPerSecond === null) {
      const student = teacher.narrower(size, 0);
      row.scoreImagesPerSecond = round(await scoringSpeed(student, data), 1);
      student.dispose();
    }
    students.push(row);
    await writeOutputs(opts, data, teacherResult, students);
  }
  teacher.dispose();
  const results = await writeOutputs(opts, data, teacherResult, students);
  await writeRunManifest(join(opts.out, "run.json"), {
    ...manifest,
    status: "finished",
    results: distillResultsToFile(results),
  });
  return results;
}

/** `run.json` of the experiment but its status and results; `teacher` as it was used. */
function distillManifest(
  opts: DistillExperimentOptions,
  teacher: Record<string, unknown>,
  design: DistillDesign,
  data: OneClassSplit,
) {
  return {
    kind: "distill" as const,
    options: { ...opts, teacher, data: undefined, progress: undefined, log: undefined },
    design,
    backend: opts.backend ?? null,
    data: data.manifest,
  };
}

/**
 * Every student choice resolved against the teacher: `opened`, or the one to be trained here,
 * made once from its settings (untrained, for its costs) and disposed. Refuses, naming
 * `--students`, a student that is not smaller than the teacher or a ratio none of its students
 * comes near (see `resolveStudentChoice`).
 */
function studentsOf(
  opened: DistillableModel | undefined,
  opts: DistillExperimentOptions,
  data: OneClassSplit,
  design: DistillDesign,
): ResolvedStudent[] {
  const teacher = opened ?? asDistillable(
    createModel(
      DEFAULT_MODEL,
      teacherSettings(opts),
      { imageSize: data.train.height, channels: data.train.channels },
      opts.seed,
    ),
    "the teacher to train",
  );
  try {
    return opts.students.map((choice) =>
      resolveStudentChoice(teacher, choice, opts.studentLatent, design.studentLatent)
    );
  } finally {
    if (!opened) teacher.dispose();
  }
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

/**
 * Scores a trained student for its job file: the test AUC in the BatchNorm mode `design.bnStats`
 * asks (chosen on the validation normals with `auto`; the model's final scoring, through the
 * registry), the moving-statistics AUC beside it, the best per-epoch AUC (the reference code's
 * protocol, comparison only) and the student's agreement with the teacher on the validation
 * normals. Returns the job file and the validation scores in the mode used (the threshold's).
 */
async function scoreJob(
  student: DistillableModel,
  data: OneClassSplit,
  design: DistillDesign,
  result: {
    seconds: number;
    history: { epoch: number; auc?: number; perImageAuc?: number; stage?: number }[];
  },
  teacherValScores: Float32Array | undefined,
): Promise<{ job: JobResult; valScores: Float32Array }> {
  const movingTestScores = (await scoreImages(student, data.test)).scores;
  const movingVal = (await scoreImages(student, data.val)).scores;
  const final = await finalScoring(student, data, design.bnStats, {
    movingTestScores,
    movingCalibration: calibrate(movingVal, 0.05),
    movingValScores: movingVal,
    batchSize: design.batchSize,
    fpr: 0.05,
  });
  const scores = final.testScores;
  const valScores = final.valScores!;
  const best = bestTestEpoch(result.history);
  let agreement: JobResult["validationAgreement"];
  if (teacherValScores) {
    try {
      agreement = {
        spearman: validationAgreement(teacherValScores, valScores),
        criterion: VALIDATION_AGREEMENT_CRITERION,
      };
    } catch {
      // A student that scores every validation image alike has no ranking: no agreement.
      agreement = undefined;
    }
  }
  const choice = final.choice as { validationObjective?: unknown } | undefined;
  const job: JobResult = {
    auc: rocAuc(scores, data.testIsAnomaly),
    seconds: round(result.seconds, 1),
    roc: rocCurve(scores, data.testIsAnomaly),
    history: result.history,
    scores: Array.from(scores),
    design,
    bnStats: {
      asked: design.bnStats,
      mode: final.bnStats,
      ...(choice ? { validationObjective: choice.validationObjective } : {}),
    },
    movingAuc: final.movingAuc,
    bestTestEpoch: best ? { ...best, protocol: BEST_TEST_EPOCH_LABEL } : null,
    ...(design.batchSize === 1
      ? {
        bestTestEpochPerImage: bestOf(
          result.history.map((r) => ({ epoch: r.epoch, auc: r.perImageAuc, stage: r.stage })),
        ),
      }
      : {}),
    ...(agreement ? { validationAgreement: agreement } : {}),
  };
  return { job, valScores };
}

/** The best epoch of a per-image curve, labelled with its protocol, or null. */
function bestOf(
  curve: { epoch: number; auc?: number; stage?: number }[],
): { epoch: number; auc: number; stage?: number; protocol: string } | null {
  const best = bestTestEpoch(curve);
  return best
    ? { ...best, protocol: `${BEST_TEST_EPOCH_LABEL}, per-image BatchNorm statistics` }
    : null;
}

/** The best-epoch field of each method the results tables compare. */
const BEST_EPOCH_FIELDS = {
  "scratch": "bestEpochAucScratch",
  "one-step": "bestEpochAucOneStep",
  "pkdgan": "bestEpochAucPkdgan",
} as const satisfies Partial<Record<Method, keyof StudentResult>>;

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
  latentRule: "--student-latent",
  weights: "--kd-weights",
  stage1: "--stage1",
  bnStats: "--bn-stats",
};

/**
 * What an option that a `run.json` lacks meant when it was written (before the option existed):
 * its default, so that older folders resume without a false refusal.
 */
function recordedOrDefault(
  key: string,
  options: Record<string, unknown>,
): unknown {
  if (options[key] !== undefined && options[key] !== null) return options[key];
  const design = distillDesign({
    epochs: options.epochs as DistillDesign["distillEpochs"],
    batchSize: options.batchSize as number,
  });
  return {
    latentRule: design.studentLatent,
    weights: design.kdWeights,
    stage1: design.stage1,
    bnStats: design.bnStats,
  }[key];
}

/**
 * A rerun into the same folder reuses its teacher and finished jobs: refused, naming each
 * setting, when the folder's `run.json` records settings that change the results.
 */
async function refuseOtherSettings(
  path: string,
  now: { options: Record<string, unknown>; data: { counts: unknown } },
): Promise<void> {
  const before = await readRunManifest(path);
  if (before && before.kind !== "distill") {
    throw new Error(
      `--out: ${path} records a ${before.kind} run, not a distillation; choose another --out`,
    );
  }
  const options = before?.options;
  if (!options) return;
  const show = (v: unknown) => JSON.stringify(v ?? null).replaceAll('"', "");
  // A loaded teacher is named by --model (compared as teacherDir); what its record says of it
  // (its width, epochs) was, before it was recorded as used, the flags that trained nothing.
  const loaded = now.options.teacherDir !== undefined && now.options.teacherDir !== null;
  const lines = Object.entries(RESULT_OPTIONS)
    .filter(([key]) => !(key === "teacher" && loaded))
    .map((
      [key, flag],
    ) => [flag, recordedOrDefault(key, options), recordedOrDefault(key, now.options)])
    .filter(([, before, after]) => show(before) !== show(after))
    .map(([flag, before, after]) => `${flag} ${show(before)} -> ${show(after)}`);
  const counts = before?.data?.counts;
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
