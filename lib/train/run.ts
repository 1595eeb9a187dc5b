/**
 * One training run from data to metrics: load the one-class split, build and train a model,
 * calibrate on validation normals, evaluate on the test set, and (with `out`) write the model,
 * the manifest `run.json` and the test scores beside it. It knows models only through the
 * `AnomalyModel` interface and the model registry: `modelKind` names the model (`--model-kind`,
 * default `ede-gan`), `model` its settings, or `createModel` makes any `AnomalyModel`.
 *
 * @module
 */

import { basename, dirname, join } from "@std/path";
import type { AnomalyModel, FinalScoring, ModelSettings } from "../models/anomaly_model.ts";
import {
  checkFinalScoring,
  createModel as createRegisteredModel,
  DEFAULT_MODEL,
  finalScoring,
} from "../models/registry.ts";
import { loadOneClass } from "../data/protocol.ts";
import type { DatasetName, OneClassSplit, Protocol } from "../data/types.ts";
import { averagePrecision, f1AtThreshold, rocAuc, rocCurve } from "../metrics/mod.ts";
import type { RocCurve } from "../metrics/mod.ts";
import { scoreImages } from "../score/score.ts";
import { calibrate, type Calibration } from "../score/calibrate.ts";
import { saveModel } from "./checkpoint.ts";
import {
  damagedCheckpoint,
  type EpochRecord,
  fit,
  type LossesOf,
  type StepRecord,
} from "./trainer.ts";
import { autoEmaDecay, checkEmaDecay, type EmaOption, type GeneratorEma } from "./ema.ts";
import {
  type DataRecord,
  readRunManifest,
  type ResumeRecord,
  type TrainRunManifest,
  writeRunManifest,
} from "../run/manifest.ts";
import { jsonObject, readJsonIfPresent } from "../util/json.ts";
import { underTrainingWarnings } from "./under_training.ts";
import { prepareOutDir } from "../util/out_dir.ts";
import { lockRunFolder } from "../util/run_lock.ts";
import { writeScoresCsv } from "../score/csv.ts";
import { type ProgressSink, silentProgress } from "../util/progress.ts";

/**
 * Everything that defines a training run. Flags, notebooks and presets build this object. `M` is
 * the model trained: the registered model `modelKind` unless `createModel` makes another.
 */
export interface TrainRunOptions<M extends AnomalyModel = AnomalyModel> {
  dataset: DatasetName;
  dataDir?: string;
  normal: number;
  protocol?: Protocol;
  epochs: number;
  batchSize: number;
  seed: number;
  /** The registered model to train (`--model-kind`; default `ede-gan`, see models/registry.ts). */
  modelKind?: string;
  /**
   * The model's settings (`--width`, `--latent`, or fields of its configuration: EDE-GAN's
   * `latentSize`, ...); image size and channels follow the data (an `imageSize` here resizes it).
   */
  model?: ModelSettings;
  /**
   * Makes the model to train, for the data's image size and channels, from the run's seed
   * (default: the registry's `modelKind` with `model`'s settings). Its `name` and `config` go into
   * `run.json`.
   */
  createModel?: (images: { imageSize: number; channels: number }, seed: number) => M;
  /** At most this many training images. */
  limit?: number;
  /** A stratified subset of this many test images (quick runs). */
  testLimit?: number;
  /** Evaluate on the test set after every epoch, for the AUC curve (default true). */
  evaluateEachEpoch?: boolean;
  /** False-positive rate of the calibrated threshold on validation normals (default 0.05). */
  fpr?: number;
  /**
   * Decay of an exponential moving average of the generator's weights (`--ema`; off when
   * absent). The run is then evaluated, calibrated, saved for scoring and returned with the
   * averaged generator; the checkpoint keeps the live weights and the average, for `--resume`.
   * `auto`: 1 - 1/(steps per epoch), see `autoEmaDecay`; the manifest records the decay used.
   */
  ema?: EmaOption;
  /**
   * BatchNorm statistics the run's final metrics, threshold and `scores.csv` use (`--bn-stats`;
   * default `moving`): `auto` chooses on the validation normals (`chooseBatchNormStats`), or a
   * mode by name. The per-epoch test AUC curve and the model folder's calibration stay with the
   * moving averages. Any mode but `moving` needs a model with its own final scoring (EDE-GAN).
   */
  bnStats?: string;
  /** Output folder: `run.json`, `model/`, `scores.csv`. */
  out?: string;
  /** Continue the run in `out` from its last finished epoch. */
  resume?: boolean;
  /**
   * Start the run in `out` over (`--restart`): its checkpoint (damaged, or of other settings) is
   * discarded once every check has passed. Not with `resume`.
   */
  restart?: boolean;
  /** Name and details of the active backend, recorded in the manifest. */
  backend?: { name: string; device?: string; skipped?: string[] };
  progress?: ProgressSink;
  onStep?: (step: number, losses: LossesOf<M>) => void;
  onEpoch?: (record: EpochRecord<LossesOf<M>>, model: M) => void | Promise<void>;
  /** An already loaded split (notebooks reuse one across runs). */
  data?: OneClassSplit;
  /** Where warnings go (a small validation set, a resume on another backend); default stderr. */
  warn?: (line: string) => void;
}

