/**
 * The distillation loss linking a teacher T and a student S:
 *
 *   K = w_z1 ||z1_T - P z1_S||^2 + w_x ||x_hat_T - x_hat_S||_1 + w_z2 ||z2_T - P z2_S||^2
 *
 * (means over elements), where P is a learned linear projection from the student's latent to the
 * teacher's when their sizes differ (identity otherwise).
 *
 * Default weights 1 / 1 / 1: the latent terms carry the score (the student's score is its own
 * ||z1 - z2||^2, which equals the teacher's when both latents match), and the image term keeps the
 * student's decoder near the teacher's reconstructions; with tanh latents and images in [-1, 1]
 * the three terms have comparable scales (about 0.01 to 0.3 at the start of distillation).
 *
 * @module
 */

import * as tf from "../tf.ts";
import type { DistilledOutputs } from "../models/distillable.ts";
import { createRng, normal } from "../util/rng.ts";

/** The weights of K's three terms. */
export interface DistillationWeights {
  z1: number;
  x: number;
  z2: number;
}

/** The defaults (see the module's documentation for why). */
export const DEFAULT_DISTILLATION_WEIGHTS: Readonly<DistillationWeights> = Object.freeze({
  z1: 1,
  x: 1,
  z2: 1,
});

/**
 * A learned projection from the student's latent size to the teacher's, as one variable
 * [studentLatent, teacherLatent], initialised near a scaled identity; `null` when sizes agree.
 *
 * @example
 * ```ts
 * import * as tf from "../tf.ts";
 * import { latentProjection } from "./kd_loss.ts";
 * await tf.setBackend("cpu");
 * const p = latentProjection(16, 100, 1);
 * if (p?.shape.join() !== "16,100") throw new Error();
 * p.dispose();
 * ```
 */
export function latentProjection(
  studentLatent: number,
  teacherLatent: number,
  seed: number,
): tf.Variable | null {
  if (studentLatent === teacherLatent) return null;
  const rng = createRng(seed);
  const data = Float32Array.from(
    { length: studentLatent * teacherLatent },
    () => normal(rng) / Math.sqrt(studentLatent),
  );
  return tf.tidy(() => tf.variable(tf.tensor2d(data, [studentLatent, teacherLatent])));
}

/**
 * Parses `--kd-weights z1,x,z2`: three non-negative finite numbers, not all zero (e.g. `1,50,1`
 * puts the image term on the contextual loss's scale, the student's own image term weighing 50).
 *
 * @throws Error naming `--kd-weights`, the value and what was expected.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { parseKdWeights } from "./kd_loss.ts";
 * assertEquals(parseKdWeights("1,50,1"), { z1: 1, x: 50, z2: 1 });
 * ```
 */
export function parseKdWeights(text: string): DistillationWeights {
  const parts = text.split(",").map((p) => p.trim());
  const values = parts.map(Number);
  if (
    parts.length !== 3 || parts.some((p) => p === "") ||
    values.some((v) => !Number.isFinite(v) || v < 0) || values.every((v) => v === 0)
  ) {
    throw new Error(
      `--kd-weights: '${text}' is not three non-negative weights z1,x,z2 (not all zero) of K's ` +
        "latent, image and reconstructed-latent terms, e.g. --kd-weights 1,1,1 or 1,50,1",
    );
  }
  return { z1: values[0], x: values[1], z2: values[2] };
}

/** K and its three (weighted) terms. */
export interface DistillationTerms {
  total: tf.Scalar;
  z1: tf.Scalar;
  x: tf.Scalar;
  z2: tf.Scalar;
}

/**
 * The distillation loss between teacher and student outputs on the same images.
 *
 * @example
 * ```ts
 * import * as tf from "../tf.ts";
 * import { distillationLoss } from "./kd_loss.ts";
 * await tf.setBackend("cpu");
 * const out = { z: tf.ones([1, 4]) as tf.Tensor2D, xHat: tf.zeros([1, 8, 8, 1]) as tf.Tensor4D,
 *   zHat: tf.ones([1, 4]) as tf.Tensor2D };
 * const k = distillationLoss(out, out).total.dataSync()[0];
 * if (k !== 0) throw new Error("a copy has zero loss");
 * ```
 */
export function distillationLoss(
  teacher: DistilledOutputs,
  student: DistilledOutputs,
  weights: DistillationWeights = DEFAULT_DISTILLATION_WEIGHTS,
  projection: tf.Tensor2D | null = null,
): DistillationTerms {
  const project = (z: tf.Tensor2D) => (projection ? tf.matMul(z, projection) : z);
  const z1 = tf.mul(
    tf.mean(tf.squaredDifference(teacher.z, project(student.z))),
    weights.z1,
  ) as tf.Scalar;
  const x = tf.mul(tf.mean(tf.abs(tf.sub(teacher.xHat, student.xHat))), weights.x) as tf.Scalar;
  const z2 = tf.mul(
    tf.mean(tf.squaredDifference(teacher.zHat, project(student.zHat))),
    weights.z2,
  ) as tf.Scalar;
  return { total: tf.addN([z1, x, z2]) as tf.Scalar, z1, x, z2 };
}
