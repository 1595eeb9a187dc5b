/**
 * What a run directory holds, read into the report's views: `run.json` of a train run, of a
 * distillation or of a distilled student (through the one schema of lib/run/manifest.ts),
 * `results.json`, `teacher.json` and `jobs/*.json` of a distillation. Every reader checks the fields the report uses and, when one is
 * missing or of the wrong type, throws an error naming the file and the field
 * (`run.json: history[3].epoch: expected a finite number, got nothing`). The whole file is kept
 * in `raw` (shown as the manifest).
 *
 * @module
 */

import { join } from "@std/path";
import {
  type DistillResults,
  distillResultsFromFile,
  FieldReader,
  FileFieldError,
} from "../distill/results.ts";
import { exists } from "../util/atomic.ts";
import { readJson } from "../util/json.ts";
import {
  type DistillRunManifest,
  parseRunManifest,
  type RunManifest,
  type StudentRunManifest,
  type TrainRunManifest,
} from "../run/manifest.ts";
import { lockHolder, lockIsStale } from "../util/run_lock.ts";
import { studentChoiceText } from "../distill/student_choice.ts";

/** The data a run was trained and tested on, as its manifest records it. */
export interface DataSummary {
  dataset?: string;
  source?: string;
  protocol?: string;
  normalClass?: number;
  classNames?: string[];
  splitSeed?: number;
  counts?: { train?: number; val?: number; test?: number; testAnomalous?: number };
  limit?: number;
  testLimit?: number;
}

/** What every run manifest may hold. */
interface ManifestCommon {
  /** The file read. */
  path: string;
  /** The whole file, as parsed. */
  raw: Record<string, unknown>;
  status?: string;
  written?: string;
  seconds?: number;
  error?: string;
  backend?: { name: string; device?: string };
  edeganVersion?: string;
  data?: DataSummary;
}

/** One epoch of a training run's `history` (a type, not an interface: tables take it as a record). */
export type EpochRecord = {
  epoch: number;
  lossG?: number;
  lossD?: number;
  adversarial?: number;
  contextual?: number;
  latent?: number;
  /** Test ROC AUC after the epoch (absent when not evaluated). */
  auc?: number;
  seconds?: number;
  imagesPerSecond?: number;
};

/** One logged optimiser step of a training run's `steps`. */
export interface StepRecord {
  step: number;
  epoch: number;
  lossD?: number;
}

/** `run.json` of `deno task train`. */
export interface TrainManifest extends ManifestCommon {
  kind: "train";
  history: EpochRecord[];
  /** Where `history` and `steps` were read when not from `run.json` (a killed run's checkpoint). */
  historyFrom?: string;
  steps: StepRecord[];
  /** Test metrics of the last epoch, every field as written. */
  metrics?: Record<string, unknown>;
  /** Calibration on validation normals, every field as written. */
  calibration?: Record<string, unknown>;
  /** The decision threshold: the calibration's, else the metrics'. */
  threshold?: number;
  /** How the final metrics were scored (BatchNorm mode, what was asked, the moving-average AUC). */
  scoring?: { bnStats?: string; asked?: string; movingAuc?: number };
  config?: {
    width?: number;
    latentSize?: number;
    latent?: string;
    imageSize?: number;
    channels?: number;
    scoreDistance?: string;
  };
  training?: {
    epochs?: number;
    batchSize?: number;
    seed?: number;
    limit?: number;
    testLimit?: number;
  };
}

/** `run.json` of `deno task distill`. */
export interface DistillManifest extends ManifestCommon {
  kind: "distill";
  options?: {
    seed?: number;
    /** As `--students` writes them: `12`, `3x32`, `311.11:1`. */
    students?: string[];
    epochs?: { step1?: number; step2?: number };
    batchSize?: number;
    limit?: number;
    testLimit?: number;
  };
  /** The results as the finished run recorded them, unchecked: {@link readResults} reads them. */
  recordedResults?: unknown;
}

