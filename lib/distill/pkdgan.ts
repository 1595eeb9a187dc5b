/**
 * P-KDGAN: progressive distillation of a teacher (an EDE-GAN) into a small student.
 *
 * The structures that link the two GANs through the distillation loss K:
 * 1. `kd`: the teacher is frozen (inference mode); the student trains on K alone.
 * 2. `kd-gan`: the teacher is frozen; the student trains on K plus its own GAN losses.
 * 3. `joint`: both are updated, the teacher on its GAN losses plus K, the student on its GAN
 *    losses plus K (each treats the other's outputs of the step as constants).
 *
 * P-KDGAN is two steps: step 1 is structure 2 (`--stage1 kd-gan`, the default) or structure 1
 * (`--stage1 kd`: the student learns "the basic knowledge totally from the teacher", as the
 * P-KDGAN abstract describes its first step), then step 2 is structure 3. The baselines are the
 * same student trained from scratch, one-step KD (structure 2 alone, whatever `--stage1`) and
 * structure 3 alone, each with the same total number of epochs.
 *
 * Words: the paper's two steps are the two *stages* of a method here (`stage` 1 and 2 in each
 * epoch record); only their epoch budgets keep the paper's names (`epochs.step1`,
 * `epochs.step2`, as run manifests and results record them). A *step* everywhere else, as in
 * `trainStep`, is one optimiser iteration on one batch.
 *
 * It is typed on {@link DistillableModel}, what it needs of a model: the outputs its loss K
 * compares (z, x_hat, z_hat), the model's step with K added (`distillStep`; EDE-GAN's adds K to
 * its generator's loss, its discriminator training on as before, or not with `kd`), a trainable
 * copy of the teacher for the joint structure (`clone`), and optimisers that train K's latent
 * projection with the student. EDE-GAN is its implementation; any other model implementing the
 * interface distils the same way (`tests/distill/second_model_test.ts`).
 *
 * @module
 */

import * as tf from "../tf.ts";
import type {
  AnomalyModel,
  DistillableModel,
  DistilledOutputs,
  Losses,
  Optimisers,
  StepContext,
} from "../models/mod.ts";
import type { ImageSet } from "../data/types.ts";
import { type EpochRecord, fit } from "../train/trainer.ts";
import { distillationLoss, type DistillationWeights, latentProjection } from "./kd_loss.ts";
import { FrozenTeacher } from "./frozen_teacher.ts";
import { keptOutputs } from "./_kept_outputs.ts";
import { prefixedProgress, type ProgressSink } from "../util/progress.ts";
import {
  checkpointHasTeacher,
  type DistillProgress,
  loadDistillCheckpoint,
  saveDistillCheckpoint,
} from "./checkpoint.ts";

/** How teacher and student are linked (see the module documentation). */
export type Structure = "kd" | "kd-gan" | "joint";

/** A way to train a student: alone, or one of the distillation schemes. */
export type Method = "scratch" | "one-step" | "joint" | "pkdgan";

/** Every method, in the order results show them. */
export const METHODS: readonly Method[] = ["scratch", "one-step", "joint", "pkdgan"];

/**
 * The two stages of each method, in order: the structure each trains with (stage 1 takes the
 * epochs of P-KDGAN's step 1, stage 2 those of its step 2, whatever the method).
 */
export const METHOD_STAGES: Record<Method, readonly [Structure | "alone", Structure | "alone"]> = {
  scratch: ["alone", "alone"],
  "one-step": ["kd-gan", "kd-gan"],
  joint: ["joint", "joint"],
  pkdgan: ["kd-gan", "joint"],
};

/** What P-KDGAN's stage 1 trains with (`--stage1`): K alone, or K plus the student's GAN losses. */
export type Stage1Structure = "kd" | "kd-gan";

/** Every {@linkcode Stage1Structure}, default first. */
export const STAGE1_STRUCTURES: readonly Stage1Structure[] = ["kd-gan", "kd"];

/**
 * What a stage of a distillation is called in progress lines: its step (1 or 2 of P-KDGAN's two,
 * which every method's stages follow) and what it trains with.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { stageLabel } from "./pkdgan.ts";
 * assertEquals(stageLabel(0, "kd-gan"), "step 1 (K + GAN, teacher frozen)");
 * assertEquals(stageLabel(1, "joint"), "step 2 (joint, teacher trained)");
 * assertEquals(stageLabel(1, "alone"), "step 2 (alone)");
 * ```
 */
