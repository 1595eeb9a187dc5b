/**
 * `deno task export`'s work: a trained run's scoring path written as a TF.js graph model or an
 * ONNX model, with its calibrated threshold, in a folder of its own.
 *
 * @module
 */

import { basename, join } from "@std/path";
import { loadEdeGan } from "../models/ede_gan/mod.ts";
import { readRunManifest } from "../run/manifest.ts";
import { resolveModelDir } from "../score/model_dir.ts";
import type { Calibration } from "../score/calibrate.ts";
import {
  BATCH_NORM_STATS_MODES,
  type BatchNormStatistics,
  type BatchNormStatsMode,
} from "../models/ede_gan/batch_norm_stats.ts";
import { loadScoringRun, resolveBatchNormStats } from "../score/scoring_run.ts";
import { exists, replaceFolderAtomic } from "../util/atomic.ts";
import { scoringPath } from "./scoring_path.ts";
import { TFJS_WEIGHTS_FILE, tfjsGraphModel } from "./tfjs_graph.ts";
import { onnxModel } from "./onnx_model.ts";
import {
  EXPORT_FORMATS,
  EXPORT_METADATA_FILE,
  type ExportFormat,
  type ExportMetadata,
  exportMetadata,
} from "./metadata.ts";

/** Options of {@link exportRun}. */
export interface ExportOptions {
  /** A run folder (with `model/` and `run.json`) or a model folder, as `--model` names it. */
  model: string;
  format: ExportFormat;
  /** The export folder; replaced atomically when it holds an earlier export. */
  out: string;
}

/** What {@link exportRun} wrote. */
export interface ExportResult {
  out: string;
  /** The files in `out`, names only. */
  files: string[];
  /** Their total size in bytes. */
  bytes: number;
  metadata: ExportMetadata;
}

/**
 * Exports the scoring path of the EDE-GAN in `opts.model` (its averaged generator when it was
 * trained with `--ema`, as scoring uses) to `opts.out`: `model.json` + `weights.bin` (TF.js graph
 * model, `tf.loadGraphModel`) or `model.onnx`, and `edegan-export.json` (see
 * {@link ExportMetadata}). The BatchNorm statistics and the threshold are the run's own
 * (`run.json`'s `scoring.bnStats` and `calibration`); a bare model folder uses the moving
 * averages and the calibration in its `model.json`. Moving and recomputed statistics are folded
 * into the convolutions (recomputed ones are read from the run's `bn-recomputed.json`, or
 * re-estimated over its training normals and stored there, as `deno task score` does); per-image
 * statistics are exported as a per-image normalisation (InstanceNormalization). Nothing is
 * written in `out` when a check fails.
 *
 * @throws Error naming `--format`, `--model` or `--out`: an unknown format; no model there, or
 *   not an EDE-GAN; no calibrated threshold; an `--out` that holds something other than an
 *   earlier export (it is never overwritten).
 *
 * @example
 * ```ts ignore
 * // not run as a test: it needs a run folder written by `deno task train` (tests/export runs it)
 * import { exportRun } from "./export_run.ts";
 * const { files } = await exportRun({ model: "runs/mnist-2", format: "onnx", out: "exports/mnist-2" });
 * ```
 */
export async function exportRun(opts: ExportOptions): Promise<ExportResult> {
  if (!(EXPORT_FORMATS as readonly string[]).includes(opts.format)) {
    throw new Error(`--format: '${opts.format}' is not one of ${EXPORT_FORMATS.join(", ")}`);
  }
  const modelDir = await resolveModelDir(opts.model);
  await checkOut(opts.out);
  const run = await readRunManifest(join(modelDir, "..", "run.json"));
  const scoring = run?.kind === "distill" ? undefined : run?.scoring;
  const bnStats = (scoring?.bnStats ?? "moving") as BatchNormStatsMode;
  if (!BATCH_NORM_STATS_MODES.includes(bnStats)) {
    throw new Error(`--model ${opts.model}: run.json records bnStats '${bnStats}', unknown here`);
  }
  let recomputedStats: BatchNormStatistics | undefined;
  if (bnStats === "recomputed") {
    // The statistics the run scored with: re-estimated over its training normals (or read back).
    const scoringRun = await loadScoringRun(opts.model);
    try {
      recomputedStats = (await resolveBatchNormStats(scoringRun, "recomputed")).recomputedStats;
    } finally {
      scoringRun.model.dispose();
    }
  }
  const { model, calibration: stored } = await loadEdeGan(modelDir).catch((error: Error) => {
    throw new Error(`--model ${opts.model}: ${error.message}`);
  });
  try {
    const fromRun = run?.kind === "distill"
      ? undefined
      : run?.calibration as Calibration | undefined;
    const calibration = fromRun ?? stored;
    if (!calibration || !Number.isFinite(calibration.threshold)) {
      throw new Error(
        `--model ${opts.model}: no calibrated threshold (neither run.json's 'calibration' nor ` +
          `model.json's); an export carries the threshold its decisions use`,
      );
    }
    const path = scoringPath(model, bnStats, recomputedStats);
    const data = run?.data as Record<string, unknown> | undefined;
    const metadata = exportMetadata(path, opts.format, {
      source: opts.model,
      config: { ...model.config },
      calibration,
      // Relative to the run folder (the model folder's parent), as the metadata's docs say: an
      // absolute path would name the exporting machine's folders.
      calibrationSource: fromRun
        ? "run.json (calibration)"
        : `${basename(modelDir)}/model.json (calibration)`,
      ...(data
        ? {
          data: { dataset: data.dataset, normalClass: data.normalClass, protocol: data.protocol },
        }
        : {}),
    });
    const files: Record<string, Uint8Array | string> = {
      [EXPORT_METADATA_FILE]: JSON.stringify(metadata, null, 2) + "\n",
    };
    if (opts.format === "tfjs") {
      const { modelJson, weights } = tfjsGraphModel(path, { edegan: metadata });
      files["model.json"] = JSON.stringify(modelJson);
      files[TFJS_WEIGHTS_FILE] = weights;
    } else {
      files["model.onnx"] = onnxModel(path, { edegan: metadata });
    }
    await replaceFolderAtomic(opts.out, async (tmp) => {
      for (const [name, content] of Object.entries(files)) {
        if (typeof content === "string") await Deno.writeTextFile(join(tmp, name), content);
        else await Deno.writeFile(join(tmp, name), content);
      }
    });
    const bytes = Object.values(files).reduce(
      (n, c) => n + (typeof c === "string" ? new TextEncoder().encode(c).length : c.byteLength),
      0,
    );
    return { out: opts.out, files: Object.keys(files).sort(), bytes, metadata };
  } finally {
    model.dispose();
  }
}

/** `--out` must be new, empty, or an earlier export: anything else would be replaced. */
async function checkOut(out: string): Promise<void> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(out);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return;
    throw new Error(`--out ${out}: cannot look at it (${(error as Error).message})`);
  }
  if (!info.isDirectory) {
    throw new Error(`--out ${out}: is a file, expected a folder (or a new path)`);
  }
  if (await exists(join(out, EXPORT_METADATA_FILE))) return;
  for await (const _ of Deno.readDir(out)) {
    throw new Error(
      `--out ${out}: holds files and no ${EXPORT_METADATA_FILE}; an export replaces its folder, ` +
        "so it goes to a new or empty folder, or over an earlier export",
    );
  }
}
