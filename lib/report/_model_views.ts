/**
 * The optional part of the report of a training run or of a distilled student that needs what the
 * run did not write: latent views (PCA of z, z_hat and z - z_hat) and the most normal and most
 * anomalous test images with their reconstructions need the model (the run keeps no latents and
 * no reconstructions), and they and the gallery of false positives and negatives need the test
 * images (the run keeps none). So these views load the model and the data again. Everything the
 * run wrote is taken from its files instead: each item's score, label and class from `scores.csv`
 * (the scores recomputed here, under the BatchNorm statistics the run's scores used, only check
 * that the model and data are the run's), the threshold from `run.json`. Bounded in time and in
 * points; anything that fails becomes a note instead.
 *
 * @module
 */

import { join } from "@std/path";
import type { AnomalyModel } from "../models/anomaly_model.ts";
import type { DataManifest, ImageSet, OneClassSplit } from "../data/types.ts";
import { loadOneClass, oneClassOptionsOf } from "../data/protocol.ts";
import { loadModel } from "../train/checkpoint.ts";
import { scoreImages, type ScoreOptions } from "../score/score.ts";
import { exists } from "../util/atomic.ts";
import { createRng, shuffledIndices } from "../util/rng.ts";
import { type Figure, latentViews, reconstructionGrid } from "../viz/figures.ts";
import { errorGallery } from "../viz/analysis.ts";
import type { DataSummary } from "./_files.ts";
import type { ScoreRows } from "../score/csv.ts";

/** Limits of the model views. */
export interface ModelViewOptions {
  /** Wall-clock budget in seconds for loading and scoring (default 6). */
  budgetSeconds: number;
  /** Test points in the latent views at most (default 1000). */
  maxPoints: number;
  /** How many of each extreme to show with reconstructions (default 6). */
  extremes: number;
}

/**
 * What the model views read of a run's manifest (a train run's or a distilled student's): the
 * data it was tested on and its limits, the threshold, and the BatchNorm statistics its scores
 * were computed with.
 */
export interface ViewedRun {
  /** The whole `run.json`: its `data` is the data manifest the test set is loaded again from. */
  raw: Record<string, unknown>;
  data?: DataSummary;
  training?: { limit?: number; testLimit?: number };
  /** The calibrated threshold (the false positives and negatives are the errors at it). */
  threshold?: number;
  /** `moving` (default), `per-image` or `recomputed` (read from the run's `bn-recomputed.json`). */
  scoring?: { bnStats?: string };
}

/** What the model views add to a report. */
export interface ModelViews {
  figures: Figure[];
  notes: string[];
}

// Small enough that one chunk past the deadline costs little, even for a width-64 teacher on cpu.
const CHUNK = 128;

/**
 * Builds the model views of the train or student run in `runDir`, scoring with the BatchNorm
 * statistics its scores were computed with; never throws (failures become notes).
 */
export async function modelViews(
  runDir: string,
  manifest: ViewedRun,
  rows: ScoreRows,
  opts: ModelViewOptions,
): Promise<ModelViews> {
  const deadline = performance.now() + opts.budgetSeconds * 1000;
  const modelDir = join(runDir, "model");
  if (!(await exists(join(modelDir, "model.json")))) {
    return { figures: [], notes: ["latent views and reconstructions skipped: no model/ folder"] };
  }
  let model: AnomalyModel | undefined;
  try {
    model = (await loadModel(modelDir)).model;
    const statistics = await batchNormOf(runDir, manifest);
    const halfPrecision = await storedInHalfPrecision(modelDir);
    const data = await withDeadline(reloadData(manifest), deadline, "loading the test data");
    // What scores.csv says of each item; the reloaded data only where the file has no column.
    const isAnomaly = rows.labels.length === rows.scores.length ? rows.labels : data.testIsAnomaly;
    const classes = rows.classes.length === rows.scores.length &&
        Array.from(rows.classes).every(Number.isFinite)
      ? rows.classes
      : data.test.labels;
    const views = await viewsOf(
      model,
      data.test,
      { isAnomaly, classes },
      rows,
      deadline,
      { ...opts, statistics, halfPrecision },
    );
    const threshold = manifest.threshold;
    if (threshold !== undefined) {
      const size = data.test.height * data.test.width * data.test.channels;
      views.figures.push(errorGallery({
        scores: rows.scores,
        isAnomaly,
        classes,
        threshold,
        image: (i) => data.test.pixels.subarray(i * size, (i + 1) * size),
        height: data.test.height,
        width: data.test.width,
        channels: data.test.channels,
        k: opts.extremes + 2,
      }));
    } else views.notes.push("false positives and negatives skipped: run.json has no threshold");
    return views;
  } catch (error) {
    return {
      figures: [],
      notes: [`latent views and reconstructions skipped: ${(error as Error).message}`],
    };
  } finally {
    model?.dispose();
  }
}