export function stageLabel(index: number, structure: Structure | "alone"): string {
  const what = {
    alone: "alone",
    kd: "K alone, teacher frozen",
    "kd-gan": "K + GAN, teacher frozen",
    joint: "joint, teacher trained",
  }[structure];
  return `step ${index + 1} (${what})`;
}

/**
 * The two stages of `method` when P-KDGAN's stage 1 is `stage1` (only `pkdgan` changes).
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { methodStages } from "./pkdgan.ts";
 * assertEquals(methodStages("pkdgan", "kd"), ["kd", "joint"]);
 * assertEquals(methodStages("one-step", "kd"), ["kd-gan", "kd-gan"]);
 * ```
 */
export function methodStages(
  method: Method,
  stage1: Stage1Structure = "kd-gan",
): readonly [Structure | "alone", Structure | "alone"] {
  const stages = METHOD_STAGES[method];
  return method === "pkdgan" ? [stage1, stages[1]] : stages;
}

/** Settings shared by every stage of a distillation. */
export interface DistillOptions {
  /** Epochs of stage 1 and 2, P-KDGAN's step 1 and step 2 (every method gets both, so budgets
   * are equal). */
  epochs: { step1: number; step2: number };
  batchSize: number;
  seed: number;
  weights?: DistillationWeights;
  /** P-KDGAN's stage 1 structure (default `kd-gan`). */
  stage1?: Stage1Structure;
  /**
   * Called after each epoch on a copy of the student; returns the test AUC the epoch record keeps
   * as `auc` (a curve for the reference code's best-epoch protocol, never a selection), or that
   * AUC with more figures for the record (e.g. `perImageAuc`).
   */
  evaluate?: (student: AnomalyModel) => EpochEvaluation | Promise<EpochEvaluation>;
  /**
   * Keep a checkpoint here after each epoch (see `checkpoint.ts`) and continue from the one there
   * when there is one: a killed job resumes from its last finished epoch.
   */
  checkpointDir?: string;
  progress?: ProgressSink;
  /** Called after each epoch of each stage (after its checkpoint) with the student's record. */
  onEpoch?: (record: StudentEpochRecord) => void | Promise<void>;
}

/** What an epoch's evaluation gives: the test AUC, or it with more figures for the record. */
export type EpochEvaluation = number | { auc: number; [figure: string]: number };

/**
 * A student's epoch in a distillation: an {@link EpochRecord} of its model's losses (EDE-GAN:
 * `lossG`, `lossD`, `adversarial`, `contextual`, `latent` and `distillation`, K) and of the
 * evaluation's figures (`perImageAuc`), the stage (1-based) and its structure.
 */
export interface StudentEpochRecord {
  epoch: number;
  auc?: number;
  liveAuc?: number;
  seconds: number;
  imagesPerSecond: number;
  /** 1 or 2. */
  stage: number;
  /** The stage's {@link Structure}, or `alone`. */
  structure: string;
  /** Each loss by name, and each figure of the evaluation. */
  [field: string]: number | string | undefined;
}

/** What training one student by one method leaves. */
export interface DistillResult {
  history: StudentEpochRecord[];
  /** The teacher after the method (a fine-tuned copy for joint and pkdgan; else the teacher). */
  teacherChanged: boolean;
  seconds: number;
}

/**
 * Runs one stage: trains `student` (and, for `joint`, `teacher`) for `epochs` on `train`.
 * The teacher's own optimisers are only needed for `joint`.
 */
