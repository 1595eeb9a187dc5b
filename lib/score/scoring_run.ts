/**
 * A trained run made ready for scoring: its model, its calibration, its data split as recorded in
 * `run.json`, and the BatchNorm mode to score with (given, or chosen on the validation split).
 * Any registered model loads (as the kind its `model.json` records); the BatchNorm modes other
 * than `moving` are a model's own, reached through its registry entry's `batchNormScoring`
 * (EDE-GAN's study in `lib/models/ede_gan/`), and asking them of a model without it is an error
 * naming `--bn-stats` and the model.
 *
 * @module
 */

import { join } from "@std/path";
import type { AnomalyModel } from "../models/anomaly_model.ts";
import { batchNormScoringOf } from "../models/registry.ts";
import { loadModel } from "../train/checkpoint.ts";
import { readRunManifest, type RunManifest, runTraining } from "../run/manifest.ts";
import { loadOneClass, oneClassOptionsOf } from "../data/protocol.ts";
import type { DatasetName, OneClassSplit, Protocol } from "../data/types.ts";
import type { OneClassOptions } from "../data/options.ts";
import { resolveModelDir } from "./model_dir.ts";
import {
  BATCH_NORM_STATS_MODES,
  type BatchNormChoice,
  type BatchNormStatistics,
  type BatchNormStatsMode,
} from "../models/batch_norm_scoring.ts";
import { scoreImages } from "./score.ts";
import { calibrate, type Calibration } from "./calibrate.ts";

/** The data a score run reads, and where its folder came from (for errors). */
export interface ScoringDataSource {
  options: OneClassOptions;
  /** Where the data folder came from, e.g. `--data-dir D`, `recorded in RUN/run.json`. */
  origin: string;
}

/**
 * The dataset split `deno task score` reads: the run's own (as recorded in its `run.json`) unless
 * flags name another. A dataset other than the run's is looked for in its own default location
 * (or `--data-dir`), never in the run's data folder; `origin` says where the folder came from, so
 * that an error can name it.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { scoringDataSource } from "./scoring_run.ts";
 * const recorded = { dataset: "folder" as const, dataDir: "/data/parts", normal: 0, splitSeed: 3 };
 * const other = scoringDataSource({ dataset: "mnist", normal: 3 }, recorded, "R/run.json");
 * assertEquals([other.options.dataDir, other.origin], [undefined, "mnist's default location"]);
 * const own = scoringDataSource({}, recorded, "R/run.json");
 * assertEquals([own.options.dataDir, own.origin], ["/data/parts", "the data folder recorded in R/run.json"]);
 * ```
 */
export function scoringDataSource(
  flags: {
    dataset?: DatasetName;
    dataDir?: string;
    normal?: number;
    protocol?: Protocol;
    splitSeed?: number;
  },
  recorded: OneClassOptions | undefined,
  runJson: string,
): ScoringDataSource {
  const dataset = flags.dataset ?? recorded?.dataset;
  const normal = flags.normal ?? recorded?.normal;
  if (dataset === undefined || normal === undefined) {
    throw new Error(
      `--dataset and --normal: required when the model has no run.json beside it (${runJson})`,
    );
  }
  // The run's own data: its recorded split (seed, limits, validation share) and folder.
  const own = recorded !== undefined && recorded.dataset === dataset;
  const base: Partial<OneClassOptions> = own ? recorded : { splitSeed: recorded?.splitSeed };
  const dataDir = flags.dataDir ?? (own ? recorded.dataDir : undefined);
  const origin = flags.dataDir !== undefined
    ? `--data-dir ${flags.dataDir}`
    : dataDir !== undefined
    ? `the data folder recorded in ${runJson}`
    : `${dataset}'s default location`;
  return {
    options: {
      ...base,
      dataset,
      normal,
      dataDir,
      protocol: flags.protocol ?? base.protocol,
      splitSeed: flags.splitSeed ?? base.splitSeed,
      testLimit: undefined,
    },
    origin,
  };
}