/** The statistics BatchNorm normalises by in the views: those the run's scores were computed with. */
async function batchNormOf(
  runDir: string,
  manifest: ViewedRun,
): Promise<Pick<ScoreOptions, "bnStats" | "recomputedStats">> {
  const mode = manifest.scoring?.bnStats ?? "moving";
  if (mode === "moving" || mode === "per-image") return { bnStats: mode };
  if (mode !== "recomputed") throw new Error(`run.json: scoring.bnStats '${mode}' is no mode`);
  // The statistics `deno task score` or `ship` stored beside the run; never recomputed here (the
  // report writes nothing into the run, a shipped one included).
  const path = join(runDir, "bn-recomputed.json");
  if (!(await exists(path))) {
    throw new Error(
      "the run's scores use recomputed BatchNorm statistics and it has no bn-recomputed.json " +
        "(deno task score --model RUN/model stores them)",
    );
  }
  const saved = JSON.parse(await Deno.readTextFile(path));
  if (typeof saved?.stats?.layers !== "object") throw new Error(`${path}: no stats.layers`);
  return { bnStats: "recomputed", recomputedStats: saved.stats };
}

/**
 * Whether weights of the scoring path of the model saved in `modelDir` are stored in float16 (a
 * model packed by `deno task ship`, whose `scores.csv` is the float32 model's); the
 * discriminator's do not score.
 */
async function storedInHalfPrecision(modelDir: string): Promise<boolean> {
  const json = JSON.parse(await Deno.readTextFile(join(modelDir, "model.json")));
  const groups: { weights?: { name?: string; dtype?: string }[] }[] = json.weightsManifest ?? [];
  return groups.some((group) =>
    (group.weights ?? []).some((w) =>
      w.dtype === "float16" && !String(w.name).startsWith("discriminator/")
    )
  );
}

/** The run's one-class split again, from the data fields of its manifest (all of them). */
function reloadData(manifest: ViewedRun): Promise<OneClassSplit> {
  const data = manifest.raw.data as Partial<DataManifest> | undefined;
  if (!data || typeof data.dataset !== "string") throw new Error("run.json has no data manifest");
  return loadOneClass({
    ...oneClassOptionsOf(data),
    limit: manifest.data?.limit ?? manifest.training?.limit,
    testLimit: manifest.data?.testLimit ?? manifest.training?.testLimit,
  });
}

