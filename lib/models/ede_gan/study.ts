/**
 * The paper's two claims as studies: batch size 1 trains best, and a constraint on the latent
 * space helps. Each study trains the same class under each setting, with everything else (data,
 * seed, images seen) equal, and tabulates test AUC and wall time.
 *
 * @module
 */

import type { LatentConstraint } from "./mod.ts";
import {
  checkRunData,
  checkTrainOptions,
  loadRunData,
  trainRun,
  type TrainRunOptions,
} from "../../train/run.ts";
import type { OneClassSplit } from "../../data/types.ts";

/** A study's name. */
export type StudyName = "batch-size" | "latent";

/** One row of a study's table. */
export interface StudyRow {
  setting: string;
  batchSize: number;
  latent: LatentConstraint;
  auc: number;
  averagePrecision: number;
  seconds: number;
  imagesPerSecond: number;
}

/**
 * Runs a study: `batch-size` trains at each of `batchSizes` (default 1, 8, 64); `latent` trains
 * with the `tanh` constraint and with `none`. `base` fixes everything else. Every setting is
 * checked before the first trains (a batch size larger than the training set fails at once, not
 * after the others trained). With `base.out`, each setting is a run in `out/<study>-<setting>`, so
 * that `base.resume` continues a study that failed part-way without training again what finished.
 *
 * @example
 * ```ts ignore
 * // not run as a test: it trains one model per variant (tests/train/reliability_test.ts runs it)
 * import { runStudy } from "./study.ts";
 * const rows = await runStudy("latent", { dataset: "mnist", normal: 1, epochs: 1, batchSize: 16,
 *   seed: 0, model: { width: 8 }, limit: 512 });
 * console.log(rows);
 * ```
 */
export async function runStudy(
  study: StudyName,
  base: TrainRunOptions,
  batchSizes: number[] = [1, 8, 64],
): Promise<StudyRow[]> {
  const data: OneClassSplit = base.data ?? await loadRunData(base);
  const settings = study === "batch-size"
    ? batchSizes.map((b) => ({
      batchSize: b,
      latent: (base.model?.latent ?? "tanh") as LatentConstraint,
    }))
    : (["tanh", "none"] as const).map((l) => ({ batchSize: base.batchSize, latent: l }));
  for (const { batchSize } of settings) {
    checkTrainOptions({ ...base, batchSize });
    checkRunData(data, { batchSize, fpr: base.fpr });
  }
  const rows: StudyRow[] = [];
  for (const { batchSize, latent } of settings) {
    const run = await trainRun({
      ...base,
      data,
      batchSize,
      model: { ...base.model, latent },
      evaluateEachEpoch: false,
      out: base.out ? `${base.out}/${study}-${study === "latent" ? latent : batchSize}` : undefined,
    });
    run.model.dispose();
    const seen = run.history.reduce((n, h) => n + h.imagesPerSecond * h.seconds, 0);
    const trainSeconds = run.history.reduce((n, h) => n + h.seconds, 0);
    rows.push({
      setting: study === "latent" ? `latent ${latent}` : `batch ${batchSize}`,
      batchSize,
      latent,
      auc: run.metrics.auc,
      averagePrecision: run.metrics.averagePrecision,
      seconds: Math.round(run.seconds * 10) / 10,
      imagesPerSecond: Math.round((seen / trainSeconds) * 10) / 10,
    });
  }
  return rows;
}
