/**
 * `deno task score`: loads a saved model and scores a dataset split or a folder of images, writing
 * CSV and JSON rows (item, score, label if known, decision at the calibrated threshold). A folder
 * laid out as a folder dataset's test split (`normal/` and `anomalous/`, or a `labels.csv`) keeps
 * its labels, so that `deno task eval` can read the scores.
 *
 * @module
 */

import { join } from "@std/path";
import { parseFlags, runTask } from "../lib/cli/flags.ts";
import type { BackendChoice } from "../lib/backend/select.ts";
import { startBackend } from "../lib/cli/run_flags.ts";
import { loadModel } from "../lib/train/checkpoint.ts";
import { hasOwnFinalScoring } from "../lib/models/registry.ts";
import { loadOneClass, oneClassOptionsOf } from "../lib/data/protocol.ts";
import { namingFlags } from "../lib/data/options.ts";
import type { DatasetName, ImageSet, Protocol, SkippedFiles } from "../lib/data/types.ts";
import { scoreImages } from "../lib/score/score.ts";
import { prepareScoring, runBatchNormMode, scoringDataSource } from "../lib/score/scoring_run.ts";
import { SCORER_RUNTIMES, ScorerPool, type ScorerRuntime } from "../lib/score/scorer_pool.ts";
import type { BatchNormStatsMode } from "../lib/models/batch_norm_scoring.ts";
import { loadImageFolder } from "../lib/score/images.ts";
import { sourceImageNotes } from "../lib/data/source_images.ts";
import { resolveModelDir } from "../lib/score/model_dir.ts";
import { derivedOutputDir } from "../lib/ship/shipped.ts";
import { writeScoresCsv } from "../lib/score/csv.ts";
import { prepareScoresOutput } from "../lib/score/scores_output.ts";
import { decide } from "../lib/score/calibrate.ts";
import { otherBatchNormStats } from "../lib/models/ede_gan/final_batch_norm.ts";
import { rocAuc } from "../lib/metrics/mod.ts";
import { provenance } from "../lib/run/provenance.ts";
import { readRunManifest } from "../lib/run/manifest.ts";
import { writeJsonAtomic } from "../lib/util/atomic.ts";
import { lockOutputFile } from "../lib/util/run_lock.ts";
import { terminalProgress } from "../lib/util/progress.ts";

