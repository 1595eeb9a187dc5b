/**
 * Packing a finished run into `models/<name>/` (`deno task ship`): its model as scored (a `--ema`
 * run's averaged generator, with the discriminator that distillation's joint step trains against),
 * without optimiser or training state; its `run.json`, calibrated threshold and `scores.csv`, and
 * its BatchNorm statistics recomputed over the training normals (`bn-recomputed.json`). A run
 * scored with each image's own BatchNorm statistics (`per-image`, as batch-1 runs choose on their
 * validation normals) ships too: its copy is checked, and later scored (`run.json` says how), the
 * same way; one scored with recomputed statistics is refused.
 *
 * Storage ({@link ShipStorage}): `float16` halves the bytes and scores within 1e-4 of the float32
 * model; `mixed` keeps the scoring path (E1, Dec, E2) in float32, so scores match to float32
 * rounding (1e-5), and only the discriminator (not on the scoring path) in float16; `float32` keeps
 * everything. `auto` (default) takes float16 where it reproduces the scores within 1e-4, else
 * mixed. The packed copy is loaded back and re-scores the run's test set before it replaces
 * anything: a copy whose scores differ from `scores.csv` by more than its tolerance is refused.
 *
 * @module
 */

import { join } from "@std/path";
import { loadEdeGan, modelCost } from "../models/ede_gan/mod.ts";
import { saveModel } from "../train/checkpoint.ts";
import type { EdeGan } from "../models/ede_gan/mod.ts";
import type { OneClassSplit } from "../data/types.ts";
import { readRunManifest } from "../run/manifest.ts";
import { loadOneClass, oneClassOptionsOf } from "../data/protocol.ts";
import type { DataManifest } from "../data/types.ts";
import { readScoresCsv } from "../score/csv.ts";
import { scoreImages } from "../score/score.ts";
import { resolveModelDir } from "../score/model_dir.ts";
import { rocAuc } from "../metrics/mod.ts";
import type { Calibration } from "../score/calibrate.ts";
import { storedRecomputedStats } from "../models/ede_gan/batch_norm_stats.ts";
import { replaceFolderAtomic, writeJsonAtomic } from "../util/atomic.ts";
import {
  readShippedIndex,
  SHIPPED_INDEX_FORMAT,
  type ShippedModel,
  shippedModelsDir,
} from "./shipped.ts";

/** How a shipped model stores its weights (see the module documentation). */
export type ShipStorage = "float16" | "mixed" | "float32";

/** How close a packed model's scores must be to the run's `scores.csv`, by storage. */
export const SCORE_TOLERANCE: Record<ShipStorage, number> = {
  float16: 1e-4,
  mixed: 1e-5,
  float32: 1e-5,
};

/** Options of {@link packRun}. */
export interface PackOptions {
  /** Storage of the weights (default `auto`: float16 where it reproduces the scores, else mixed). */
  dtype?: ShipStorage | "auto";
  /** Where shipped models live (default {@link shippedModelsDir}). */
  modelsDir?: string;
  log?: (line: string) => void;
}

/**
 * Packs the finished run (a `deno task train` run, or a student job folder of `deno task
 * distill`: `run.json`, `model/`, `scores.csv`) into `modelsDir/name` and lists it in
 * `modelsDir/index.json` (both written atomically; a model of the same name is replaced).
 *
 * @throws {Error} naming `--run` when the run is unfinished or lacks a file, naming `--name` when
 *   the name is not kebab-case, and when the packed model does not reproduce `scores.csv`.
 *
 * @example
 * ```ts ignore
 * // not run as a test: it needs a finished run (tests/ship/pack_test.ts trains one)
 * import { packRun } from "./pack.ts";
 * const shipped = await packRun("runs/mnist-2", "mnist-2");
 * console.log(shipped.bytes);
 * ```
 */