/** What `--bn-stats` accepts: a mode, `auto` (chosen on validation) or `all` (a comparison). */
export type BatchNormStatsFlag = BatchNormStatsMode | "auto" | "all";

/** A run loaded for scoring. */
export interface ScoringRun {
  modelDir: string;
  model: AnomalyModel;
  /** The calibration saved with the model (its own score, moving statistics), if any. */
  calibration?: Calibration;
  /** The run's manifest. */
  run: RunManifest;
  /** The run's own split (dataset, class, seed, limits as recorded). */
  data: OneClassSplit;
  /** The batch size the run trained at (recomputed statistics use it). */
  trainBatchSize: number;
  /** Which weights of a run trained with `--ema` are scored: the average (default) or the live. */
  weights?: "averaged" | "live";
}

/**
 * Loads the run or model folder `model` (as `--model` names it) with the data split recorded in
 * its `run.json`; errors name `--model` and the file. `weights: "live"` loads a `--ema` run's live
 * weights instead of its averaged generator (a run without an average has only its live weights).
 *
 * @example
 * ```ts ignore
 * // not run as a test: it needs a run folder written by `deno task train`
 * import { loadScoringRun } from "./scoring_run.ts";
 * const { model, data } = await loadScoringRun("runs/mnist-2");
 * ```
 */
export async function loadScoringRun(
  model: string,
  opts: { weights?: "averaged" | "live" } = {},
): Promise<ScoringRun> {
  const modelDir = await resolveModelDir(model);
  const runJson = join(modelDir, "..", "run.json");
  const run = await readRunManifest(runJson);
  if (!run?.data) {
    throw new Error(
      `--model ${model}: ${runJson} is missing or records no data; scoring a run needs the ` +
        "data split it was trained on",
    );
  }
  const recorded = oneClassOptionsOf(run.data);
  const loaded = await loadModel(modelDir, opts).catch((error: Error) => {
    throw new Error(`--model ${model}: ${error.message}`);
  });
  try {
    const data = await loadOneClass({
      ...recorded,
      ...(recorded.dataDir !== undefined
        ? { dataDirOrigin: `the data folder recorded in ${runJson}` }
        : {}),
      imageSize: loaded.model.config.imageSize,
      channels: loaded.model.config.channels as 1 | 3,
    });
    const training = runTraining(run);
    return {
      modelDir,
      model: loaded.model,
      calibration: loaded.calibration,
      run,
      data,
      trainBatchSize: training?.batchSize ?? 64,
      weights: opts.weights ?? "averaged",
    };
  } catch (error) {
    loaded.model.dispose();
    throw error;
  }
}

/** The BatchNorm modes a `--bn-stats` value asks for, with what scoring them needs. */
export interface BatchNormResolution {
  /** The modes to score with (one, or all three for `all`). */
  modes: BatchNormStatsMode[];
  /** The statistics of `recomputed`, when a mode needs them or `auto` tried it. */
  recomputedStats?: BatchNormStatistics;
  /** Where they are stored, and whether they were computed now. */
  recomputedPath?: string;
  recomputedNow?: boolean;
  /** The validation choice (for `auto` and `all`). */
  choice?: BatchNormChoice;
}

/**
 * Resolves `--bn-stats` for a run through the model's registry entry (`batchNormScoring`):
 * `auto` chooses on the validation normals (recomputing the statistics over the training normals
 * first, or reading them from the run), `all` returns every mode and the validation choice, a
 * mode returns itself (with recomputed statistics when it is `recomputed`). A model without
 * BatchNorm modes of its own resolves `moving` and `auto` to `moving`; any other value is an
 * error naming `--bn-stats`, the value and the model's kind.
 *
 * @example
 * ```ts ignore
 * // not run as a test: it needs a run folder written by `deno task train`
 * import { loadScoringRun, resolveBatchNormStats } from "./scoring_run.ts";
 * const run = await loadScoringRun("runs/mnist-2");
 * const { modes, choice } = await resolveBatchNormStats(run, "auto");
 * ```
 */