/** The fields of a run that choose its data. */
export type RunDataOptions = Pick<
  TrainRunOptions,
  "dataset" | "dataDir" | "normal" | "protocol" | "limit" | "testLimit" | "seed"
>;

/**
 * The one-class split a run works on: its dataset, class and limits, split by the run's seed.
 *
 * @example
 * ```ts
 * import { loadRunData } from "./run.ts";
 * const data = await loadRunData({ dataset: "mnist", normal: 1, seed: 0, limit: 256 });
 * if (data.train.count !== 256) throw new Error(`${data.train.count} training images`);
 * ```
 */
export function loadRunData(opts: RunDataOptions, imageSize?: number): Promise<OneClassSplit> {
  return loadOneClass({
    dataset: opts.dataset,
    dataDir: opts.dataDir,
    normal: opts.normal,
    protocol: opts.protocol,
    limit: opts.limit,
    testLimit: opts.testLimit,
    splitSeed: opts.seed,
    imageSize,
  });
}

/** The test-set metrics of a run. Headline: the last epoch's model, never a best epoch. */
export interface RunMetrics {
  auc: number;
  averagePrecision: number;
  f1: number;
  precision: number;
  recall: number;
  threshold: number;
}

/** What a training run leaves. */
export interface TrainRunResult<M extends AnomalyModel = AnomalyModel> {
  model: M;
  data: OneClassSplit;
  history: EpochRecord<LossesOf<M>>[];
  steps: StepRecord[];
  metrics: RunMetrics;
  calibration: Calibration;
  roc: RocCurve;
  testScores: Float32Array;
  /** How the final metrics were scored: BatchNorm mode, what was asked, the moving-average AUC. */
  scoring: Omit<FinalScoring, "testScores" | "calibration">;
  seconds: number;
  /**
   * Everything `run.json` lists under `warnings`: the data's (a small validation set, skipped
   * files), a resume's, and the finished run's signs of under-training (a test AUC below chance,
   * see `underTrainingWarnings`), each also passed to `warn`.
   */
  warnings: string[];
}

/**
 * Checks the options that need no data: epochs, batch size and the calibration's false-positive
 * rate. Errors name the flag and what was expected.
 *
 * @example
 * ```ts
 * import { checkTrainOptions } from "./run.ts";
 * let message = "";
 * try { checkTrainOptions({ epochs: -1, batchSize: 16 }); } catch (e) { message = (e as Error).message; }
 * if (!message.startsWith("--epochs: expected a positive integer")) throw new Error(message);
 * ```
 */
export function checkTrainOptions(
  opts: Pick<TrainRunOptions, "epochs" | "batchSize" | "fpr" | "ema">,
): void {
  const positive = (flag: string, value: number) => {
    if (!Number.isInteger(value) || value < 1) {
      throw new Error(`${flag}: expected a positive integer, got ${value}`);
    }
  };
  positive("--epochs", opts.epochs);
  positive("--batch-size", opts.batchSize);
  if (opts.ema !== undefined && opts.ema !== "auto") checkEmaDecay(opts.ema);
  if (opts.fpr !== undefined && !(opts.fpr > 0 && opts.fpr < 1)) {
    throw new Error(`fpr: expected a false-positive rate in (0, 1), got ${opts.fpr}`);
  }
}