export async function packRun(
  runDir: string,
  name: string,
  opts: PackOptions = {},
): Promise<ShippedModel> {
  const asked = opts.dtype ?? "auto";
  const modelsDir = opts.modelsDir ?? shippedModelsDir();
  const log = opts.log ?? (() => {});
  if (!/^[a-z0-9]+(-[a-z0-9]+)*$/.test(name)) {
    throw new Error(`--name: '${name}', expected lower-case words joined by '-' (mnist-2)`);
  }
  const run = await readRunManifest(join(runDir, "run.json"));
  if (!run) throw new Error(`--run ${runDir}: no run.json; expected a finished run folder`);
  if (run.status !== "finished") {
    throw new Error(`--run ${runDir}: run.json says '${run.status}', expected 'finished'`);
  }
  if (run.kind === "distill") {
    throw new Error(
      `--run ${runDir}: a '${run.kind}' run; expected a train run or a distill student job ` +
        "(RUN/jobs/<job>)",
    );
  }
  const role = run.kind === "student" ? "student" : "teacher";
  const bnStats = run.scoring?.bnStats ?? "moving";
  if (bnStats !== "moving" && bnStats !== "per-image") {
    throw new Error(
      `--run ${runDir}: its scores.csv was scored with '${bnStats}' BatchNorm statistics; only ` +
        "runs scored with the moving averages or each image's own statistics (per-image) can be " +
        "shipped",
    );
  }
  const committed = await readScoresCsv(join(runDir, "scores.csv")).catch((error: Error) => {
    throw new Error(`--run ${runDir}: ${error.message}`);
  });
  const { model, calibration } = await loadEdeGan(await resolveModelDir(runDir));
  if (!calibration) {
    model.dispose();
    throw new Error(`--run ${runDir}: its model has no calibrated threshold`);
  }
  const data = await loadOneClass({
    ...oneClassOptionsOf(run.data as Partial<DataManifest>),
    imageSize: model.config.imageSize,
    channels: model.config.channels as 1 | 3,
  });
  if (data.test.count !== committed.scores.length) {
    model.dispose();
    throw new Error(
      `--run ${runDir}: scores.csv has ${committed.scores.length} rows, its test set ` +
        `${data.test.count} images`,
    );
  }
  const trainBatchSize = (run.training as { batchSize?: number } | undefined)?.batchSize ?? 64;
  const target = join(modelsDir, name);
  let maxDiff = 0;
  let dtype: ShipStorage = asked === "auto" ? "float16" : asked;
  try {
    await Deno.mkdir(modelsDir, { recursive: true });
    await replaceFolderAtomic(target, async (tmp) => {
      await Deno.copyFile(join(runDir, "run.json"), join(tmp, "run.json"));
      await Deno.copyFile(join(runDir, "scores.csv"), join(tmp, "scores.csv"));
      for (;;) {
        log(`${name}: scoring ${data.test.count} test images with the ${dtype} copy`);
        maxDiff = await writeAndCheck(
          join(tmp, "model"),
          model,
          calibration,
          dtype,
          data,
          committed.scores,
          trainBatchSize,
          bnStats,
        );
        if (maxDiff <= SCORE_TOLERANCE[dtype]) break;
        if (asked === "auto" && dtype === "float16") {
          log(`${name}: float16 scores up to ${maxDiff} away (over 1e-4); storing mixed`);
          dtype = "mixed";
          continue;
        }
        throw new Error(
          `--run ${runDir}: the ${dtype} copy scores up to ${maxDiff} away from scores.csv, ` +
            `more than ${SCORE_TOLERANCE[dtype]}; nothing written`,
        );
      }
    });
  } finally {
    model.dispose();
  }
  const training = (run.kind === "train" ? run.training : run.student) as Record<string, unknown>;
  const entry: ShippedModel = {
    name,
    role,
    dataset: data.manifest.dataset,
    normalClass: data.manifest.normalClass,
    protocol: data.manifest.protocol,
    imageSize: model.config.imageSize,
    channels: model.config.channels,
    width: model.config.width,
    latentSize: model.config.latentSize,
    latent: model.config.latent,
    params: modelCost(model.config).generator.params,
    dtype,
    bytes: await folderBytes(target),
    auc: rocAuc(committed.scores, data.testIsAnomaly),
    threshold: calibration.threshold,
    bnStats,
    scoresMaxAbsDiff: maxDiff,
    training: training ?? {},
    source: runDir,
  };
  const index = await readShippedIndex(modelsDir);
  const models = [...index.models.filter((m) => m.name !== name), entry]
    .sort((a, b) => a.name.localeCompare(b.name));
  await writeJsonAtomic(join(modelsDir, "index.json"), { format: SHIPPED_INDEX_FORMAT, models });
  log(`${name}: ${entry.bytes} bytes (${dtype}), scores within ${maxDiff} of scores.csv`);
  return entry;
}

/**
 * Saves `model` into `dir` stored as `dtype`, loads it back, and returns its largest score
 * difference from `committed` on the test set, scored with the run's BatchNorm statistics
 * (`bnStats`: the moving averages, or each image's own). The BatchNorm statistics recomputed over
 * the training normals (what `deno task score --bn-stats auto` compares on validation) are stored
 * beside it, so that scoring a shipped model never writes into `models/`.
 */
async function writeAndCheck(
  dir: string,
  model: EdeGan,
  calibration: Calibration,
  dtype: ShipStorage,
  data: OneClassSplit,
  committed: number[],
  trainBatchSize: number,
  bnStats: "moving" | "per-image",
): Promise<number> {
  await saveModel(dir, model, {
    calibration,
    dtype: dtype === "mixed"
      ? (weight) => weight.startsWith("discriminator/") ? "float16" : "float32"
      : dtype,
  });
  const { model: packed } = await loadEdeGan(dir);
  try {
    const { scores } = await scoreImages(packed, data.test, { bnStats });
    const diff = maxAbsDifference(scores, committed);
    if (diff <= SCORE_TOLERANCE[dtype]) {
      await storedRecomputedStats(dir, packed, data.train, trainBatchSize);
    }
    return Number.isNaN(diff) ? Infinity : diff;
  } finally {
    packed.dispose();
  }
}

/**
 * The largest |a[i] - b[i]|; NaN when the lengths differ.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { maxAbsDifference } from "./pack.ts";
 * assertEquals(maxAbsDifference([1, 2], [1.5, 2]), 0.5);
 * ```
 */
export function maxAbsDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return NaN;
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

/** Bytes of the files under `dir`. */
async function folderBytes(dir: string): Promise<number> {
  let total = 0;
  for await (const entry of Deno.readDir(dir)) {
    const path = join(dir, entry.name);
    total += entry.isDirectory ? await folderBytes(path) : (await Deno.stat(path)).size;
  }
  return total;
}