export async function distillStage(
  teacher: DistillableModel,
  student: DistillableModel,
  train: ImageSet,
  structure: Structure,
  opts: {
    epochs: number;
    batchSize: number;
    seed: number;
    weights?: DistillationWeights;
    studentOptimisers: Optimisers;
    teacherOptimisers?: Optimisers;
    projection: tf.Variable | null;
    progress?: ProgressSink;
    onEpoch?: (record: EpochRecord<Losses>) => void | Promise<void>;
    evaluate?: (student: AnomalyModel) => number | Promise<number>;
    /** Continue after this epoch and step of the stage (state restored by the caller). */
    startAt?: { epoch: number; step: number };
    /**
     * Keep a frozen teacher's outputs at batch size 1 ({@link FrozenTeacher}; default true): the
     * same bits as computing them every epoch, at the teacher's cost once.
     */
    keepTeacherOutputs?: boolean;
  },
): Promise<EpochRecord<Losses>[]> {
  const k = (t: DistilledOutputs, s: DistilledOutputs) =>
    distillationLoss(t, s, opts.weights, opts.projection as tf.Tensor2D | null).total;
  if (structure === "joint" && !opts.teacherOptimisers) {
    throw new Error("the joint structure needs the teacher's optimisers");
  }
  // The frozen teacher of kd and kd-gan: its passes by the kernels for fixed weights, and at batch
  // size 1 its outputs kept per image rather than recomputed every epoch (FrozenTeacher).
  const frozenTeacher = structure === "joint"
    ? undefined
    : new FrozenTeacher(teacher, train.count, {
      keep: opts.batchSize === 1 && opts.keepTeacherOutputs !== false,
    });
  const step = async (
    images: tf.Tensor4D,
    studentOptimisers: Optimisers,
    context: StepContext,
  ) => {
    if (frozenTeacher) {
      const frozen = frozenTeacher.outputs(images, context.indices);
      try {
        return (await student.distillStep(images, studentOptimisers, {
          ownLosses: structure === "kd-gan",
          distillationLoss: (out) => k(frozen, out),
          context,
        })).losses;
      } finally {
        tf.dispose([frozen.z, frozen.xHat, frozen.zHat]);
      }
    }
    // Joint: the teacher learns against the student's outputs of this step, then the student
    // against the teacher's outputs computed before the teacher's update.
    const studentNow = keptOutputs(student, images, "train");
    student.discardBatchStats();
    let teacherNow: DistilledOutputs | undefined;
    try {
      // Only the student's collapsed discriminator is re-initialised (`context`), never the
      // teacher's.
      teacherNow = (await teacher.distillStep(images, opts.teacherOptimisers!, {
        distillationLoss: (out) => k(out, studentNow),
        keepOutputs: true,
      })).outputs!;
      const frozen = teacherNow;
      return (await student.distillStep(images, studentOptimisers, {
        distillationLoss: (out) => k(frozen, out),
        context,
      })).losses;
    } finally {
      tf.dispose([studentNow.z, studentNow.xHat, studentNow.zHat]);
      if (teacherNow) tf.dispose([teacherNow.z, teacherNow.xHat, teacherNow.zHat]);
    }
  };
  const { history } = await fit(student, train, {
    epochs: opts.epochs,
    batchSize: opts.batchSize,
    seed: opts.seed,
    optimisers: opts.studentOptimisers,
    step,
    progress: opts.progress,
    progressLosses: { distillation: "K" },
    onEpoch: opts.onEpoch,
    evaluate: opts.evaluate,
    startAt: opts.startAt,
  });
  return history;
}

/**
 * Trains a student by one method against a trained teacher. The teacher passed in is never
 * changed: methods that fine-tune it (joint, pkdgan) work on a copy, disposed at the end.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { EdeGan } from "../models/ede_gan/mod.ts";
 * import { distillStudent } from "./pkdgan.ts";
 * // a small untrained teacher and 16 patterned 16x16 images keep the example quick
 * const teacher = EdeGan.create({ imageSize: 16, width: 4, latentSize: 8 }, 0);
 * const count = 16, pixels = new Uint8Array(count * 16 * 16).map((_, i) => (i * 37) % 256);
 * const labels = new Int32Array(count);
 * const train = { pixels, labels, count, height: 16, width: 16, channels: 1 };
 * const student = teacher.narrower({ width: 2 }, 1);
 * const result = await distillStudent(teacher, student, train, "pkdgan",
 *   { epochs: { step1: 1, step2: 1 }, batchSize: 8, seed: 1 });
 * assertEquals(result.history.map((r) => [r.stage, r.structure]), [[1, "kd-gan"], [2, "joint"]]);
 * assertEquals(result.teacherChanged, true); // its copy was; `teacher` itself never is
 * teacher.dispose();
 * student.dispose();
 * ```
 */