/**
 * Checks that a split can be trained on, calibrated and evaluated, so that no run fails after
 * training: at least one batch of training images, at least one validation image (calibration),
 * both normal and anomalous test images (after `testLimit`), and training images that are not
 * all one flat value. Errors name the flag or folder and what was expected; returns warnings
 * (a validation set too small for the asked false-positive rate).
 *
 * @example
 * ```ts
 * import { checkRunData } from "./run.ts";
 * import { loadOneClass } from "../data/protocol.ts";
 * const data = await loadOneClass({ dataset: "mnist", normal: 1, limit: 64, testLimit: 100 });
 * const warnings = checkRunData(data, { batchSize: 16 });
 * if (warnings.length !== 1) throw new Error("7 validation images < 20 for 5% false positives");
 * ```
 */
export function checkRunData(
  data: OneClassSplit,
  opts: { batchSize: number; fpr?: number },
): string[] {
  const m = data.manifest;
  const where = m.dataset === "folder" ? `--data-dir ${m.source}` : `--dataset ${m.dataset}`;
  const normals = data.train.count + data.val.count;
  if (data.train.count < opts.batchSize) {
    throw new Error(
      `--batch-size ${opts.batchSize}: only ${data.train.count} training images (of ${normals} ` +
        `normal, ${data.val.count} held out for validation), expected at least one batch; ` +
        `lower --batch-size${m.limit !== undefined ? " or raise --limit" : ""}`,
    );
  }
  if (data.val.count === 0) {
    throw new Error(
      `${where}: ${normals} normal training image(s), so none can be held out for ` +
        `validation; calibration needs at least 1 (at least 2 normal training images in all)`,
    );
  }
  const anomalous = data.testIsAnomaly.reduce((a, b) => a + b, 0);
  if (anomalous === 0 || anomalous === data.test.count) {
    const missing = anomalous === 0 ? "anomalous" : "normal";
    throw new Error(
      `the test split has no ${missing} images (${data.test.count} test images, all ` +
        `${anomalous === 0 ? "normal" : "anomalous"}): ROC AUC needs both; ` +
        (m.testLimit !== undefined && data.test.count === m.testLimit
          ? `--test-limit ${m.testLimit} may have left none out of a rare class, raise it, or `
          : "") +
        (m.dataset === "folder"
          ? `add ${missing} images to ${m.source}/test/${missing}/ (or label some ${missing} ` +
            `in labels.csv)`
          : `check --normal and --protocol`),
    );
  }
  const px = data.train.pixels;
  if (px.length > 0 && px.every((v) => v === px[0])) {
    throw new Error(
      `${where}: every training image is one flat value (${px[0]}), nothing to learn; ` +
        "expected images with content (a PNG drawn only in its alpha channel reads as flat " +
        "when its transparency is dropped)",
    );
  }
  const warnings: string[] = [];
  const fpr = opts.fpr ?? 0.05;
  const needed = Math.ceil(1 / fpr - 1e-9);
  if (data.val.count < needed) {
    warnings.push(
      `only ${data.val.count} validation image(s): a threshold at ${fpr * 100}% false ` +
        `positives needs at least ${needed} to flag any; the threshold sits above them all`,
    );
  }
  for (const s of m.skipped ?? []) {
    warnings.push(`skipped ${s.count} file(s) in ${m.source}: ${s.reason} (e.g. ${s.examples[0]})`);
  }
  warnings.push(...(m.notes ?? []));
  return warnings;
}

/**
 * What of a run's manifest sets its result (a recorded `run.json`, the new run's, or only the
 * model and config of a checkpoint's `model.json`); fields older versions lack may be missing.
 */
export interface ResultSettings {
  data?: Partial<DataRecord> | null;
  training?: Partial<TrainRunManifest["training"]> | null;
  model?: string | null;
  /** The model's settings, every field compared. */
  config?: object | null;
}

