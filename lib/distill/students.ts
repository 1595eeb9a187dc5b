/**
 * Students: narrower copies of the teacher (a smaller width, and optionally a smaller latent),
 * chosen from a list of widths or from target compression ratios, and optionally initialised from
 * the teacher by slicing its channels. Typed on what a teacher gives ({@link NarrowerCosts}, a
 * {@link DistillableModel}), not on any model's configuration.
 *
 * @module
 */

import * as tf from "../tf.ts";
import type { DistillableModel, NarrowerCosts } from "../models/mod.ts";

/** The paper's compression ratios (teacher FLOPs / student FLOPs). */
export const PAPER_RATIOS: readonly number[] = [24.45, 311.11, 700];

/** A student size with its cost and ratio. */
export interface StudentSize {
  width: number;
  latentSize: number;
  params: number;
  mflops: number;
  ratio: number;
}

/**
 * Costs and ratios (teacher MACs / student MACs along the scoring path) of students of the given
 * widths and latent size (default: the teacher's).
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { studentSizes } from "./students.ts";
 * import { narrowerCosts, resolveConfig } from "../models/ede_gan/mod.ts";
 * const [s] = studentSizes(narrowerCosts(resolveConfig()), [12]);
 * assertEquals(Math.round(s.ratio * 10) / 10, 24.4); // width 12 is the paper's 24:1
 * ```
 */
export function studentSizes(
  teacher: NarrowerCosts,
  widths: number[],
  latentSize?: number,
): StudentSize[] {
  const teacherMacs = teacher.cost().macs;
  return widths.map((width) => {
    const shape = { width, latentSize: latentSize ?? teacher.baseShape.latentSize };
    const cost = teacher.costOf(shape);
    return {
      width,
      latentSize: shape.latentSize,
      params: cost.params,
      mflops: cost.mflops,
      ratio: teacherMacs / cost.macs,
    };
  });
}

/**
 * How a student named by a ratio gets its latent size (`--student-latent`): `shrink` (default)
 * lets the latent shrink below the teacher's when that fits the ratio better, reaching K through a
 * learned projection; `keep` fixes it at the teacher's (K then compares z, x_hat and z_hat
 * directly, as the papers' loss implies) and finds the width alone.
 */
export type StudentLatentRule = "shrink" | "keep";

/** Every {@linkcode StudentLatentRule}, default first. */
export const STUDENT_LATENT_RULES: readonly StudentLatentRule[] = ["shrink", "keep"];

/**
 * The student (width, and the largest latent size up to the teacher's) whose compression ratio is
 * closest to `ratio`, among those smaller than the teacher (ratio above 1). Widths alone reach
 * about 470:1 for the 32x32 teacher; beyond that the latent shrinks too (the paper's 700:1),
 * unless `latent` is `keep` (the width alone then gets as close as it can: at 700:1 width 2,
 * 466.85:1). How far the ratio reached may be from the one asked is the caller's to judge
 * (`resolveStudentChoice` warns, or refuses).
 *
 * @throws {Error} when the teacher has no smaller student (width 1 at the smallest latent).
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { studentForRatio } from "./students.ts";
 * import { EdeGan } from "../models/ede_gan/mod.ts";
 * const teacher = EdeGan.create({}, 0); // a model, or narrowerCosts(config) without weights
 * const s = studentForRatio(teacher, 700);
 * assertEquals([s.width, s.latentSize, s.ratio > 500], [2, 16, true]);
 * teacher.dispose();
 * ```
 */
export function studentForRatio(
  teacher: NarrowerCosts,
  ratio: number,
  latent: StudentLatentRule = "shrink",
): StudentSize {
  let best: StudentSize | undefined;
  const { width: teacherWidth, latentSize: teacherLatent } = teacher.baseShape;
  const latents = latent === "keep"
    ? [teacherLatent]
    : [teacherLatent, 64, 50, 32, 16, 8].filter((l) => l <= teacherLatent);
  for (let width = 1; width <= teacherWidth; width++) {
    for (const latentSize of latents) {
      const [size] = studentSizes(teacher, [width], latentSize);
      // The teacher's own shape (ratio 1) is no student of it.
      if (!(size.ratio > 1)) continue;
      const gap = Math.abs(Math.log(size.ratio / ratio));
      // Prefer the teacher's latent size when it fits about as well (within 5%).
      if (!best || gap < Math.abs(Math.log(best.ratio / ratio)) - 0.05) best = size;
    }
  }
  if (!best) {
    throw new Error(
      `the teacher (width ${teacherWidth}, latent ${teacherLatent}) has no smaller student`,
    );
  }
  return best;
}

/**
 * Initialises a student from the teacher by slicing channels: each kernel keeps the teacher's
 * first input and output channels, each BatchNorm its first channels. Both must have the same image
 * size, channels and number of layers.
 *
 * @example
 * ```ts
 * import * as tf from "../tf.ts";
 * import { EdeGan } from "../models/ede_gan/mod.ts";
 * import { initialiseFromTeacher } from "./students.ts";
 * await tf.setBackend("cpu");
 * const t = EdeGan.create({ width: 8, latentSize: 8 }, 1);
 * const s = EdeGan.create({ width: 4, latentSize: 8 }, 2);
 * initialiseFromTeacher(s, t);
 * t.dispose(); s.dispose();
 * ```
 */
export function initialiseFromTeacher(
  student: DistillableModel,
  teacher: DistillableModel,
): void {
  tf.tidy(() => {
    for (const [key, variable] of student.variables) {
      const source = teacher.variables.get(key);
      if (source === undefined) throw new Error(`teacher has no tensor '${key}' to slice from`);
      if (source.rank !== variable.rank || source.shape.some((d, i) => d < variable.shape[i])) {
        throw new Error(
          `teacher tensor '${key}' [${source.shape}] cannot be sliced to [${variable.shape}]`,
        );
      }
      variable.assign(tf.slice(source, source.shape.map(() => 0), variable.shape));
    }
  });
}
