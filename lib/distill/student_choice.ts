/**
 * How a distillation names its students: by width (`8`), by width and latent size (`3x32`), or by
 * the compression ratio the papers quote (`311:1`), which is resolved against the teacher once
 * it is known (a loaded teacher's width may differ from the flags'). Ratios are teacher FLOPs over
 * student FLOPs of the generator, as in P-KDGAN (Zhang et al., IJCAI 2020, Table 1) and its
 * extension (arXiv 2109.07295): 24.45:1, 311.11:1 and 700:1.
 *
 * @module
 */

import type { NarrowerCosts } from "../models/mod.ts";
import { studentForRatio, type StudentLatentRule } from "./students.ts";

/** A student as asked for: a width, a width and latent size, or a compression ratio. */
export type StudentChoice = number | { width: number; latentSize?: number } | { ratio: number };

/**
 * Parses `--students`: comma-separated `W` (width, the teacher's latent size), `WxL` (width and
 * latent size) or `R:1` (the student whose compression ratio is closest to R). Errors name
 * `--students` and the part.
 *
 * @example
 * ```ts
 * import { parseStudentChoices } from "./student_choice.ts";
 * const c = parseStudentChoices("12,3x32,700:1");
 * if (JSON.stringify(c) !== '[12,{"width":3,"latentSize":32},{"ratio":700}]') throw new Error();
 * ```
 */
export function parseStudentChoices(text: string): StudentChoice[] {
  const positive = (s: string) => /^[0-9]+$/.test(s) && Number(s) >= 1;
  return text.split(",").map((raw) => {
    const part = raw.trim();
    const ratio = /^([0-9]+(?:\.[0-9]+)?):1$/.exec(part);
    if (ratio && Number(ratio[1]) > 1) return { ratio: Number(ratio[1]) };
    const sized = /^([0-9]+)x([0-9]+)$/.exec(part);
    if (sized && positive(sized[1]) && positive(sized[2])) {
      return { width: Number(sized[1]), latentSize: Number(sized[2]) };
    }
    if (positive(part)) return Number(part);
    throw new Error(
      `--students: '${raw}' is not a width (8), a width and latent size (3x32) or a compression ` +
        `ratio above 1 (311:1), e.g. --students 24:1,311:1,700:1`,
    );
  });
}

/**
 * The width and latent size of a student choice for this teacher; `latentSize` falls back to
 * `defaultLatent`, then to the teacher's. A ratio picks the student of
 * {@linkcode studentForRatio} under `latentRule` (`--student-latent`: `keep` fixes the teacher's
 * latent size and finds the width). Throws when the latent size exceeds the teacher's.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { resolveStudentChoice } from "./student_choice.ts";
 * import { narrowerCosts, resolveConfig } from "../models/ede_gan/mod.ts";
 * const teacher = narrowerCosts(resolveConfig({ width: 64 })); // or the teacher model itself
 * assertEquals(resolveStudentChoice(teacher, { ratio: 24.45 }), { width: 12, latentSize: 100 });
 * ```
 */
export function resolveStudentChoice(
  teacher: NarrowerCosts,
  choice: StudentChoice,
  defaultLatent?: number,
  latentRule: StudentLatentRule = "shrink",
): { width: number; latentSize: number } {
  const teacherLatent = teacher.baseShape.latentSize;
  const resolved = typeof choice === "number"
    ? { width: choice, latentSize: defaultLatent ?? teacherLatent }
    : "ratio" in choice
    ? studentForRatio(teacher, choice.ratio, latentRule)
    : { width: choice.width, latentSize: choice.latentSize ?? defaultLatent ?? teacherLatent };
  if (resolved.latentSize > teacherLatent) {
    throw new Error(
      `--students: latent size ${resolved.latentSize} exceeds the teacher's ${teacherLatent}`,
    );
  }
  return { width: resolved.width, latentSize: resolved.latentSize };
}

/**
 * A student choice as `--students` writes it (`12`, `3x32`, `311.11:1`), or `null` when `value`
 * is not one (a `run.json` read back: {@linkcode StudentChoice} as JSON).
 *
 * @example
 * ```ts
 * import { studentChoiceText } from "./student_choice.ts";
 * const texts = [12, { width: 3, latentSize: 32 }, { ratio: 311.11 }, "x"].map(studentChoiceText);
 * if (texts.join() !== "12,3x32,311.11:1,") throw new Error(texts.join());
 * ```
 */
export function studentChoiceText(value: unknown): string | null {
  if (typeof value === "number" && Number.isInteger(value) && value >= 1) return String(value);
  if (typeof value !== "object" || value === null) return null;
  const v = value as Record<string, unknown>;
  if (typeof v.ratio === "number") return `${v.ratio}:1`;
  if (typeof v.width === "number") {
    return typeof v.latentSize === "number" ? `${v.width}x${v.latentSize}` : String(v.width);
  }
  return null;
}