/** What a run records that changes its result, by the flag (or field) that sets it. */
function resultDefining(run: ResultSettings): Map<string, unknown> {
  const data = run.data ?? {};
  const training = run.training ?? {};
  const out = new Map<string, unknown>([
    ["--dataset", data.dataset],
    ["--data-dir", data.source],
    ["--normal", data.normalClass],
    ["--protocol", data.protocol],
    ["--seed", training.seed],
    ["--batch-size", training.batchSize],
    ["--limit", training.limit],
    ["--test-limit", training.testLimit],
    ["fpr", training.fpr],
    ["--ema", training.ema],
    ["model", run.model],
    ["data valFraction", data.valFraction],
    ["data splitSeed", data.splitSeed],
  ]);
  for (const [k, v] of Object.entries(data.counts ?? {})) out.set(`data counts.${k}`, v);
  for (const [k, v] of Object.entries(run.config ?? {})) {
    out.set(k === "width" ? "--width" : k === "latent" ? "--latent" : `model ${k}`, v);
  }
  return out;
}

/**
 * The differences between a recorded run's manifest and a new one that change the result, one
 * line per flag: `--normal 1 -> 7`. Fields the recorded manifest lacks (older versions) are not
 * compared; `--epochs` is compared by {@link trainRun} itself (it may grow).
 *
 * @example
 * ```ts
 * import { resumeDifferences } from "./run.ts";
 * const old = { data: { normalClass: 1 }, config: { width: 8 } };
 * const now = { data: { normalClass: 7 }, config: { width: 8 } };
 * if (resumeDifferences(old, now).join() !== "--normal 1 -> 7") throw new Error();
 * ```
 */
export function resumeDifferences(recorded: ResultSettings, current: ResultSettings): string[] {
  const before = resultDefining(recorded);
  const after = resultDefining(current);
  const lines: string[] = [];
  const show = (v: unknown) => v === undefined || v === null ? "(none)" : JSON.stringify(v);
  for (const [name, old] of before) {
    if (old === undefined) continue;
    const now = after.get(name);
    if (JSON.stringify(old ?? null) !== JSON.stringify(now ?? null)) {
      lines.push(`${name} ${show(old)} -> ${show(now)}`.replaceAll('"', ""));
    }
  }
  return lines;
}

/**
 * Runs training end to end. Everything that can be checked before training is checked first
 * (flags, `--out` writable, the data: see {@link checkRunData}); with `resume`, the flags are
 * compared with the run's manifest and any difference that changes the result is refused,
 * naming each flag. Whatever fails after an epoch, that epoch's checkpoint stays in `out/model`
 * and `resume` continues from it; the manifest then says `failed` with its `lastEpoch`.
 *
 * @example
 * ```ts
 * import { trainRun } from "./run.ts";
 * const result = await trainRun({ dataset: "mnist", normal: 1, epochs: 1, batchSize: 16, seed: 1,
 *   model: { width: 4 }, limit: 64, testLimit: 64 });
 * const auc = result.metrics.auc;
 * if (!(auc >= 0 && auc <= 1)) throw new Error(`AUC ${auc}`);
 * result.model.dispose();
 * ```
 */
export async function trainRun<M extends AnomalyModel = AnomalyModel>(
  opts: TrainRunOptions<M>,
): Promise<TrainRunResult<M>> {
  const started = performance.now();
  const warn = opts.warn ?? ((line: string) => console.warn(`warning: ${line}`));
  checkTrainOptions(opts);
  const out = opts.out;
  const outDir = out ? await prepareOutDir(out, "--out") : undefined;
  // One writer per run: a second process on the same --out (a requeued job while the first
  // still runs) is refused here, before it reads or writes anything there.
  const lock = out
    ? await lockRunFolder(out, "--out").catch(async (error) => {
      if (outDir?.created) await Deno.remove(out).catch(() => {});
      throw error;
    })
    : undefined;
  try {
    return await trainLocked(opts, { started, warn, outDir });
  } finally {
    await lock?.release();
  }
}

