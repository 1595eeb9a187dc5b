/**
 * `deno task score`: loads a saved model and scores a dataset split or a folder of images, writing
 * CSV and JSON rows (item, score, label if known, decision at the calibrated threshold).
 *
 * @module
 */

import { join } from "@std/path";
import { parseFlags, runTask } from "../lib/cli/flags.ts";
import type { BackendChoice } from "../lib/backend/select.ts";
import { startBackend } from "../lib/cli/run_flags.ts";
import { loadEdeGan as loadModel } from "../lib/models/ede_gan/mod.ts";
import { loadOneClass, oneClassOptionsOf } from "../lib/data/protocol.ts";
import type { DataManifest, DatasetName, Protocol, SkippedFiles } from "../lib/data/types.ts";
import { scoreImages } from "../lib/score/score.ts";
import type { ScoreKind } from "../lib/models/ede_gan/mod.ts";
import { prepareScoring } from "../lib/score/scoring_run.ts";
import type { BatchNormStatsMode } from "../lib/score/batch_norm_stats.ts";
import { loadImageFolder } from "../lib/score/images.ts";
import { resolveModelDir } from "../lib/score/model_dir.ts";
import { SHIPPED_PREFIX } from "../lib/ship/shipped.ts";
import { writeScoresCsv } from "../lib/score/csv.ts";
import { decide } from "../lib/score/calibrate.ts";
import { readManifest } from "../lib/train/manifest.ts";
import { writeJsonAtomic } from "../lib/util/atomic.ts";
import { prepareOutFile } from "../lib/util/out_dir.ts";
import { terminalProgress } from "../lib/util/progress.ts";

await runTask(async () => {
  const flags = parseFlags("score", Deno.args, {
    model: undefined,
    images: undefined,
    dataset: undefined,
    "data-dir": undefined,
    normal: undefined,
    protocol: undefined,
    split: "test",
    seed: undefined,
    backend: "auto",
    threads: undefined,
    out: undefined,
    json: undefined,
    "score-kind": "latent",
    "bn-stats": "auto",
  }, "Score a dataset split (default: the run's own test set) or a folder of images (--images).");
  if (flags === null) return;
  if (!flags.model) throw new Error("--model: required (a run or model directory)");
  if (flags["bn-stats"] === "all") {
    throw new Error("--bn-stats all: score uses one mode; `deno task study score` compares them");
  }
  const modelDir = await resolveModelDir(flags.model as string);
  // Beside the run; for a shipped model (committed under models/), under runs/ instead.
  const shipped = String(flags.model).startsWith(SHIPPED_PREFIX)
    ? String(flags.model).slice(SHIPPED_PREFIX.length)
    : undefined;
  const out = (flags.out as string | undefined) ??
    join(
      shipped ? join("runs", `score-${shipped}`) : join(modelDir, ".."),
      `scores-${flags.images ? "images" : flags.split}.csv`,
    );
  const jsonPath = (flags.json as string | undefined) ?? out.replace(/\.csv$/, "") + ".json";
  // Where the scores go is checked before any work, with errors naming the flag.
  await prepareOutFile(out, "--out");
  await prepareOutFile(jsonPath, flags.json ? "--json" : "--out");
  await startBackend(flags.backend as BackendChoice, flags.threads as number | undefined);
  const { model, calibration: stored } = await loadModel(modelDir).catch((error: Error) => {
    throw new Error(`--model ${flags.model}: ${error.message}`);
  });
  const { imageSize, channels } = model.config;
  let set;
  let skipped: SkippedFiles[] = [];
  let isAnomaly: Uint8Array | undefined;
  if (flags.images) {
    const images = await loadImageFolder(flags.images as string, imageSize, channels);
    skipped = images.skipped;
    for (const s of images.skipped) {
      console.log(`skipped ${s.count} file(s) under --images: ${s.reason} (e.g. ${s.examples[0]})`);
    }
    set = images;
  } else {
    // Default to the data the run was trained on, as recorded in its manifest.
    const runJson = join(modelDir, "..", "run.json");
    const run = await readManifest(runJson);
    const recorded = run?.data ? oneClassOptionsOf(run.data as Partial<DataManifest>) : undefined;
    const dataset = (flags.dataset ?? recorded?.dataset) as DatasetName | undefined;
    const normal = (flags.normal ?? recorded?.normal) as number | undefined;
    if (dataset === undefined || normal === undefined) {
      throw new Error(
        `--dataset and --normal: required when the model has no run.json beside it (${runJson})`,
      );
    }
    const split = await loadOneClass({
      ...recorded,
      dataset,
      normal,
      dataDir: (flags["data-dir"] as string | undefined) ?? recorded?.dataDir,
      protocol: (flags.protocol as Protocol | undefined) ?? recorded?.protocol,
      splitSeed: (flags.seed as number | undefined) ?? recorded?.splitSeed,
      testLimit: undefined,
      imageSize,
      channels: channels as 1 | 3,
    });
    const which = flags.split as "train" | "val" | "test";
    set = split[which];
    if (which === "test") isAnomaly = split.testIsAnomaly;
    else isAnomaly = new Uint8Array(set.count);
  }
  const setup = await prepareScoring(modelDir, model, stored, {
    scoreKind: flags["score-kind"] as ScoreKind,
    bnStats: flags["bn-stats"] as BatchNormStatsMode | "auto",
  }).catch((error: Error) => {
    model.dispose();
    throw error;
  });
  const calibration = setup.calibration;
  console.log(
    `score: ${setup.scoreKind}, BatchNorm statistics: ${setup.bnStats}` +
      (setup.record.note ? ` (${setup.record.note})` : ""),
  );
  const { scores } = await scoreImages(model, set, {
    progress: terminalProgress("score"),
    scoreKind: setup.scoreKind,
    bnStats: setup.bnStats,
    recomputedStats: setup.recomputedStats,
  })
    .catch((error: Error) => {
      throw new Error(`--model ${modelDir}: ${error.message}`);
    }).finally(() => model.dispose());
  await writeScoresCsv(
    out,
    scores,
    isAnomaly,
    flags.images ? undefined : set.labels,
    calibration,
    set.names,
  );
  const rows = [...scores].map((score, i) => ({
    item: set.names?.[i] ?? i,
    score,
    ...(isAnomaly ? { label: isAnomaly[i] } : {}),
    ...(calibration ? { decision: decide(score, calibration, String(set.names?.[i] ?? i)) } : {}),
  }));
  await writeJsonAtomic(jsonPath, {
    model: modelDir,
    calibration: calibration ?? null,
    scoring: setup.record,
    skipped,
    rows,
  });
  console.log(`${scores.length} scores written to ${out} and ${jsonPath}`);
});