/**
 * How a distilled student was trained, as its `run.json` records it under `student`
 * (`StudentRunInfo` of lib/distill/student_run.ts); every field checked where present.
 */
export interface StudentRecord {
  /** The job's name in its distillation (`w3-l32-pkdgan`): `jobs/<job>.json` holds its history. */
  job?: string;
  /** `scratch` (trained alone), `one-step` (one-step KD), `joint` or `pkdgan` (P-KDGAN). */
  method?: string;
  /** `random`, or `teacher` (initialised from the teacher's weights). */
  init?: string;
  /** Teacher FLOPs / student FLOPs along the scoring path. */
  ratio?: number;
  /** Epochs of P-KDGAN's step 1 and step 2 (the two stages of every method). */
  epochs?: { step1?: number; step2?: number };
  /** The teacher: `shipped:NAME`, or the folder of the teacher's train run. */
  teacher?: string;
  /** False-positive rate of the threshold on the validation normals. */
  fpr?: number;
  /** The BatchNorm statistics its scores were computed with. */
  bnStats?: string;
}

/** `run.json` of a distilled student: a job folder of `deno task distill`, a shipped student. */
export interface StudentManifest extends ManifestCommon {
  kind: "student";
  student: StudentRecord;
  /** The model's registered name (`ede-gan`). */
  model?: string;
  config?: TrainManifest["config"];
  training: { batchSize: number; seed: number };
  /** Calibration on validation normals, every field as written. */
  calibration?: Record<string, unknown>;
  /** The decision threshold, the calibration's. */
  threshold?: number;
  /** The BatchNorm statistics the scores were computed with. */
  scoring?: { bnStats?: string; asked?: string };
}

/** A train, distill or student run's manifest, as the report shows it. */
export type ReportedRun = TrainManifest | DistillManifest | StudentManifest;

/** A ROC curve as the distillation writes it. */
export interface Roc {
  fpr: number[];
  tpr: number[];
}

/** `teacher.json` of a distillation. */
export interface TeacherFile {
  width: number;
  auc: number;
  roc?: Roc;
  /** Every test image's score, in test-set order (experiments since they were kept). */
  scores?: number[];
  /** 1 anomalous, 0 normal, per test image. */
  labels?: number[];
}

/** One epoch record of a student job's `history` (a type: tables take it as a record). */
export type JobEpoch = {
  /** The epoch within its stage (1-based). */
  epoch?: number;
  /** P-KDGAN's step (1 or 2); absent for one-stage methods. */
  stage?: number;
  /** What the stage trained with: `alone`, `kd`, `kd-gan` or `joint`. */
  structure?: string;
  adversarial?: number;
  contextual?: number;
  latent?: number;
  lossD?: number;
  distillation?: number;
  auc?: number;
};

/** `jobs/<name>.json` of a distillation: one student trained one way. */
export interface JobFile {
  /** The last epoch's test AUC, in the BatchNorm mode its final scores used. */
  auc: number;
  seconds?: number;
  roc?: Roc;
  scores?: number[];
  history: JobEpoch[];
  /** The last epoch's test AUC with the moving statistics (the per-epoch curve's kind). */
  movingAuc?: number;
  /** The best per-epoch test AUC: the reference code's protocol, for comparison only. */
  bestTestEpoch?: { epoch: number; auc: number; stage?: number };
  /** Spearman's rank correlation of the student's and the teacher's validation scores. */
  validationSpearman?: number;
}

/** Each kind of `run.json` the report takes, as its errors name them: every kind of run. */
const REPORTED_KINDS: Record<RunManifest["kind"], string> = {
  train: "a training run (deno task train)",
  distill: "a distillation (deno task distill)",
  student: "a distilled student (OUT/jobs/<job>/ of deno task distill, or a shipped student)",
};

