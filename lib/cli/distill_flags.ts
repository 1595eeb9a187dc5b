/**
 * `deno task distill`'s command line, before any backend starts or any folder is made: its flags
 * and defaults (the preset's sizes), every value parsed (`--students`, `--methods`,
 * `--distill-epochs`, `--kd-weights`, `--bn-stats`, `--ema`), and `--normal` checked against the
 * dataset's classes. The task and the campaign runner (`deno task sweep --spec`, which checks
 * every job's flags before any job starts) read a command line the same way, here.
 *
 * @module
 */

import { type ParsedFlags, parseFlags } from "./flags.ts";
import { parseDistillEpochs } from "./run_flags.ts";
import { preset, presetFromArgs, type PresetName } from "../run/presets.ts";
import { checkNormalClass } from "../data/registry.ts";
import { namingFlags } from "../data/options.ts";
import type { DatasetName } from "../data/types.ts";
import { parseStudentChoices, type StudentChoice } from "../distill/student_choice.ts";
import { type Method, METHODS } from "../distill/pkdgan.ts";
import { type DistillationWeights, parseKdWeights } from "../distill/kd_loss.ts";
import { checkFinalBatchNorm } from "../models/ede_gan/final_batch_norm.ts";
import { type EmaOption, parseEmaOption } from "../train/ema.ts";

/** What a `deno task distill` command line asks for, checked. */
export interface DistillCommand {
  /** The parsed flags (preset defaults filled in). */
  flags: ParsedFlags;
  /** `--preset`. */
  presetName: PresetName;
  /** The run folder (`--out`, or a default from the dataset, class and seed). */
  out: string;
  students: StudentChoice[];
  methods: Method[];
  distillEpochs: { step1: number; step2: number };
  weights: DistillationWeights;
  /** `--bn-stats` when given (the default depends on the batch size: auto at 1, else moving). */
  bnStats?: string;
  /** `--ema` of a teacher trained here (undefined: off). */
  ema?: EmaOption;
}

const DESCRIPTION =
  "Distil an EDE-GAN teacher into small students (P-KDGAN) and compare with scratch and one-step KD.\n" +
  "The teacher: the shipped one of the dataset and class when one matches (--teacher shipped, the\n" +
  "default), --model RUN's, or one trained here (--teacher train, or no shipped teacher matches);\n" +
  "--teacher-width and --epochs size a teacher trained here (given, they also pick the shipped one).\n" +
  "--students must be smaller than the teacher; a ratio off by over 10% warns, naming the ratio\n" +
  "reached, and one no student of the teacher comes within a factor of 2 of is refused.\n" +
  "--bn-stats (the students' final scoring) defaults to auto at batch size 1, else moving; the\n" +
  "design flags (--student-latent, --kd-weights, --stage1, --bn-stats, --distill-epochs,\n" +
  "--batch-size) are recorded in run.json and each job file, and a rerun into --out with other\n" +
  "values is refused. A killed student job resumes from its last finished epoch.";

/** The flags whose vocabulary help would mislead here: they size a teacher trained here. */
const HELP: Record<string, string> = {
  "teacher-width": "width of a teacher trained here (--teacher train, or no shipped teacher " +
    "matches); given, only a shipped teacher of this width is taken",
  "epochs": "training epochs of a teacher trained here (--teacher train, or no shipped teacher " +
    "matches); given, only a shipped teacher of this many epochs is taken",
  "ema": "the weight average of a teacher trained here (decay, auto or off); given, only a " +
    "shipped teacher with it is taken",
};

/**
 * Reads `deno task distill`'s arguments: unknown flags, bad values, `--students`, `--methods`,
 * `--distill-epochs`, `--kd-weights`, `--bn-stats`, `--ema` and a `--normal` outside the
 * dataset's classes are errors naming the flag. Returns `null` after printing the help for
 * `--help`. Touches no file and starts no backend.
 *
 * @example
 * ```ts
 * import { assertEquals, assertThrows } from "@std/assert";
 * import { parseDistillCommand } from "./distill_flags.ts";
 * const command = parseDistillCommand(["--normal", "3", "--students", "8,311:1"])!;
 * assertEquals([command.out, command.students], ["runs/distill-mnist-3-s0", [8, { ratio: 311 }]]);
 * assertThrows(() => parseDistillCommand(["--normal", "11"]), Error,
 *   "--normal: class index 11 out of range, expected an integer 0..9");
 * ```
 */
export function parseDistillCommand(args: string[]): DistillCommand | null {
  const presetName = presetFromArgs(args);
  const p = preset(presetName);
  const flags = parseFlags(
    "distill",
    args,
    {
      dataset: "mnist",
      "data-dir": undefined,
      normal: 2,
      protocol: "one-class",
      "teacher-width": p.teacherWidth,
      students: p.students.join(","),
      methods: "scratch,one-step,pkdgan",
      "student-latent": "shrink",
      "kd-weights": "1,1,1",
      stage1: "kd-gan",
      "bn-stats": undefined,
      init: "random",
      epochs: p.epochs,
      "distill-epochs": `${p.distillEpochs.step1},${p.distillEpochs.step2}`,
      "batch-size": p.batchSize,
      seed: 0,
      latent: "tanh",
      limit: p.limit,
      "test-limit": p.testLimit,
      model: undefined,
      teacher: "shipped",
      backend: "auto",
      threads: undefined,
      out: undefined,
      preset: presetName,
      report: true,
      ema: p.ema ?? "off",
    },
    DESCRIPTION,
    [],
    HELP,
  );
  if (flags === null) return null;
  // The class first: before a teacher is looked for, a backend starts or a folder is made.
  try {
    checkNormalClass(flags.dataset as DatasetName, flags.normal as number);
  } catch (error) {
    throw namingFlags(error as Error);
  }
  const students = parseStudentChoices(String(flags.students));
  const methods = String(flags.methods).split(",").map((m) => {
    if (!(METHODS as readonly string[]).includes(m)) {
      throw new Error(`--methods: '${m}' is not one of ${METHODS.join(", ")}`);
    }
    return m as Method;
  });
  const distillEpochs = parseDistillEpochs(String(flags["distill-epochs"]));
  const weights = parseKdWeights(String(flags["kd-weights"]));
  // Default: auto (chosen on the validation normals) at batch 1, moving otherwise (as train's).
  const bnStats = flags["bn-stats"] === undefined
    ? undefined
    : checkFinalBatchNorm(String(flags["bn-stats"]));
  const ema = parseEmaOption(flags.ema as string);
  const out = (flags.out as string | undefined) ??
    `runs/distill-${flags.dataset}-${flags.normal}-s${flags.seed}`;
  return {
    flags,
    presetName,
    out,
    students,
    methods,
    distillEpochs,
    weights,
    ...(bnStats !== undefined ? { bnStats } : {}),
    ...(ema !== undefined ? { ema } : {}),
  };
}

/**
 * Checks a `deno task distill` command line as far as it can be without its data or teacher:
 * everything {@link parseDistillCommand} checks. Throws the error the task would throw, naming
 * the flag.
 *
 * @example
 * ```ts
 * import { assertThrows } from "@std/assert";
 * import { checkDistillCommand } from "./distill_flags.ts";
 * checkDistillCommand(["--students", "24.45:1", "--methods", "pkdgan"]);
 * assertThrows(() => checkDistillCommand(["--methods", "kd"]), Error,
 *   "--methods: 'kd' is not one of");
 * ```
 */
export function checkDistillCommand(args: string[]): void {
  parseDistillCommand(args.filter((a) => a !== "--help"));
}