async function trainLocked<M extends AnomalyModel>(
  opts: TrainRunOptions<M>,
  ctx: { started: number; warn: (line: string) => void; outDir?: { created: boolean } },
): Promise<TrainRunResult<M>> {
  const { started, warn, outDir } = ctx;
  const out = opts.out;
  const checkpointDir = out ? join(out, "model") : undefined;
  let data: OneClassSplit;
  let model: M;
  let emaDecay: number | undefined;
  const warnings: string[] = [];
  const createModel = opts.createModel ??
    ((images, seed) =>
      createRegisteredModel(opts.modelKind ?? DEFAULT_MODEL, opts.model ?? {}, images, seed) as M);
  try {
    const imageSize = opts.model?.imageSize;
    data = opts.data ??
      await loadRunData(opts, typeof imageSize === "number" ? imageSize : undefined);
    warnings.push(...checkRunData(data, opts));
    emaDecay = opts.ema === "auto" ? autoEmaDecay(data.train.count, opts.batchSize) : opts.ema;
    model = createModel(
      { imageSize: data.train.height, channels: data.train.channels },
      opts.seed,
    );
    if ((opts.bnStats ?? "moving") !== "moving") {
      try {
        checkFinalScoring(model.name, opts.bnStats!);
      } catch (error) {
        model.dispose();
        throw error;
      }
    }
  } catch (error) {
    // A check that failed before training leaves no empty folder behind (but its lock).
    if (out && outDir?.created) {
      const names: string[] = [];
      for await (const entry of Deno.readDir(out)) names.push(entry.name);
      if (names.every((name) => name === "run.lock")) {
        await Deno.remove(out, { recursive: true }).catch(() => {});
      }
    }
    throw error;
  }
  const manifestBase = {
    kind: "train" as const,
    training: {
      epochs: opts.epochs,
      batchSize: opts.batchSize,
      seed: opts.seed,
      limit: opts.limit ?? null,
      testLimit: opts.testLimit ?? null,
      fpr: opts.fpr ?? 0.05,
      ema: emaDecay ?? null,
      ...(opts.ema === "auto" ? { emaRule: "auto: 1 - 1/(steps per epoch)" } : {}),
    },
    model: model.name,
    config: model.config,
    backend: opts.backend ?? null,
    data: data.manifest,
    warnings,
  } satisfies Omit<TrainRunManifest, "status">;
  if (out && checkpointDir) {
    try {
      if (opts.restart && opts.resume) {
        throw new Error("--restart and --resume: give one (start the run over, or continue it)");
      }
      if (opts.restart) await discardCheckpoint(checkpointDir);
      const checkpoint = await readTrainerState(checkpointDir).catch((e) => {
        if (opts.resume) throw damagedCheckpoint(e, checkpointDir);
        return { damaged: true } as Record<string, unknown>;
      });
      if (!opts.resume && checkpoint) {
        throw new Error(
          `--out ${out} already holds a run; pass --resume to continue it, --restart to start ` +
            `it over (discarding its checkpoint), or choose another --out`,
        );
      }
      // `--resume` where no epoch was ever checkpointed is a fresh start (a script may pass it
      // every time), but never a silent one.
      if (opts.resume && !checkpoint) {
        warn(
          `--resume: nothing to resume in ${out} (no checkpoint in ${checkpointDir}): training ` +
            "from the start",
        );
      }
      if (opts.resume && checkpoint) {
        const resumed = await checkResume(out, manifestBase, Number(checkpoint.epoch));
        warnings.push(...resumed.warnings);
        // Who trained the epochs so far: the stamp the last process left in run.json.
        const before = resumed.run;
        const stamp = (before ?? {}) as {
          git?: unknown;
          machine?: unknown;
          command?: unknown;
          written?: string;
        };
        const resumes: ResumeRecord[] = [
          ...(before?.resumes ?? []),
          {
            afterEpoch: Number(checkpoint.epoch),
            git: stamp.git ?? null,
            machine: stamp.machine ?? null,
            command: stamp.command ?? null,
            written: stamp.written ?? null,
          },
        ];
        Object.assign(manifestBase, { resumes });
      }
    } catch (error) {
      model.dispose();
      throw error;
    }
    await writeRunManifest(join(out, "run.json"), { ...manifestBase, status: "running" });
  }
  for (const line of warnings) warn(line);
  let liveWithEma: { live: M; ema: GeneratorEma } | undefined;
  // The last epoch's evaluation scores the final model: kept, so the test set is scored once.
  let lastTestScores: Float32Array | undefined;
  const evaluate = async (m: M) => {
    lastTestScores = (await scoreImages(m, data.test)).scores;
    return rocAuc(lastTestScores, data.testIsAnomaly);
  };
  try {
    const { history, steps, optimisers, ema } = await fit(model, data.train, {
      ema: emaDecay,
      epochs: opts.epochs,
      batchSize: opts.batchSize,
      seed: opts.seed,
      evaluate: opts.evaluateEachEpoch === false ? undefined : evaluate,
      checkpointDir,
      resume: opts.resume,
      progress: opts.progress ?? silentProgress,
      onStep: opts.onStep,
      onEpoch: async (record, live) => {
        if (out) {
          await writeRunManifest(join(out, "run.json"), {
            ...manifestBase,
            status: "running",
            lastEpoch: record.epoch,
          });
        }
        await opts.onEpoch?.(record, live);
      },
    });
    opts.progress?.finish();
    // With --ema the run's model is the averaged generator: it is calibrated, scored, returned.
    if (ema) {
      const live = model;
      model = await ema.averagedModel(live);
      liveWithEma = { live, ema };
    }
    // The model folder keeps the moving-average calibration (what `deno task score` reads).
    const movingCalibration = calibrate(
      (await scoreImages(model, data.val)).scores,
      opts.fpr ?? 0.05,
    );
    const movingTestScores = lastTestScores ?? (await scoreImages(model, data.test)).scores;
    const { calibration, testScores, ...scoring } = await finalScoring(
      model,
      data,
      opts.bnStats ?? "moving",
      { movingTestScores, movingCalibration, batchSize: opts.batchSize, fpr: opts.fpr ?? 0.05 },
    );
    const labels = data.testIsAnomaly;
    const atThreshold = f1AtThreshold(testScores, labels, calibration.threshold);
    const metrics: RunMetrics = {
      auc: rocAuc(testScores, labels),
      averagePrecision: averagePrecision(testScores, labels),
      f1: atThreshold.f1,
      precision: atThreshold.precision,
      recall: atThreshold.recall,
      threshold: calibration.threshold,
    };
    // A number that means nothing yet is said so, in run.json and on the command line.
    const finalWarnings = underTrainingWarnings(metrics.auc, history);
    warnings.push(...finalWarnings);
    for (const line of finalWarnings) warn(line);
    const seconds = (performance.now() - started) / 1000;
    try {
      if (out) {
        await saveModel(join(out, "model"), liveWithEma?.live ?? model, {
          calibration: movingCalibration,
          optimisers: { ...optimisers },
          trainer: {
            epoch: opts.epochs,
            step: steps.at(-1)?.step ?? 0,
            extra: { history, steps },
          },
          ema: liveWithEma ? await liveWithEma.ema.state() : undefined,
        });
        await writeScoresCsv(
          join(out, "scores.csv"),
          testScores,
          labels,
          data.test.labels,
          calibration,
        );
        await writeRunManifest(join(out, "run.json"), {
          ...manifestBase,
          status: "finished",
          metrics,
          calibration,
          scoring,
          history,
          steps,
          seconds,
        });
      }
    } finally {
      for (const optimiser of Object.values(optimisers)) optimiser.dispose();
      liveWithEma?.live.dispose();
      liveWithEma?.ema.dispose();
      liveWithEma = undefined;
    }
    return {
      model,
      data,
      history,
      steps,
      metrics,
      calibration,
      roc: rocCurve(testScores, labels),
      testScores,
      scoring,
      seconds,
      warnings,
    };
  } catch (error) {
    model.dispose();
    liveWithEma?.live.dispose();
    liveWithEma?.ema.dispose();
    if (out && checkpointDir) {
      // Nothing trained is lost: name the checkpoint that --resume continues from.
      const kept = await readTrainerState(checkpointDir).catch(() => undefined);
      const lastEpoch = typeof kept?.epoch === "number" ? kept.epoch : null;
      await writeRunManifest(join(out, "run.json"), {
        ...manifestBase,
        status: "failed",
        error: (error as Error).message,
        lastEpoch,
      });
      if (lastEpoch !== null && !(error as Error).message.includes("--resume")) {
        (error as Error).message += `. Epoch ${lastEpoch} is checkpointed in ${checkpointDir}; ` +
          `fix the cause and rerun with --resume to continue from it`;
      }
    }
    throw error;
  }
}

