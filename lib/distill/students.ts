/**
 * Students: EDE-GANs with smaller widths (and optionally a smaller latent or explicit widths),
 * chosen from a list of widths or from target compression ratios, and optionally initialised from
 * the teacher by slicing its channels.
 *
 * @module
 */

import * as tf from "../tf.ts";
import {
  compressionRatio,
  type EdeGanConfig,
  modelCost,
  resolveConfig,
} from "../models/ede_gan/mod.ts";
import type { DistillableModel } from "../models/mod.ts";

/** The paper's compression ratios (teacher FLOPs / student FLOPs). */
export const PAPER_RATIOS: readonly number[] = [24.45, 311.11, 700];

/**
 * A student's configuration: the teacher's, with another width (and optionally latent size).
 *
 * @example
 * ```ts
 * import { studentConfig } from "./students.ts";
 * import { resolveConfig } from "../models/ede_gan/mod.ts";
 * const s = studentConfig(resolveConfig(), { width: 8 });
 * if (s.width !== 8 || s.latentSize !== 100) throw new Error();
 * ```
 */
export function studentConfig(
  teacher: EdeGanConfig,
  size: { width: number; latentSize?: number; widths?: number[] },
): EdeGanConfig {
  const { widths: _drop, ...rest } = teacher;
  return resolveConfig({
    ...rest,
    width: size.width,
    latentSize: size.latentSize ?? teacher.latentSize,
    ...(size.widths ? { widths: size.widths } : {}),
  });
}

/** A student size with its cost and ratio. */
export interface StudentSize {
  width: number;
  latentSize: number;
  params: number;
  mflops: number;
  ratio: number;
}

/**
 * Costs and ratios of students of the given widths.
 *
 * @example
 * ```ts
 * import { studentSizes } from "./students.ts";
 * import { resolveConfig } from "../models/ede_gan/mod.ts";
 * const [s] = studentSizes(resolveConfig(), [12]);
 * if (Math.abs(s.ratio - 24.4) > 0.1) throw new Error("width 12 is the paper's 24:1");
 * ```
 */
export function studentSizes(
  teacher: EdeGanConfig,
  widths: number[],
  latentSize?: number,
): StudentSize[] {
  return widths.map((width) => {
    const config = studentConfig(teacher, { width, latentSize });
    const cost = modelCost(config);
    return {
      width,
      latentSize: config.latentSize,
      params: cost.generator.params,
      mflops: cost.generatorMflops,
      ratio: compressionRatio(teacher, config),
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
 * closest to `ratio`. Widths alone reach about 470:1 for the 32x32 teacher; beyond that the latent
 * shrinks too (the paper's 700:1), unless `latent` is `keep` (the width alone then gets as close
 * as it can: at 700:1 the narrowest student, width 1).
 *
 * @example
 * ```ts
 * import { studentForRatio } from "./students.ts";
 * import { resolveConfig } from "../models/ede_gan/mod.ts";
 * const s = studentForRatio(resolveConfig(), 700);
 * if (s.ratio < 500) throw new Error();
 * ```
 */
export function studentForRatio(
  teacher: EdeGanConfig,
  ratio: number,
  latent: StudentLatentRule = "shrink",
): StudentSize {
  let best: StudentSize | undefined;
  const latents = latent === "keep"
    ? [teacher.latentSize]
    : [teacher.latentSize, 64, 50, 32, 16, 8].filter((l) => l <= teacher.latentSize);
  for (let width = 1; width <= teacher.width; width++) {
    for (const latentSize of latents) {
      const [size] = studentSizes(teacher, [width], latentSize);
      const gap = Math.abs(Math.log(size.ratio / ratio));
      // Prefer the teacher's latent size when it fits about as well (within 5%).
      if (!best || gap < Math.abs(Math.log(best.ratio / ratio)) - 0.05) best = size;
    }
  }
  return best!;
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