export async function resolveBatchNormStats(
  run: ScoringRun,
  flag: BatchNormStatsFlag,
): Promise<BatchNormResolution> {
  if (flag === "moving") return { modes: [flag] };
  if (![...BATCH_NORM_STATS_MODES, "auto", "all"].includes(flag)) {
    throw new Error(
      `--bn-stats: '${flag}' is not one of auto, moving, recomputed, per-image, all`,
    );
  }
  const own = batchNormScoringOf(run.model.name);
  if (!own) {
    // A model without BatchNorm modes of its own is scored as it was reported: moving.
    if (flag === "auto") return { modes: ["moving"] };
    throw new Error(
      `--bn-stats ${flag}: a '${run.model.name}' model is scored with its moving statistics ` +
        "only (--bn-stats moving)",
    );
  }
  if (flag === "per-image") return { modes: [flag] };
  const stored = await own.storedRecomputed(
    run.modelDir,
    run.model,
    run.data.train,
    run.trainBatchSize,
    { weights: run.weights },
  );
  const base = {
    recomputedStats: stored.stats,
    recomputedPath: stored.path,
    recomputedNow: stored.computed,
  };
  if (flag === "recomputed") return { modes: ["recomputed"], ...base };
  const choice = await own.choose(run.model, run.data.val, {
    recomputedStats: stored.stats,
  });
  return {
    modes: flag === "all" ? [...BATCH_NORM_STATS_MODES] : [choice.mode],
    ...base,
    choice,
  };
}

/** How `deno task score` scores: the options to pass on, the threshold, and what to record. */
export interface ScoringSetup {
  /** One of the model's `scoreKinds`. */
  scoreKind: string;
  bnStats: BatchNormStatsMode;
  recomputedStats?: BatchNormStatistics;
  /** The threshold for this kind and mode: the stored one, or calibrated on validation now. */
  calibration?: Calibration;
  /** What was decided and why, for the output's JSON. */
  record: Record<string, unknown>;
}

/**
 * The BatchNorm statistics a saved model's run reported its scores with: what `deno task score
 * --bn-stats run` (the default) scores it with before any data is read. The run's
 * `scoring.bnStats` (run.json beside the model folder), else the training default for its batch
 * size (`moving` at batch 64, `auto`, chosen on the validation normals, at batch 1); a distilled
 * student's and a model without a run, `moving`.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { loadModel } from "../train/checkpoint.ts";
 * import { resolveModelDir } from "./model_dir.ts";
 * import { runBatchNormMode } from "./scoring_run.ts";
 * import * as tf from "../tf.ts";
 * await tf.setBackend("cpu");
 * const dir = await resolveModelDir("shipped:mnist-2-311-pkdgan");
 * const { model } = await loadModel(dir);
 * assertEquals(await runBatchNormMode(dir, model), "moving");
 * model.dispose();
 * ```
 */
export async function runBatchNormMode(
  modelDir: string,
  model: AnomalyModel,
): Promise<BatchNormStatsMode | "auto"> {
  const run = await readRunManifest(join(modelDir, "..", "run.json"));
  if (!run?.data) return "moving";
  return batchNormScoringOf(model.name)?.runMode(run.kind === "distill" ? {} : run) ?? "moving";
}

/**
 * Settles how a saved model scores for `deno task score`: `scoreKind` and `bnStats` (`run`, the
 * default: the statistics the run's own metrics used, the `runMode` of the model's registry
 * entry's `batchNormScoring`, so that scoring a run's test split gives its `run.json` AUC; `moving`
 * for a model without BatchNorm modes; `auto` chooses on the validation normals; or a mode by
 * name). The model's stored
 * calibration belongs to its own score (the first of its `scoreKinds`: EDE-GAN's latent distance)
 * under moving statistics; any other kind or mode is
 * calibrated anew on the run's validation normals at the run's false-positive rate (never the
 * test set). A model without `run.json` beside it has no validation split: `auto` then keeps
 * `moving` (and says so in `record.note`), and another kind or mode is an error naming the flag.
 *
 * @example
 * ```ts ignore
 * // not run as a test: it needs a trained model folder and its calibration
 * import { prepareScoring } from "./scoring_run.ts";
 * const setup = await prepareScoring("runs/mnist-2/model", model, calibration,
 *   { scoreKind: "latent", bnStats: "auto" });
 * ```
 */