/**
 * Reads `run.json` of `runDir`; a folder that is not a run gives an error naming it, a manifest of
 * another kind an error naming the kinds the report takes, a field the report uses that is missing
 * or mistyped an error naming the file and the field.
 */
export async function readReportedRun(runDir: string): Promise<ReportedRun> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(runDir);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) throw new Error(`${runDir}: no such directory`);
    throw error;
  }
  if (!info.isDirectory) throw new Error(`${runDir}: not a directory`);
  const path = join(runDir, "run.json");
  if (!(await exists(path))) {
    throw new Error(
      `${runDir} is not a run directory: it holds no run.json ` +
        `(expected the --out folder of deno task train or deno task distill)`,
    );
  }
  const value = await readJson(path);
  // A file that is no object at all: the schema's reader says so.
  const isObject = typeof value === "object" && value !== null && !Array.isArray(value);
  const kind = isObject ? (value as { kind?: unknown }).kind : undefined;
  if (isObject && !(typeof kind === "string" && Object.hasOwn(REPORTED_KINDS, kind))) {
    throw new Error(
      `${path}: kind is ${JSON.stringify(kind ?? null)}: the report takes the run.json of ` +
        Object.values(REPORTED_KINDS).join(", "),
    );
  }
  const run = parseRunManifest(value, path);
  const raw = value as Record<string, unknown>;
  const status = await trustedStatus(runDir, run.status);
  if (run.kind === "distill") return { ...distillManifest(run, raw, path), status };
  if (run.kind === "student") return { ...studentManifest(run, raw, path), status };
  // run.json gets its history when the run finishes; a killed run's is in its checkpoint.
  const fromCheckpoint = await checkpointHistory(runDir, raw);
  const manifest = trainManifest(
    fromCheckpoint ? parseRunManifest(fromCheckpoint.value, path) as TrainRunManifest : run,
    raw,
    path,
  );
  return { ...manifest, status, ...(fromCheckpoint ? { historyFrom: fromCheckpoint.path } : {}) };
}

/**
 * A manifest's status as a reader can trust it: `running` only while the run's writer holds its
 * lock (`run.lock`); a run whose writer is gone (killed, its machine lost) is `interrupted`.
 */
async function trustedStatus(runDir: string, status: unknown): Promise<string | undefined> {
  if (typeof status !== "string") return undefined;
  if (status !== "running") return status;
  const lock = join(runDir, "run.lock");
  const held = await lockHolder(lock).catch(() => undefined);
  return held && (await lockIsStale(lock)) === undefined ? "running" : "interrupted";
}

/**
 * The manifest with the history and steps of the run's checkpoint (`model/trainer.json`), when
 * `run.json` has none yet (a run killed or still training); `undefined` when there is nothing
 * more there.
 */
async function checkpointHistory(
  runDir: string,
  value: Record<string, unknown>,
): Promise<{ value: Record<string, unknown>; path: string } | undefined> {
  if (Array.isArray(value.history) && value.history.length > 0) return undefined;
  const path = join(runDir, "model", "trainer.json");
  try {
    const trainer = JSON.parse(await Deno.readTextFile(path));
    const history = trainer?.extra?.history;
    if (!Array.isArray(history) || history.length === 0) return undefined;
    return {
      value: { ...value, history, steps: trainer.extra.steps ?? value.steps },
      path,
    };
  } catch {
    return undefined;
  }
}

/** A measured number as the report takes it: `null` (a NaN written to JSON) is no number. */
const num = (value: number | null | undefined): number | undefined => value ?? undefined;
/** An optional string field as the report takes it. */
const str = (value: string | null | undefined): string | undefined => value ?? undefined;