await runTask(async () => {
  const flags = parseFlags(
    "score",
    Deno.args,
    {
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
      workers: 1,
      out: undefined,
      json: undefined,
      "score-kind": undefined,
      "bn-stats": "run",
    },
    "Score a dataset split (default: the run's own test set) or a folder of images (--images).\n" +
      "--bn-stats run (default): the BatchNorm statistics the run's own metrics used (run.json), so\n" +
      "that its test split scores to its reported AUC; auto chooses on validation; or a mode.\n" +
      "--out: a CSV file, or a folder that gets scores-SPLIT.csv (scores-images.csv for --images);\n" +
      "default: that file beside the run, runs/score-NAME/ for shipped:NAME. The JSON goes beside\n" +
      "it (--json to choose). An existing file is replaced only if it is an earlier score output.",
    [],
    {
      model: "required: a run folder, or a shipped model (shipped:NAME)",
      out: "a scores CSV, or a folder for scores-SPLIT.csv (default: beside the run)",
    },
  );
  if (flags === null) return;
  if (!flags.model) throw new Error("--model: required (a run or model directory)");
  const modelDir = await resolveModelDir(flags.model as string);
  // Beside the run; for a shipped model (committed under models/), under runs/score-NAME; a
  // folder given as --out gets the same file name.
  const fileName = `scores-${flags.images ? "images" : flags.split}.csv`;
  // Where the scores go is checked before any work, with errors naming the flag: an existing file
  // there is replaced only when it is an earlier output of this task.
  const { csv: out, json: jsonPath } = await prepareScoresOutput(
    (flags.out as string | undefined) ??
      `${derivedOutputDir(String(flags.model), modelDir, "score")}/`,
    fileName,
    flags.json as string | undefined,
  );
  // One writer per output: a second score into the same --out is refused, naming the first.
  await using _lock = await lockOutputFile(out, "--out");
  const backend = await startBackend(
    flags.backend as BackendChoice,
    flags.threads as number | undefined,
  );
  const workers = flags.workers as number;
  if (workers > 1 && !(SCORER_RUNTIMES as readonly string[]).includes(backend.name)) {
    throw new Error(
      `--workers ${workers}: a scorer pool runs on ${SCORER_RUNTIMES.join(", ")}, not ` +
        `${backend.name} (--backend)`,
    );
  }
  const { model, calibration: stored } = await loadModel(modelDir).catch((error: Error) => {
    throw new Error(`--model ${flags.model}: ${error.message}`);
  });
  // Checked before any data is read: the kinds are the model's own (EDE-GAN: latent,
  // reconstruction, features; Deep SVDD: latent).
  const asked = flags["score-kind"] as string | undefined;
  if (asked !== undefined && !model.scoreKinds.includes(asked)) {
    model.dispose();
    throw new Error(
      `--score-kind ${asked}: a '${model.name}' model scores ${model.scoreKinds.join(", ")}`,
    );
  }
  // A pool scores with the model's own kind and its run's statistics: a kind or a fixed mode
  // that differs is refused here, before any data is read (`auto`, chosen on the validation
  // normals, is checked once chosen, below).
  // Why a pool cannot score as asked (`runMode`: the run's statistics, where known).
  const poolRefusal = (runMode?: string) =>
    new Error(
      `--workers ${workers}: a scorer pool scores with the model's own kind ` +
        `(${model.scoreKinds[0]}) and its run's BatchNorm statistics` +
        `${runMode !== undefined ? ` (${runMode})` : ""}; drop --score-kind/--bn-stats, or ` +
        "score with one worker",
    );
  // The statistics the pool's workers score with (read once: the workers read the same run.json).
  const poolMode = workers > 1 ? await runBatchNormMode(modelDir, model) : undefined;
  if (workers > 1) {
    const bn = flags["bn-stats"] as string;
    if (
      (asked !== undefined && asked !== model.scoreKinds[0]) ||
      (bn !== "run" && bn !== "auto" && bn !== poolMode)
    ) {
      model.dispose();
      throw poolRefusal(poolMode);
    }
  }
  const { imageSize, channels } = model.config;
  let set;
  let skipped: SkippedFiles[] = [];
  let isAnomaly: Uint8Array | undefined;
  // What resizing and channel conversion did to the images (grey made RGB, colour made grey).
  let imageNotes: string[] = [];
  let sourceImages: unknown = null;
  if (flags.images) {
    const images = await loadImageFolder(flags.images as string, imageSize, channels);
    skipped = images.skipped;
    imageNotes = images.notes;
    sourceImages = images.sourceImages;
    for (const s of images.skipped) {
      console.log(`skipped ${s.count} file(s) under --images: ${s.reason} (e.g. ${s.examples[0]})`);
    }
    set = images;
    isAnomaly = images.isAnomaly;
    if (isAnomaly) {
      const anomalous = isAnomaly.reduce((a, b) => a + b, 0);
      console.log(
        `--images: labelled folder, ${set.count - anomalous} normal and ${anomalous} anomalous ` +
          "images (labels written to the CSV)",
      );
    }
  } else {
    // Default to the data the run was trained on, as recorded in its manifest.
    const runJson = join(modelDir, "..", "run.json");
    const run = await readRunManifest(runJson);
    const recorded = run?.data ? oneClassOptionsOf(run.data) : undefined;
    const typedOptions = {
      dataset: flags.dataset as DatasetName | undefined,
      dataDir: flags["data-dir"] as string | undefined,
      normal: flags.normal as number | undefined,
      protocol: flags.protocol as Protocol | undefined,
      splitSeed: flags.seed as number | undefined,
    };
    const source = scoringDataSource(typedOptions, recorded, runJson);
    // Options not typed but taken from the run's manifest: an error names it, not a flag.
    const fromRun = new Set(
      Object.entries(source.options).filter(([k, v]) =>
        v !== undefined && (typedOptions as Record<string, unknown>)[k] === undefined &&
        (recorded as Record<string, unknown> | undefined)?.[k] === v
      ).map(([k]) => k),
    );
    const split = await loadOneClass({
      ...source.options,
      dataDirOrigin: source.origin,
      imageSize,
      channels: channels as 1 | 3,
    }).catch((error: Error) => {
      model.dispose();
      // The data options' errors name the flags typed here (`--normal`, not `normal`), or the
      // manifest an option was taken from.
      throw namingFlags(error, { recorded: fromRun, recordedIn: runJson });
    });
    if (split.manifest.sourceImages) {
      imageNotes = sourceImageNotes(split.manifest.sourceImages, imageSize, channels);
    }
    sourceImages = split.manifest.sourceImages ?? null;
    const which = flags.split as "train" | "val" | "test";
    set = split[which];
    if (which === "test") isAnomaly = split.testIsAnomaly;
    else isAnomaly = new Uint8Array(set.count);
  }
  const setup = await prepareScoring(modelDir, model, stored, {
    // The model's own score unless asked: EDE-GAN's latent distance, Deep SVDD's distance, ...
    scoreKind: (flags["score-kind"] as string | undefined) ?? model.scoreKinds[0],
    bnStats: flags["bn-stats"] as BatchNormStatsMode | "auto" | "run",
  }).catch((error: Error) => {
    model.dispose();
    throw error;
  });
  const calibration = setup.calibration;
  console.log(
    `score: ${setup.scoreKind}, BatchNorm statistics: ${setup.bnStats}` +
      (setup.record.note ? ` (${setup.record.note})` : ""),
  );
  let auc: { own: number; other?: { bnStats: BatchNormStatsMode; auc: number } } | undefined;
  // The pool's workers score as the run reported (poolMode) with the model's own kind.
  if (workers > 1 && (setup.scoreKind !== model.scoreKinds[0] || setup.bnStats !== poolMode)) {
    model.dispose();
    throw poolRefusal(poolMode);
  }
  const { scores } = await (async () => {
    const scored = workers > 1
      ? await scoreWithPool(flags.model as string, backend.name as ScorerRuntime, workers, set)
      : await scoreImages(model, set, {
        progress: terminalProgress("score"),
        scoreKind: setup.scoreKind,
        bnStats: setup.bnStats,
        recomputedStats: setup.recomputedStats,
      });
    // A test split, or a labelled folder with both classes (a labels.csv may list one only).
    const evaluated = isAnomaly && (flags.images ? bothClasses(isAnomaly) : flags.split === "test");
    if (evaluated && isAnomaly && !hasOwnFinalScoring(model.name)) {
      auc = { own: rocAuc(scored.scores, isAnomaly) };
    } else if (evaluated && isAnomaly) {
      // The run's statistics and the other mode, side by side, as `deno task train` prints them.
      const other = otherBatchNormStats(setup.bnStats);
      const { scores: otherScores } = await scoreImages(model, set, {
        scoreKind: setup.scoreKind,
        bnStats: other,
        recomputedStats: setup.recomputedStats,
      });
      auc = {
        own: rocAuc(scored.scores, isAnomaly),
        other: { bnStats: other, auc: rocAuc(otherScores, isAnomaly) },
      };
    }
    return scored;
  })().catch((error: Error) => {
    throw new Error(`--model ${modelDir}: ${error.message}`);
  }).finally(() => model.dispose());
  if (auc) {
    const what = flags.images ? "AUC" : "test AUC";
    console.log(
      `${what} ${auc.own.toFixed(4)} with BatchNorm ${setup.bnStats} statistics` +
        (auc.other ? `, ${auc.other.auc.toFixed(4)} with ${auc.other.bnStats}` : "") +
        (setup.record.rule ? " (the run's own statistics are the first, as in its run.json)" : "") +
        ` (${set.count} ${flags.images ? "labelled images under --images" : "test images"})`,
    );
  }
  await writeScoresCsv(
    out,
    scores,
    isAnomaly,
    // A folder's classes are its labels (normal 0, anomalous 1), as its test split writes them.
    flags.images && !isAnomaly ? undefined : set.labels,
    calibration,
    set.names,
  );
  const rows = [...scores].map((score, i) => ({
    item: set.names?.[i] ?? i,
    score,
    ...(isAnomaly ? { label: isAnomaly[i] } : {}),
    ...(calibration ? { decision: decide(score, calibration, String(set.names?.[i] ?? i)) } : {}),
  }));
  for (const note of imageNotes) console.log(`note: ${note}`);
  await writeJsonAtomic(jsonPath, {
    model: modelDir,
    calibration: calibration ?? null,
    scoring: auc ? { ...setup.record, testAuc: auc.own, other: auc.other } : setup.record,
    images: {
      model: { size: imageSize, channels },
      source: sourceImages,
      notes: imageNotes,
    },
    skipped,
    rows,
    ...provenance(),
  });
  console.log(`${scores.length} scores written to ${out} and ${jsonPath}`);
});

/** True when `isAnomaly` (0 normal, 1 anomalous) holds both classes, as ROC AUC needs. */
function bothClasses(isAnomaly: Uint8Array): boolean {
  return isAnomaly.includes(0) && isAnomaly.includes(1);
}

/** `set` scored by a pool of `workers` single-threaded scorers of `model` (`--workers`). */
async function scoreWithPool(
  model: string,
  runtime: ScorerRuntime,
  workers: number,
  set: ImageSet,
): Promise<{ scores: Float32Array }> {
  await using pool = await ScorerPool.open({ model, runtime, workers });
  console.log(`score: ${pool.size} workers (${pool.devices[0]})`);
  return { scores: await pool.score(set, { progress: terminalProgress("score") }) };
}
