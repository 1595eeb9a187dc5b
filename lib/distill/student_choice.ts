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
 * How far (as a factor either way) the ratio a student reaches may be from the ratio asked before
 * the distillation warns, and before it refuses: 10 % (widths are whole numbers; the papers'
 * ratios resolve within it against the width-64 teacher) and a factor of 2.
 */
export const RATIO_TOLERANCE = { warn: 1.1, refuse: 2 } as const;

/** A student choice resolved against its teacher. */
export interface ResolvedStudent {
  width: number;
  latentSize: number;
  /** A ratio reached off by more than {@link RATIO_TOLERANCE}`.warn`, in words (not an error). */
  warning?: string;
}

/**
 * The width and latent size of a student choice for this teacher; `latentSize` falls back to
 * `defaultLatent`, then to the teacher's. A ratio picks the student of
 * {@linkcode studentForRatio} under `latentRule` (`--student-latent`: `keep` fixes the teacher's
 * latent size and finds the width); when the ratio it reaches is off by more than 10 % the result
 * carries a `warning` naming it, and when no student comes within a factor of 2 (`--students
 * 100000:1`, or 311:1 of a width-8 teacher) the choice is refused. Errors name `--students` and
 * the teacher's width and MFLOPs: a student that is not smaller than its teacher (wider, or as
 * costly: `--students 128` of a width-64 teacher), and a latent size above the teacher's.
 *
 * @example
 * ```ts
 * import { assertEquals, assertThrows } from "@std/assert";
 * import { resolveStudentChoice } from "./student_choice.ts";
 * import { narrowerCosts, resolveConfig } from "../models/ede_gan/mod.ts";
 * const teacher = narrowerCosts(resolveConfig({ width: 64 })); // or the teacher model itself
 * assertEquals(resolveStudentChoice(teacher, { ratio: 24.45 }), { width: 12, latentSize: 100 });
 * assertThrows(() => resolveStudentChoice(teacher, 128), Error, "wider than the teacher (width 64");
 * assertThrows(() => resolveStudentChoice(teacher, { ratio: 100000 }), Error, "within a factor");
 * const kept = resolveStudentChoice(teacher, { ratio: 700 }, undefined, "keep");
 * assertEquals([kept.width, kept.warning?.includes("at 466.85:1")], [2, true]);
 * ```
 */
export function resolveStudentChoice(
  teacher: NarrowerCosts,
  choice: StudentChoice,
  defaultLatent?: number,
  latentRule: StudentLatentRule = "shrink",
): ResolvedStudent {
  const { width: teacherWidth, latentSize: teacherLatent } = teacher.baseShape;
  const teacherCost = teacher.cost();
  const flag = `--students ${studentChoiceText(choice) ?? JSON.stringify(choice)}`;
  const ofTeacher = `the teacher (width ${teacherWidth}, latent ${teacherLatent}, ` +
    `${round3(teacherCost.mflops)} MFLOPs)`;
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
  if (resolved.width > teacherWidth) {
    throw new Error(
      `${flag}: a student of width ${resolved.width} is wider than ${ofTeacher}; expected a ` +
        `width below ${teacherWidth}, or a compression ratio (e.g. 24.45:1)`,
    );
  }
  const cost = teacher.costOf(resolved);
  if (!(cost.macs < teacherCost.macs)) {
    throw new Error(
      `${flag}: the student w${resolved.width}-l${resolved.latentSize} (${round3(cost.mflops)} ` +
        `MFLOPs) is not smaller than ${ofTeacher}; expected a student smaller than its teacher`,
    );
  }
  const size = { width: resolved.width, latentSize: resolved.latentSize };
  if (typeof choice !== "object" || !("ratio" in choice)) return size;
  const reached = teacherCost.macs / cost.macs;
  const factor = Math.max(reached / choice.ratio, choice.ratio / reached);
  const student = `w${size.width}-l${size.latentSize} at ${round2(reached)}:1`;
  const rule = `--student-latent ${latentRule}`;
  if (factor > RATIO_TOLERANCE.refuse) {
    throw new Error(
      `${flag}: no student of ${ofTeacher} comes within a factor of ${RATIO_TOLERANCE.refuse} ` +
        `of ${choice.ratio}:1 (${rule}); the nearest is ${student}; expected a ratio the ` +
        "teacher's students reach, or a wider teacher",
    );
  }
  if (factor > RATIO_TOLERANCE.warn) {
    const percent = Math.round(Math.abs(reached / choice.ratio - 1) * 100);
    return {
      ...size,
      warning: `${flag}: the nearest student of ${ofTeacher} is ${student}, ${percent}% ` +
        `${reached < choice.ratio ? "below" : "above"} the ratio asked (${rule}` +
        (latentRule === "keep" ? ": the width alone is chosen" : "") +
        "); it is trained, and results name the ratio reached",
    };
  }
  return size;
}

const round2 = (x: number) => Math.round(x * 100) / 100;
const round3 = (x: number) => Math.round(x * 1000) / 1000;

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
