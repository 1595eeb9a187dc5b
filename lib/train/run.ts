/**
 * One training run from data to metrics: load the one-class split, build and train an EDE-GAN,
 * calibrate on validation normals, evaluate on the test set, and (with `out`) write the model,
 * the manifest `run.json` and the test scores beside it.
 *
 * @module
 */

import { join } from "@std/path";
import { EdeGan } from "../models/ede_gan.ts";
import type { EdeGanConfig } from "../models/config.ts";
import { loadOneClass } from "../data/protocol.ts";
import type { DatasetName, OneClassSplit, Protocol } from "../data/types.ts";
import { averagePrecision, f1AtThreshold, rocAuc, rocCurve } from "../metrics/mod.ts";
import type { RocCurve } from "../metrics/mod.ts";
import { scoreImages } from "../score/score.ts";
import { calibrate } from "../score/calibrate.ts";
import { type Calibration, saveModel } from "./checkpoint.ts";
import { type EpochRecord, fit, type StepRecord } from "./trainer.ts";
import type { StepLosses } from "./step.ts";
import { writeManifest } from "./manifest.ts";
import { exists } from "../util/atomic.ts";
import { writeScoresCsv } from "../score/csv.ts";
import { type ProgressSink, silentProgress } from "../util/progress.ts";

/** Everything that defines a training run. Flags, notebooks and presets build this object. */
export interface TrainRunOptions {
  dataset: DatasetName;
  dataDir?: string;
  normal: number;
  protocol?: Protocol;
  epochs: number;
  batchSize: number;
  seed: number;
  /** Model settings (width, latent constraint, ...); image size and channels follow the data. */
  model?: Partial<EdeGanConfig>;
  /** At most this many training images. */
  limit?: number;
  /** A stratified subset of this many test images (quick runs). */
  testLimit?: number;
  /** Evaluate on the test set after every epoch, for the AUC curve (default true). */
  evaluateEachEpoch?: boolean;
  /** False-positive rate of the calibrated threshold on validation normals (default 0.05). */
  fpr?: number;
  /** Output folder: `run.json`, `model/`, `scores.csv`. */
  out?: string;
  /** Continue the run in `out` from its last finished epoch. */
  resume?: boolean;
  /** Name and details of the active backend, recorded in the manifest. */
  backend?: { name: string; device?: string; skipped?: string[] };
  progress?: ProgressSink;
  onStep?: (step: number, losses: StepLosses) => void;
  onEpoch?: (record: EpochRecord, model: EdeGan) => void | Promise<void>;
  /** An already loaded split (notebooks reuse one across runs). */
  data?: OneClassSplit;
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
 * ```ts ignore
 * import { loadRunData } from "./run.ts";
 * const data = await loadRunData({ dataset: "mnist", normal: 1, seed: 0, limit: 256 });
 * console.log(data.train.count);
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
export interface TrainRunResult {
  model: EdeGan;
  data: OneClassSplit;
  history: EpochRecord[];
  steps: StepRecord[];
  metrics: RunMetrics;
  calibration: Calibration;
  roc: RocCurve;
  testScores: Float32Array;
  seconds: number;
}

/**
 * Runs training end to end.
 *
 * @example
 * ```ts ignore
 * import { trainRun } from "./run.ts";
 * const result = await trainRun({ dataset: "mnist", normal: 1, epochs: 1, batchSize: 16, seed: 1,
 *   model: { width: 8 }, limit: 512 });
 * console.log(result.metrics.auc);
 * ```
 */
export async function trainRun(opts: TrainRunOptions): Promise<TrainRunResult> {
  const started = performance.now();
  const data = opts.data ?? await loadRunData(opts, opts.model?.imageSize);
  const model = EdeGan.create(
    { ...opts.model, imageSize: data.train.height, channels: data.train.channels },
    opts.seed,
  );
  const out = opts.out;
  const manifestBase = {
    kind: "train",
    training: {
      epochs: opts.epochs,
      batchSize: opts.batchSize,
      seed: opts.seed,
      limit: opts.limit ?? null,
      testLimit: opts.testLimit ?? null,
      fpr: opts.fpr ?? 0.05,
    },
    config: model.config,
    backend: opts.backend ?? null,
    data: data.manifest,
  };
  if (out) {
    await Deno.mkdir(out, { recursive: true });
    if (!opts.resume && await exists(join(out, "model", "trainer.json"))) {
      model.dispose();
      throw new Error(
        `--out ${out} already holds a run; pass --resume to continue it, or choose another --out`,
      );
    }
    await writeManifest(join(out, "run.json"), { ...manifestBase, status: "running" });
  }
  // The last epoch's evaluation scores the final model: kept, so the test set is scored once.
  let lastTestScores: Float32Array | undefined;
  const evaluate = async (m: EdeGan) => {
    lastTestScores = (await scoreImages(m, data.test)).scores;
    return rocAuc(lastTestScores, data.testIsAnomaly);
  };
  try {
    const { history, steps, optimisers } = await fit(model, data.train, {
      epochs: opts.epochs,
      batchSize: opts.batchSize,
      seed: opts.seed,
      evaluate: opts.evaluateEachEpoch === false ? undefined : evaluate,
      checkpointDir: out ? join(out, "model") : undefined,
      resume: opts.resume,
      progress: opts.progress ?? silentProgress,
      onStep: opts.onStep,
      onEpoch: async (record, live) => {
        if (out) {
          await writeManifest(join(out, "run.json"), {
            ...manifestBase,
            status: "running",
            lastEpoch: record.epoch,
          });
        }
        await opts.onEpoch?.(record, live);
      },
    });
    opts.progress?.finish();
    const calibration = calibrate((await scoreImages(model, data.val)).scores, opts.fpr ?? 0.05);
    const testScores = lastTestScores ?? (await scoreImages(model, data.test)).scores;
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
    const seconds = (performance.now() - started) / 1000;
    try {
      if (out) {
        await saveModel(join(out, "model"), model, {
          calibration,
          optimisers: { ...optimisers },
          trainer: {
            epoch: opts.epochs,
            step: steps.at(-1)?.step ?? 0,
            extra: { history, steps },
          },
        });
        await writeScoresCsv(
          join(out, "scores.csv"),
          testScores,
          labels,
          data.test.labels,
          calibration,
        );
        await writeManifest(join(out, "run.json"), {
          ...manifestBase,
          status: "finished",
          metrics,
          calibration,
          history,
          steps,
          seconds,
        });
      }
    } finally {
      optimisers.generator.dispose();
      optimisers.discriminator.dispose();
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
      seconds,
    };
  } catch (error) {
    model.dispose();
    if (out) {
      await writeManifest(join(out, "run.json"), {
        ...manifestBase,
        status: "failed",
        error: (error as Error).message,
      });
    }
    throw error;
  }
}