function common(run: RunManifest, raw: Record<string, unknown>, path: string): ManifestCommon {
  const { backend, data } = run;
  return {
    path,
    raw,
    status: run.status,
    written: str(run.written),
    seconds: num(run.seconds),
    error: str(run.error),
    backend: backend ? { name: backend.name, device: str(backend.device) } : undefined,
    edeganVersion: run.versions?.edegan,
    data: data
      ? {
        dataset: data.dataset,
        source: data.source,
        protocol: data.protocol,
        normalClass: data.normalClass,
        classNames: data.classNames,
        splitSeed: data.splitSeed,
        counts: data.counts && {
          train: data.counts.train,
          val: data.counts.val,
          test: data.counts.test,
          testAnomalous: data.counts.testAnomalous,
        },
        limit: data.limit,
        testLimit: data.testLimit,
      }
      : undefined,
  };
}

/** The objects of an array field (missing: none). */
function records(r: FieldReader, key: string): FieldReader[] {
  return r.value[key] === undefined || r.value[key] === null ? [] : r.objects(key);
}

function trainManifest(
  run: TrainRunManifest,
  raw: Record<string, unknown>,
  path: string,
): TrainManifest {
  const { config, training, metrics, calibration, scoring } = run;
  return {
    ...common(run, raw, path),
    kind: "train",
    history: (run.history ?? []).map((h) => ({
      epoch: h.epoch,
      lossG: num(h.lossG),
      lossD: num(h.lossD),
      adversarial: num(h.adversarial),
      contextual: num(h.contextual),
      latent: num(h.latent),
      auc: num(h.auc),
      seconds: num(h.seconds),
      imagesPerSecond: num(h.imagesPerSecond),
    })),
    steps: (run.steps ?? []).map((s) => ({ step: s.step, epoch: s.epoch, lossD: num(s.lossD) })),
    // Every field as written (the schema's view keeps only what it knows).
    metrics: metrics ? raw.metrics as Record<string, unknown> : undefined,
    calibration: calibration ? raw.calibration as Record<string, unknown> : undefined,
    threshold: calibration?.threshold ?? num(metrics?.threshold),
    scoring: scoring
      ? {
        bnStats: scoring.bnStats,
        asked: str(scoring.asked),
        movingAuc: num(scoring.movingAuc),
      }
      : undefined,
    config: modelConfig(config),
    training: {
      epochs: training.epochs,
      batchSize: training.batchSize,
      seed: training.seed,
      limit: num(training.limit),
      testLimit: num(training.testLimit),
    },
  };
}

/** The `config` fields the report shows (EDE-GAN's; another model's are in the raw manifest). */
function modelConfig(config: TrainRunManifest["config"]): TrainManifest["config"] {
  return config
    ? {
      width: num(config.width),
      latentSize: num(config.latentSize),
      latent: str(config.latent),
      imageSize: num(config.imageSize),
      channels: num(config.channels),
      scoreDistance: str(config.scoreDistance),
    }
    : undefined;
}

function studentManifest(
  run: StudentRunManifest,
  raw: Record<string, unknown>,
  path: string,
): StudentManifest {
  const { calibration, scoring } = run;
  const r = FieldReader.of(run.student, path, "student");
  // The stages' epochs: under `student`, else as `training` records them (the same object).
  const epochs = r.optionalObject("epochs") ??
    FieldReader.of(run.training, path, "training").optionalObject("epochs");
  return {
    ...common(run, raw, path),
    kind: "student",
    student: {
      job: r.optionalString("job"),
      method: r.optionalString("method"),
      init: r.optionalString("init"),
      ratio: r.optionalNumber("ratio"),
      epochs: epochs
        ? { step1: epochs.optionalNumber("step1"), step2: epochs.optionalNumber("step2") }
        : undefined,
      teacher: r.optionalString("teacher"),
      fpr: r.optionalNumber("fpr"),
      bnStats: r.optionalString("bnStats"),
    },
    model: str(run.model),
    config: modelConfig(run.config),
    training: { batchSize: run.training.batchSize, seed: run.training.seed },
    calibration: calibration ? raw.calibration as Record<string, unknown> : undefined,
    threshold: calibration?.threshold,
    scoring: scoring ? { bnStats: scoring.bnStats, asked: str(scoring.asked) } : undefined,
  };
}