/**
 * Removes a run's checkpoint folder for `--restart`, with what a crash mid-replace leaves
 * (`model.old-*`, which would otherwise be put back, and `model.tmp-*`).
 */
async function discardCheckpoint(checkpointDir: string): Promise<void> {
  const parent = dirname(checkpointDir);
  const name = basename(checkpointDir);
  for await (const entry of Deno.readDir(parent)) {
    if (
      entry.name === name || entry.name.startsWith(`${name}.old`) ||
      entry.name.startsWith(`${name}.tmp`)
    ) {
      await Deno.remove(join(parent, entry.name), { recursive: true });
    }
  }
}

/**
 * Compares a resumed run's settings with its manifest (`out/run.json`, or the checkpoint's
 * `model.json` when there is none) and throws, naming each flag with its recorded and new value,
 * when any difference changes the result. `--epochs` may grow (each epoch's batch order depends
 * only on `--seed` and the epoch, so the run ends as an uninterrupted run of the new length) but
 * not fall below the last finished epoch. Returns warnings (a different backend) and the training
 * manifest it read (`undefined` when `out/run.json` is missing), whose stamp the resume records.
 */
async function checkResume(
  out: string,
  current: ResultSettings & { training: { epochs: number }; backend: { name: string } | null },
  lastEpoch: number,
): Promise<{ warnings: string[]; run: TrainRunManifest | undefined }> {
  const runJson = join(out, "run.json");
  const run = await readRunManifest(runJson);
  let recorded: ResultSettings & { backend?: { name: string } | null };
  let source = runJson;
  if (run?.kind === "train") recorded = run;
  else if (run) {
    throw new Error(
      `--resume: ${runJson} records a ${run.kind} run, not a training run; choose another --out`,
    );
  } else {
    source = join(out, "model", "model.json");
    const saved = await readJsonIfPresent(source);
    const model = saved === undefined ? undefined : jsonObject(saved, source);
    recorded = {
      model: typeof model?.model === "string" ? model.model : undefined,
      config: model?.config && typeof model.config === "object"
        ? model.config as Record<string, unknown>
        : undefined,
    };
  }
  const lines = resumeDifferences(recorded, current);
  if (Number.isFinite(lastEpoch) && current.training.epochs < lastEpoch) {
    lines.push(`--epochs ${current.training.epochs} is below the last finished epoch ${lastEpoch}`);
  }
  if (lines.length > 0) {
    // A line without a flag is the data's counts (files added or removed) or a default of the
    // code, which no flag sets back.
    const byData = lines.filter((line) => line.startsWith("data counts"));
    const byCode = lines.filter((line) => !line.startsWith("--") && !byData.includes(line));
    const byFlag = lines.length - byData.length - byCode.length;
    throw new Error(
      `--resume: ${source} records other settings that change the result:\n  ` +
        lines.join("\n  ") + "\n" +
        (byFlag > 0 ? "rerun with the recorded flag values (left of ->), " : "") +
        (byData.length > 0 ? "put the data's files back as they were, " : "") +
        (byCode.length > 0
          ? `continue with the edegan version that began the run (${
            byCode.map((line) => line.split(" ->")[0]).join(", ")
          } are the code's defaults, set by no flag), `
          : "") +
        "start the run over with --restart, or choose another --out",
    );
  }
  const warnings: string[] = [];
  const oldBackend = recorded.backend?.name;
  const newBackend = current.backend?.name;
  if (oldBackend && newBackend && oldBackend !== newBackend) {
    warnings.push(
      `--resume on backend ${newBackend}, the run began on ${oldBackend}: float rounding ` +
        "differs, so the result will not match an uninterrupted run bit for bit",
    );
  }
  return { warnings, run: run?.kind === "train" ? run : undefined };
}

/**
 * The trainer's state of the checkpoint in `checkpointDir` (`trainer.json`: the last finished
 * epoch and step), or `undefined` when there is none; a damaged one is an error naming it.
 */
async function readTrainerState(
  checkpointDir: string,
): Promise<Record<string, unknown> | undefined> {
  const path = join(checkpointDir, "trainer.json");
  const value = await readJsonIfPresent(path);
  return value === undefined ? undefined : jsonObject(value, path);
}
