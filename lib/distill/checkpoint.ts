/**
 * A distillation job's checkpoint, kept after every epoch so that a killed student job resumes
 * mid-job as `deno task train --resume` does: one folder, replaced atomically as a whole, holding
 * `student/` (the student's weights, its optimisers' moments and `trainer.json` with the stage,
 * the epoch within it, the history so far and the latent projection's values) and, once a joint
 * stage has begun, `teacher/` (the fine-tuned copy of the teacher with its optimisers).
 *
 * @module
 */

import { join } from "@std/path";
import * as tf from "../tf.ts";
import type { DistillableModel, Optimisers } from "../models/mod.ts";
import { loadModel, loadTrainingState, saveModel } from "../train/checkpoint.ts";
import { exists, recoverFolder, replaceFolderAtomic } from "../util/atomic.ts";

/** Where a distillation job stands after a finished epoch. */
export interface DistillProgress<R = unknown> {
  /** The stage (0-based index into the method's stages) the epoch belongs to. */
  stage: number;
  /** Epochs of that stage finished. */
  epochInStage: number;
  /** Optimiser steps of that stage done. */
  stepInStage: number;
  /** Every epoch record so far, all stages. */
  history: R[];
  /** Seconds of training spent so far, over every run of the job. */
  seconds: number;
}

/** What the checkpoint holds: the student side, and the teacher copy while it is fine-tuned. */
export interface DistillCheckpointParts {
  student: DistillableModel;
  studentOptimisers: Optimisers;
  projection: tf.Variable | null;
  teacher?: { model: DistillableModel; optimisers: Optimisers };
}

/**
 * Writes the checkpoint to `dir`, replacing the previous one atomically (a kill while writing
 * leaves the previous epoch's checkpoint whole).
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import * as tf from "../tf.ts";
 * import { createOptimisers, EdeGan } from "../models/ede_gan/mod.ts";
 * import { loadDistillCheckpoint, saveDistillCheckpoint } from "./checkpoint.ts";
 * await tf.setBackend("cpu");
 * const dir = `${await Deno.makeTempDir()}/job.checkpoint`;
 * const student = EdeGan.create({ width: 2, latentSize: 4 }, 1);
 * const parts = { student, studentOptimisers: createOptimisers(student), projection: null };
 * const progress = { stage: 0, epochInStage: 1, stepInStage: 3, history: [{ epoch: 1 }], seconds: 2 };
 * await saveDistillCheckpoint(dir, parts, progress);
 * assertEquals(await loadDistillCheckpoint(dir, parts), progress);
 * student.dispose();
 * ```
 */
export async function saveDistillCheckpoint(
  dir: string,
  parts: DistillCheckpointParts,
  progress: DistillProgress,
): Promise<void> {
  const projection = parts.projection ? Array.from(await parts.projection.data()) : null;
  await replaceFolderAtomic(dir, async (tmp) => {
    await saveModel(join(tmp, "student"), parts.student, {
      optimisers: { ...parts.studentOptimisers },
      trainer: {
        epoch: progress.epochInStage,
        step: progress.stepInStage,
        extra: {
          stage: progress.stage,
          history: progress.history,
          seconds: progress.seconds,
          projection,
        },
      },
    });
    if (parts.teacher) {
      await saveModel(join(tmp, "teacher"), parts.teacher.model, {
        optimisers: { ...parts.teacher.optimisers },
        trainer: { epoch: progress.epochInStage, step: progress.stepInStage, extra: {} },
      });
    }
  });
}

/** Whether `dir` holds a teacher copy (the job had begun a joint stage). */
export async function checkpointHasTeacher(dir: string): Promise<boolean> {
  await recoverFolder(dir);
  return await exists(join(dir, "teacher", "model.json"));
}

/**
 * Restores the checkpoint in `dir` into `parts` (weights, optimiser moments, projection and,
 * when given and saved, the teacher copy); returns where the job stood, or `null` when `dir`
 * holds no checkpoint. A damaged checkpoint, or one of another student (other shapes), is an
 * error naming `dir`, what is wrong and the way out (delete it: the job then starts over).
 */
export async function loadDistillCheckpoint<R = unknown>(
  dir: string,
  parts: DistillCheckpointParts,
): Promise<DistillProgress<R> | null> {
  await recoverFolder(dir);
  if (!await exists(join(dir, "student", "trainer.json"))) return null;
  try {
    return await restoreCheckpoint<R>(dir, parts);
  } catch (error) {
    throw new Error(
      `${dir}: damaged or not this job's checkpoint (${(error as Error).message}); delete that ` +
        "folder to train this student job again from its first epoch",
      { cause: error },
    );
  }
}

async function restoreCheckpoint<R>(
  dir: string,
  parts: DistillCheckpointParts,
): Promise<DistillProgress<R> | null> {
  await restoreInto(parts.student, join(dir, "student"));
  const state = await loadTrainingState(join(dir, "student"), { ...parts.studentOptimisers });
  if (!state) return null;
  const extra = state.extra as {
    stage: number;
    history: R[];
    seconds: number;
    projection: number[] | null;
  };
  if (Boolean(extra.projection) !== Boolean(parts.projection)) {
    throw new Error(`${dir}: the checkpoint's latent projection does not match this student`);
  }
  if (parts.projection && extra.projection) {
    if (extra.projection.length !== parts.projection.size) {
      throw new Error(`${dir}: the checkpoint's latent projection has another size`);
    }
    const values = tf.tensor(extra.projection, parts.projection.shape);
    parts.projection.assign(values);
    values.dispose();
  }
  if (parts.teacher && await exists(join(dir, "teacher", "model.json"))) {
    await restoreInto(parts.teacher.model, join(dir, "teacher"));
    await loadTrainingState(join(dir, "teacher"), { ...parts.teacher.optimisers });
  }
  return {
    stage: extra.stage,
    epochInStage: state.epoch,
    stepInStage: state.step,
    history: extra.history,
    seconds: extra.seconds,
  };
}

/** Assigns `model` the weights saved in `dir`, which must be a model of the same shapes. */
async function restoreInto(model: DistillableModel, dir: string): Promise<void> {
  const saved = (await loadModel(dir, { weights: "live" })).model;
  try {
    for (const [key, v] of model.variables) {
      const value = saved.variables.get(key);
      if (!value || value.shape.join() !== v.shape.join()) {
        throw new Error(`${dir}: the checkpoint differs from this model at '${key}'`);
      }
      v.assign(value);
    }
  } finally {
    saved.dispose();
  }
}