export async function prepareScoring(
  modelDir: string,
  model: AnomalyModel,
  stored: Calibration | undefined,
  opts: { scoreKind: string; bnStats: BatchNormStatsMode | "auto" | "run" },
): Promise<ScoringSetup> {
  const { scoreKind } = opts;
  // The score the model's stored calibration belongs to (EDE-GAN's latent distance).
  const own = model.scoreKinds[0];
  if (!model.scoreKinds.includes(scoreKind)) {
    throw new Error(
      `--score-kind ${scoreKind}: a '${model.name}' model scores ${model.scoreKinds.join(", ")}`,
    );
  }
  const runJson = join(modelDir, "..", "run.json");
  const run = await readRunManifest(runJson);
  if (!run?.data) {
    // Without the run's manifest neither rule has what it needs: the model's own score keeps the
    // moving averages and says why.
    if (scoreKind === own && (opts.bnStats === "run" || opts.bnStats === "auto")) {
      const note = opts.bnStats === "run"
        ? `no ${runJson}, so no run's statistics to follow; moving kept`
        : `--bn-stats auto: no ${runJson}, so no validation split to choose on; moving kept`;
      return {
        scoreKind,
        bnStats: "moving",
        calibration: stored,
        record: {
          scoreKind,
          bnStats: "moving",
          ...(opts.bnStats === "run" ? { asked: "run" } : {}),
          note,
        },
      };
    }
    if (opts.bnStats === "run") opts = { ...opts, bnStats: "moving" };
    if (opts.bnStats === "moving" && scoreKind === own) {
      return { scoreKind, bnStats: "moving", calibration: stored, record: { scoreKind } };
    }
    throw new Error(
      `--score-kind ${scoreKind} --bn-stats ${opts.bnStats}: needs the run's validation split ` +
        `to calibrate (and choose) on, and ${runJson} is missing or records no data; use ` +
        `--score-kind ${own} --bn-stats moving with a bare model folder`,
    );
  }
  const recorded = oneClassOptionsOf(run.data);
  const data = await loadOneClass({
    ...recorded,
    imageSize: model.config.imageSize,
    channels: model.config.channels as 1 | 3,
  });
  const training = runTraining(run);
  const scoringRun: ScoringRun = {
    modelDir,
    model,
    calibration: stored,
    run,
    data,
    trainBatchSize: training?.batchSize ?? 64,
  };
  // One rule with training: a run is scored with the statistics it was reported with.
  const flag = opts.bnStats === "run" ? await runBatchNormMode(modelDir, model) : opts.bnStats;
  const bn = await resolveBatchNormStats(scoringRun, flag);
  const bnStats = bn.modes[0];
  let calibration = stored;
  if (scoreKind !== own || bnStats !== "moving" || !stored) {
    const { scores } = await scoreImages(model, data.val, {
      scoreKind,
      bnStats,
      recomputedStats: bn.recomputedStats,
    });
    calibration = calibrate(scores, (run.kind === "train" ? run.training.fpr : null) ?? 0.05);
  }
  return {
    scoreKind,
    bnStats,
    recomputedStats: bn.recomputedStats,
    calibration,
    record: {
      scoreKind,
      bnStats,
      asked: opts.bnStats,
      ...(opts.bnStats === "run"
        ? { rule: "the run's own statistics (run.json scoring.bnStats; else the training default)" }
        : {}),
      calibratedOn: calibration === stored ? "stored with the model" : "validation normals, now",
      ...(bn.choice ? { choice: bn.choice } : {}),
      ...(bn.recomputedPath ? { recomputedStats: bn.recomputedPath } : {}),
    },
  };
}
