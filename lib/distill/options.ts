/**
 * The options of a distillation experiment (`deno task distill`), apart from the job loop of
 * `./experiment.ts` so that the teacher's preparation (`./teacher.ts`) reads them without an import
 * circle.
 *
 * @module
 */

import type { EmaOption } from "../train/ema.ts";
import type { DatasetName, OneClassSplit, Protocol } from "../data/types.ts";
import type { ProgressSink } from "../util/progress.ts";
import type { DistillationWeights } from "./kd_loss.ts";
import type { Method, Stage1Structure } from "./pkdgan.ts";
import type { StudentLatentRule } from "./students.ts";
import type { StudentChoice } from "./student_choice.ts";

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
    /** Its latent constraint, a model setting (EDE-GAN: `tanh`, the default, or `none`). */
    latent?: string;
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
  /**
   * `--student-latent`: how a student named by a ratio gets its latent size, `shrink` (default)
   * or `keep` (the teacher's, the width found for the ratio).
   */
  latentRule?: StudentLatentRule;
  /** `--stage1`: P-KDGAN's stage 1 structure, `kd-gan` (default) or `kd` (K alone). */
  stage1?: Stage1Structure;
  /**
   * `--bn-stats`: BatchNorm statistics the students' final test AUC uses, a value the model's
   * final scoring takes (`lib/models/registry.ts`; EDE-GAN: `auto`, chosen on the validation
   * normals, the default at batch size 1, `moving` otherwise, `recomputed`, `per-image`), as
   * `deno task train`'s.
   */
  bnStats?: string;
  epochs: { step1: number; step2: number };
  batchSize: number;
  methods?: Method[];
  /** `random` (default) or `teacher` (slice the teacher's channels); both runs both. */
  inits?: ("random" | "teacher")[];
  /** `--kd-weights`: the weights of K's three terms (default 1, 1, 1). */
  weights?: DistillationWeights;
  /** Output folder (required: results and per-job files go there). */
  out: string;
  backend?: { name: string; device?: string; skipped?: string[] };
  progress?: (label: string) => ProgressSink;
  log?: (line: string) => void;
  data?: OneClassSplit;
}