function distillManifest(
  run: DistillRunManifest,
  raw: Record<string, unknown>,
  path: string,
): DistillManifest {
  const { options } = run;
  return {
    ...common(run, raw, path),
    kind: "distill",
    options: options
      ? {
        seed: num(options.seed),
        students: options.students?.map((choice, i) => {
          const text = studentChoiceText(choice);
          if (text === null) {
            throw new FileFieldError(path, `options.students[${i}]`, "a student choice", choice);
          }
          return text;
        }),
        epochs: options.epochs
          ? { step1: num(options.epochs.step1), step2: num(options.epochs.step2) }
          : undefined,
        batchSize: num(options.batchSize),
        limit: num(options.limit),
        testLimit: num(options.testLimit),
      }
      : undefined,
    recordedResults: run.results ?? undefined,
  };
}

function roc(r: FieldReader): Roc | undefined {
  const curve = r.optionalObject("roc");
  if (!curve) return undefined;
  const fpr = curve.optionalNumbers("fpr"), tpr = curve.optionalNumbers("tpr");
  if (!fpr || !tpr) return undefined;
  if (fpr.length !== tpr.length) {
    throw new FileFieldError(r.file, curve.path("tpr"), `${fpr.length} values like fpr`, tpr);
  }
  return { fpr, tpr };
}

/** A reader of the JSON object in `path`; undefined when there is no such file. */
async function readerOf(path: string): Promise<FieldReader | undefined> {
  return await exists(path) ? FieldReader.of(await readJson(path), path) : undefined;
}

/** `teacher.json` of a distillation, checked; undefined when there is none. */
export async function readTeacherFile(path: string): Promise<TeacherFile | undefined> {
  const r = await readerOf(path);
  if (!r) return undefined;
  return {
    width: r.number("width"),
    auc: r.number("auc"),
    roc: roc(r),
    scores: r.optionalNumbers("scores"),
    labels: r.optionalNumbers("labels"),
  };
}

/** One job file of a distillation, checked; undefined when there is none. */
export async function readJobFile(path: string): Promise<JobFile | undefined> {
  const r = await readerOf(path);
  if (!r) return undefined;
  const best = r.optionalObject("bestTestEpoch");
  return {
    auc: r.number("auc"),
    seconds: r.optionalNumber("seconds"),
    roc: roc(r),
    scores: r.optionalNumbers("scores"),
    history: records(r, "history").map((h) => ({
      epoch: h.optionalNumber("epoch"),
      stage: h.optionalNumber("stage"),
      structure: h.optionalString("structure"),
      adversarial: h.optionalNumber("adversarial"),
      contextual: h.optionalNumber("contextual"),
      latent: h.optionalNumber("latent"),
      lossD: h.optionalNumber("lossD"),
      distillation: h.optionalNumber("distillation"),
      auc: h.optionalNumber("auc"),
    })),
    movingAuc: r.optionalNumber("movingAuc"),
    bestTestEpoch: best
      ? {
        epoch: best.number("epoch"),
        auc: best.number("auc"),
        stage: best.optionalNumber("stage"),
      }
      : undefined,
    validationSpearman: r.optionalObject("validationAgreement")?.optionalNumber("spearman"),
  };
}

/**
 * The results of a distillation, checked: its `results.json` (written after every student),
 * else those its `run.json` recorded when it finished; undefined when there are neither.
 */
export async function readResults(
  runDir: string,
  manifest: DistillManifest,
): Promise<DistillResults | undefined> {
  const path = join(runDir, "results.json");
  if (await exists(path)) return distillResultsFromFile(await readJson(path), path);
  return manifest.recordedResults === undefined
    ? undefined
    : distillResultsFromFile(manifest.recordedResults, `${manifest.path} (results)`);
}