export async function distillStudent(
  teacher: DistillableModel,
  student: DistillableModel,
  train: ImageSet,
  method: Method,
  opts: DistillOptions,
): Promise<DistillResult> {
  const started = performance.now();
  const projection = method === "scratch" ? null : latentProjection(
    student.baseShape.latentSize,
    teacher.baseShape.latentSize,
    opts.seed + 17,
  );
  const studentOptimisers = student.createOptimisers(
    projection ? new Map([["projection", projection]]) : new Map(),
  );
  const stages = methodStages(method, opts.stage1);
  let copy: DistillableModel | undefined;
  let teacherOptimisers: Optimisers | undefined;
  // The teacher copy of the joint stage, made (from the teacher) when first needed.
  const teacherCopy = () => {
    if (!copy) {
      copy = teacher.clone();
      teacherOptimisers = copy.createOptimisers();
    }
    return { model: copy, optimisers: teacherOptimisers! };
  };
  let history: DistillResult["history"] = [];
  let resumed: DistillProgress<StudentEpochRecord> | null = null;
  let secondsBefore = 0;
  const stepsPerEpoch = Math.floor(train.count / opts.batchSize);
  try {
    if (opts.checkpointDir) {
      const parts = {
        student,
        studentOptimisers,
        projection,
        ...(await checkpointHasTeacher(opts.checkpointDir) ? { teacher: teacherCopy() } : {}),
      };
      resumed = await loadDistillCheckpoint<StudentEpochRecord>(opts.checkpointDir, parts);
      if (resumed) {
        history = resumed.history;
        secondsBefore = resumed.seconds;
      }
    }
    for (let i = 0; i < stages.length; i++) {
      const structure = stages[i];
      const epochs = i === 0 ? opts.epochs.step1 : opts.epochs.step2;
      if (epochs === 0) continue;
      // Where this stage starts: a stage the checkpoint finished is skipped.
      const done = !resumed || resumed.stage < i
        ? 0
        : resumed.stage > i
        ? epochs
        : resumed.epochInStage;
      if (done >= epochs) continue;
      const startAt = done > 0 ? { epoch: done, step: done * stepsPerEpoch } : undefined;
      const seed = opts.seed + 1000 * (i + 1);
      const progress = opts.progress && prefixedProgress(opts.progress, stageLabel(i, structure));
      // The evaluation's figures beyond the AUC, for this epoch's record (fit keeps the AUC).
      let figures: Record<string, number> = {};
      const evaluate = opts.evaluate && (async (model: AnomalyModel) => {
        const result = await opts.evaluate!(model);
        if (typeof result === "number") return result;
        const { auc, ...rest } = result;
        figures = rest;
        return auc;
      });
      const onEpoch = async (record: EpochRecord<Losses>) => {
        const full = { ...record, ...figures, stage: i + 1, structure };
        figures = {};
        history.push(full);
        if (opts.checkpointDir) {
          await saveDistillCheckpoint(
            opts.checkpointDir,
            { student, studentOptimisers, projection, ...(copy ? { teacher: teacherCopy() } : {}) },
            {
              stage: i,
              epochInStage: record.epoch,
              stepInStage: record.epoch * stepsPerEpoch,
              history,
              seconds: secondsBefore + (performance.now() - started) / 1000,
            },
          );
        }
        await opts.onEpoch?.(full);
      };
      if (structure === "alone") {
        await fit(student, train, {
          epochs,
          batchSize: opts.batchSize,
          seed,
          optimisers: studentOptimisers,
          progress,
          onEpoch,
          evaluate,
          startAt,
        });
        continue;
      }
      await distillStage(
        structure === "joint" ? teacherCopy().model : teacher,
        student,
        train,
        structure,
        {
          epochs,
          batchSize: opts.batchSize,
          seed,
          weights: opts.weights,
          studentOptimisers,
          teacherOptimisers: structure === "joint" ? teacherCopy().optimisers : undefined,
          projection,
          progress,
          onEpoch,
          evaluate,
          startAt,
        },
      );
    }
  } finally {
    for (const optimiser of Object.values(studentOptimisers)) optimiser.dispose();
    for (const optimiser of Object.values(teacherOptimisers ?? {})) optimiser.dispose();
    copy?.dispose();
    projection?.dispose();
  }
  return {
    history,
    teacherChanged: copy !== undefined,
    seconds: secondsBefore + (performance.now() - started) / 1000,
  };
}