async function viewsOf(
  model: AnomalyModel,
  test: ImageSet,
  known: { isAnomaly: ArrayLike<number>; classes: ArrayLike<number> },
  rows: ScoreRows,
  deadline: number,
  opts: ModelViewOptions & {
    statistics: Pick<ScoreOptions, "bnStats" | "recomputedStats">;
    /** Whether the scoring path's weights are stored in float16 (`storedInHalfPrecision`). */
    halfPrecision: boolean;
  },
): Promise<ModelViews> {
  const notes: string[] = [];
  const n = test.count;
  if (n !== rows.scores.length) {
    throw new Error(`the reloaded test set has ${n} images, scores.csv ${rows.scores.length}`);
  }
  for (let i = 0; i < n; i++) {
    if (Number.isFinite(rows.classes[i]) && rows.classes[i] !== test.labels[i]) {
      throw new Error(`the reloaded test set differs from scores.csv (item ${i}'s class)`);
    }
  }
  // The extremes by the run's own scores come first, so that they are scored whatever the budget.
  const byScore = Array.from({ length: n }, (_, i) => i).sort((a, b) =>
    rows.scores[a] - rows.scores[b]
  );
  const k = Math.min(opts.extremes, Math.floor(n / 2));
  const extremes = [...byScore.slice(0, k), ...byScore.slice(n - k)];
  const chosen = new Set(extremes);
  for (const i of shuffledIndices(n, createRng(0))) {
    if (chosen.size >= Math.max(opts.maxPoints, extremes.length)) break;
    chosen.add(i);
  }
  const order = [
    ...extremes,
    ...[...chosen].filter((i) => !extremes.includes(i)).sort((a, b) => a - b),
  ];
  const subset = gather(test, order);
  const z: number[][] = [], zHat: number[][] = [], scores: number[] = [];
  // What the model returns besides scores: learnt from the first chunk (scoreWhatItHas).
  const has = { latents: true, reconstructions: true };
  const reconstructions = new Map<number, Float32Array>();
  for (let start = 0; start < subset.count; start += CHUNK) {
    if (start > 0 && performance.now() > deadline) {
      notes.push(`latent views show ${start} of ${subset.count} points: time budget reached`);
      break;
    }
    const end = Math.min(subset.count, start + CHUNK);
    const chunk = gather(subset, Array.from({ length: end - start }, (_, i) => start + i));
    const wanted = extremes.map((_, i) => i - start).filter((i) => i >= 0 && i < chunk.count);
    const out = await scoreWhatItHas(model, chunk, wanted, has, opts.statistics);
    // A model's latent size is what it returns per image; a model without z_hat has no pairs.
    const latent = out.z ? out.z.length / chunk.count : 0;
    for (let i = 0; i < chunk.count; i++) {
      if (out.z) z.push(Array.from(out.z.subarray(i * latent, (i + 1) * latent)));
      if (out.zHat) zHat.push(Array.from(out.zHat.subarray(i * latent, (i + 1) * latent)));
      scores.push(out.scores[i]);
    }
    for (const [i, xHat] of out.reconstructions ?? []) reconstructions.set(start + i, xHat);
  }
  let worst = 0;
  scores.forEach((s, j) => {
    const csv = rows.scores[order[j]];
    worst = Math.max(worst, Math.abs(s - csv) / Math.max(Math.abs(csv), 1e-6));
  });
  if (worst > 1e-3) {
    notes.push(
      `scores recomputed for the views differ from scores.csv by up to ${
        (worst * 100).toPrecision(3)
      }% ` + (opts.halfPrecision
        ? "(the model's weights are stored in float16, scores.csv holds the scores of the " +
          "float32 model they were rounded from: deno task ship --dtype)"
        : "(another backend, or a changed model?)"),
    );
  }
  // The run's own scores on hover; the ones recomputed above only checked the model and data.
  const shown = order.slice(0, scores.length);
  const figures = z.length === scores.length && zHat.length === scores.length
    ? latentViews({
      z,
      zHat,
      classes: shown.map((i) => known.classes[i]),
      isAnomaly: shown.map((i) => known.isAnomaly[i]),
      scores: shown.map((i) => rows.scores[i]),
    })
    : [];
  if (figures.length === 0) {
    notes.push(`latent views skipped: a '${model.name}' model returns no pairs of z and z_hat`);
  }
  if (!has.reconstructions) {
    notes.push(`reconstructions skipped: a '${model.name}' model makes none`);
  }
  if (extremes.length > 0 && extremes.every((_, i) => reconstructions.has(i))) {
    const size = test.height * test.width * test.channels;
    const images = new Float32Array(extremes.length * size);
    const xHats = new Float32Array(extremes.length * size);
    extremes.forEach((_, i) => {
      // The same mapping to [-1, 1] as the model's input, so image and x_hat share one scale.
      for (let j = 0; j < size; j++) images[i * size + j] = subset.pixels[i * size + j] / 127.5 - 1;
      xHats.set(reconstructions.get(i)!, i * size);
    });
    figures.push(reconstructionGrid({
      images,
      reconstructions: xHats,
      scores: extremes.map((i) => rows.scores[i]),
      items: extremes,
      classes: extremes.map((i) => known.classes[i]),
      height: test.height,
      width: test.width,
      channels: test.channels,
      k,
    }));
  }
  return { figures, notes };
}

/**
 * Scores a chunk with its latents and the reconstructions of `wanted`, dropping (and recording in
 * `has`) what the model does not return: not every model has latents or reconstructions.
 */
async function scoreWhatItHas(
  model: AnomalyModel,
  chunk: ImageSet,
  wanted: number[],
  has: { latents: boolean; reconstructions: boolean },
  statistics: Pick<ScoreOptions, "bnStats" | "recomputedStats">,
): ReturnType<typeof scoreImages> {
  for (;;) {
    try {
      return await scoreImages(model, chunk, {
        ...statistics,
        keepLatents: has.latents,
        reconstruct: has.reconstructions ? wanted : [],
      });
    } catch (error) {
      const message = (error as Error).message;
      if (has.reconstructions && message.startsWith("reconstruct:")) has.reconstructions = false;
      else if (has.latents && message.startsWith("keepLatents:")) has.latents = false;
      else throw error;
    }
  }
}

/** The images of `set` at `indices`, in that order. */
function gather(set: ImageSet, indices: number[]): ImageSet {
  const size = set.height * set.width * set.channels;
  const pixels = new Uint8Array(indices.length * size);
  indices.forEach((src, dst) => {
    pixels.set(set.pixels.subarray(src * size, (src + 1) * size), dst * size);
  });
  return {
    pixels,
    labels: Int32Array.from(indices, (i) => set.labels[i]),
    count: indices.length,
    height: set.height,
    width: set.width,
    channels: set.channels,
  };
}

async function withDeadline<T>(promise: Promise<T>, deadline: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  // A load that loses the race may still fail later; that failure has no one left to tell.
  promise.catch(() => {});
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${what} took longer than the time budget`)),
      Math.max(0, deadline - performance.now()),
    );
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
