/**
 * The published full-length teachers (results/teachers: one folder per run, each with the
 * `run.json` of `deno task train` and the score studies of `deno task study score`) read back as
 * rows, with the measures the results tables, the README headline and the results notebook share.
 *
 * Every figure is a **last**-epoch test ROC AUC in [0, 1] (nothing chosen on the test set). A run
 * trained with `--ema` records two figures per epoch from one training trajectory: the averaged
 * generator's (`auc`) and the live weights' (`liveAuc`: what the same run without `--ema` gives,
 * since the average never feeds back into training).
 *
 * @module
 */

import { join } from "@std/path";
import { meanStd } from "../metrics/statistics.ts";
import { readRunManifest } from "../run/manifest.ts";
import { readJson } from "../util/json.ts";

/** A score study (`study-score.json`): score kinds x BatchNorm modes, and validation's choice. */
export interface ScoreStudySummary {
  bnStats: { choice: { mode: string } };
  rows: { bnStats: string; kind: string; auc: number }[];
}

/** One finished teacher run. */
export interface TeacherRun {
  /** The run's folder name (`D-C-bB-sS`). */
  folder: string;
  dataset: string;
  /** The normal class. */
  normal: number;
  seed: number;
  /** Training batch size. */
  batch: number;
  /**
   * The latent-space constraint the run trained with (`config.latent`: `"tanh"`, the default, or
   * `"none"`; EDE-GAN's third finding). A manifest without it ran with `"tanh"`.
   */
  latent: string;
  epochs: number;
  /** `--ema` decay, or null for a run trained without the weight average. */
  ema: number | null;
  /** The live weights' test AUC after each epoch (BatchNorm moving averages). */
  live: number[];
  /** The averaged generator's test AUC after each epoch; null without `--ema`. */
  averaged: number[] | null;
  /** Training minutes summed over epochs (evaluation included; survives `--resume`). */
  minutes: number;
  /** The compute backend's name (`onednn`, `wasm`, ...). */
  backend: string;
  /** The CPU the run trained on (its manifest's `machine.cpu`); absent or null where not recorded. */
  cpu?: string | null;
  /** `study-score.json`: the run's model (with `--ema`, the averaged generator) re-scored. */
  study: ScoreStudySummary | null;
  /** `study-score-live.json` (`--weights live`): a `--ema` run's live weights re-scored. */
  liveStudy: ScoreStudySummary | null;
}

/**
 * A manifest's `machine.cpu`, with its vector extensions where the manifest records them
 * (`machine.simd`, since 2026-12-07): `AMD EPYC [AVX2]` or `Intel Xeon [AVX-512]`, since onednn runs
 * come back only between CPUs alike in these; null where the manifest has no CPU.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { cpuOf } from "./teacher_runs.ts";
 * assertEquals(cpuOf({ cpu: "AMD EPYC" }), "AMD EPYC");
 * assertEquals(cpuOf({ cpu: "AMD EPYC", simd: ["avx", "avx2", "fma"] }), "AMD EPYC [AVX2]");
 * assertEquals(cpuOf({ cpu: "AMD EPYC", simd: ["avx2", "avx512f"] }), "AMD EPYC [AVX-512]");
 * assertEquals(cpuOf({ cpu: "unknown", simd: [] }), "unknown");
 * assertEquals(cpuOf(null), null);
 * ```
 */
export function cpuOf(machine: unknown): string | null {
  const m = machine as { cpu?: unknown; simd?: unknown } | null | undefined;
  if (typeof m?.cpu !== "string") return null;
  // Unrecorded (older files) or unknown (no /proc/cpuinfo: `[]`): the name alone.
  if (!Array.isArray(m.simd) || m.simd.length === 0) return m.cpu;
  const isa = m.simd.includes("avx512f")
    ? "AVX-512"
    : m.simd.includes("avx2")
    ? "AVX2"
    : m.simd.includes("sve")
    ? "SVE"
    : m.simd.includes("asimd")
    ? "NEON"
    : "no AVX2";
  return `${m.cpu} [${isa}]`;
}

/** The papers' training length: 15 epochs (arXiv 2109.07295, P-KDGAN). */
export const FULL_EPOCHS = 15;

async function readOptional<T>(path: string): Promise<T | null> {
  try {
    await Deno.stat(path);
  } catch {
    return null;
  }
  return await readJson(path) as T;
}

/**
 * Every finished run under `dir` (one folder per run holding `run.json`; unfinished runs are
 * left out), sorted by dataset, class, batch size (large first), epochs (long first) and seed.
 *
 * @throws {Error} naming the file when a folder lacks `run.json`, a file is not JSON, or a
 * `run.json` is not a train run's manifest (naming the field; see `readRunManifest`).
 *
 * @example
 * ```ts
 * import { loadTeacherRuns } from "./teacher_runs.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.mkdir(`${dir}/mnist-3-b64-s0`);
 * await Deno.writeTextFile(`${dir}/mnist-3-b64-s0/run.json`, JSON.stringify({
 *   kind: "train", status: "finished", data: { dataset: "mnist", normalClass: 3 }, backend: { name: "wasm" },
 *   training: { epochs: 2, batchSize: 64, seed: 0, ema: 0.99 },
 *   history: [{ epoch: 1, auc: 0.9, liveAuc: 0.8, seconds: 60 },
 *     { epoch: 2, auc: 0.95, liveAuc: 0.93, seconds: 60 }],
 * }));
 * const [run] = await loadTeacherRuns(dir);
 * if (run.live.at(-1) !== 0.93 || run.averaged?.at(-1) !== 0.95 || run.minutes !== 2) {
 *   throw new Error();
 * }
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function loadTeacherRuns(dir: string): Promise<TeacherRun[]> {
  const runs: TeacherRun[] = [];
  for await (const entry of Deno.readDir(dir)) {
    // A hidden folder is none of the runs (a folder being landed: lib/sweep/campaign.ts).
    if (!entry.isDirectory || entry.name.startsWith(".")) continue;
    const folder = join(dir, entry.name);
    const path = join(folder, "run.json");
    const run = await readRunManifest(path);
    if (!run) throw new Error(`${path}: cannot read (no such file)`);
    if (run.kind !== "train") {
      throw new Error(`${path}: a ${run.kind} run, expected a teacher (kind "train")`);
    }
    if (run.status !== "finished") continue;
    if (!run.data || !run.backend || !run.history) {
      const missing = !run.data ? "data" : !run.backend ? "backend" : "history";
      throw new Error(`${path}: ${missing}: expected a finished run's ${missing}, got nothing`);
    }
    const ema = run.training.ema ?? null;
    const figure = (value: number | null | undefined, field: string) => {
      if (typeof value !== "number") {
        throw new Error(`${path}: ${field}: expected a test AUC, got ${JSON.stringify(value)}`);
      }
      return value;
    };
    runs.push({
      folder: entry.name,
      dataset: run.data.dataset,
      normal: run.data.normalClass,
      seed: run.training.seed,
      batch: run.training.batchSize,
      latent: run.config?.latent ?? "tanh",
      epochs: run.training.epochs,
      ema,
      live: run.history.map((h, i) =>
        ema === null
          ? figure(h.auc, `history[${i}].auc`)
          : figure(h.liveAuc, `history[${i}].liveAuc`)
      ),
      averaged: ema === null ? null : run.history.map((h, i) => figure(h.auc, `history[${i}].auc`)),
      minutes: run.history.reduce((a, h) => a + (h.seconds ?? 0), 0) / 60,
      backend: run.backend.name,
      cpu: cpuOf(run.machine),
      study: await readOptional<ScoreStudySummary>(join(folder, "study-score.json")),
      liveStudy: await readOptional<ScoreStudySummary>(join(folder, "study-score-live.json")),
    });
  }
  return runs.sort((a, b) =>
    a.dataset.localeCompare(b.dataset) || a.normal - b.normal || b.batch - a.batch ||
    b.epochs - a.epochs || a.seed - b.seed
  );
}

/**
 * How much a last-epoch figure owes to the epoch it stopped at: the mean absolute change of the
 * AUC between consecutive epochs over the last `last` epochs (issue 14, item 6). Same units as
 * `aucs`; NaN with fewer than two epochs.
 *
 * @example
 * ```ts
 * import { epochToEpochChange } from "./teacher_runs.ts";
 * if (Math.abs(epochToEpochChange([0.1, 0.9, 0.8, 0.9], 2) - 0.1) > 1e-12) throw new Error();
 * ```
 */
export function epochToEpochChange(aucs: number[], last = 5): number {
  const tail = aucs.slice(-(last + 1));
  if (tail.length < 2) return NaN;
  const changes = tail.slice(1).map((x, i) => Math.abs(x - tail[i]));
  return changes.reduce((a, b) => a + b, 0) / changes.length;
}

/**
 * A score study's AUC of one score kind (`latent`, `reconstruction`, `features`) under one
 * BatchNorm mode (`moving`, `recomputed`, `per-image`); undefined where the study has none.
 *
 * @example
 * ```ts
 * import { studyAuc } from "./teacher_runs.ts";
 * const st = { bnStats: { choice: { mode: "moving" } },
 *   rows: [{ bnStats: "moving", kind: "latent", auc: 0.9 }] };
 * if (studyAuc(st, "moving", "latent") !== 0.9 || studyAuc(st, "moving", "features")) {
 *   throw new Error();
 * }
 * ```
 */
export function studyAuc(
  study: ScoreStudySummary,
  mode: string,
  kind: string,
): number | undefined {
  return study.rows.find((r) => r.bnStats === mode && r.kind === kind)?.auc;
}

/**
 * The latent-distance AUC under the BatchNorm mode the validation normals chose (no test labels),
 * with that mode; undefined without a study.
 *
 * @example
 * ```ts
 * import { chosenLatentAuc } from "./teacher_runs.ts";
 * const st = { bnStats: { choice: { mode: "per-image" } },
 *   rows: [{ bnStats: "moving", kind: "latent", auc: 0.8 },
 *     { bnStats: "per-image", kind: "latent", auc: 0.93 }] };
 * if (chosenLatentAuc(st)?.auc !== 0.93 || chosenLatentAuc(null) !== undefined) throw new Error();
 * ```
 */
export function chosenLatentAuc(
  study: ScoreStudySummary | null,
): { mode: string; auc: number } | undefined {
  if (!study) return undefined;
  const mode = study.bnStats.choice.mode;
  const auc = studyAuc(study, mode, "latent");
  return auc === undefined ? undefined : { mode, auc };
}

/** One scored model of a run: its live weights, or its averaged generator. */
export interface ScoredModel {
  run: TeacherRun;
  /** `live`, or `averaged (<decay>)` for the averaged generator. */
  weights: string;
  /** Last-epoch AUC under the BatchNorm moving averages (the run's own curve). */
  moving: number;
  /** Under the statistics chosen on validation, where the model has a score study. */
  chosen?: { mode: string; auc: number };
}

/**
 * A run's scored models: the live weights and, with `--ema`, the averaged generator, each with
 * its moving-average figure and (from the score studies) its validation-chosen one.
 *
 * @example
 * ```ts
 * import { scoredModels, type TeacherRun } from "./teacher_runs.ts";
 * const run: TeacherRun = { folder: "r", dataset: "mnist", normal: 2, seed: 0, batch: 1, latent: "tanh",
 *   epochs: 15, ema: 0.9998, live: [0.8], averaged: [0.81], minutes: 70, backend: "onednn",
 *   study: null, liveStudy: null };
 * const [live, averaged] = scoredModels(run);
 * if (live.moving !== 0.8 || averaged.weights !== "averaged (0.9998)") throw new Error();
 * ```
 */
export function scoredModels(run: TeacherRun): ScoredModel[] {
  const live = { run, weights: "live", moving: run.live.at(-1)! };
  if (!run.averaged) return [{ ...live, chosen: chosenLatentAuc(run.study) }];
  // The score study scores the averaged generator; `--weights live` the live weights.
  return [
    { ...live, chosen: chosenLatentAuc(run.liveStudy) },
    {
      run,
      weights: `averaged (${run.ema})`,
      moving: run.averaged.at(-1)!,
      chosen: chosenLatentAuc(run.study),
    },
  ];
}

/** What weight averaging does to a last-epoch figure, over a set of `--ema` runs (`averagingSpread`). */
export interface AveragingSpread {
  /** Runs with the weight average. */
  runs: number;
  /** Runs whose averaged last epoch is at or above the live one. */
  atOrAbove: number;
  /** Mean last-epoch AUC of the live weights and of the average over those runs. */
  meanLive: number;
  meanAveraged: number;
  /** Mean over runs of `epochToEpochChange` of the live and of the averaged curve. */
  epochLive: number;
  epochAveraged: number;
  /** The classes (`dataset class`) with at least two averaged seeds. */
  seededClasses: string[];
  /** Mean over those classes of the sample sd over seeds of the last epoch; NaN without any. */
  seedSdLive: number;
  seedSdAveraged: number;
  /** Classes of `seededClasses` where the average's sd is the smaller. */
  smallerSd: number;
}

/**
 * The spread a last-epoch figure carries with and without the average of the generator's weights
 * (issue 14, item 6), from the same runs: each `--ema` run records both figures on one training
 * trajectory, so the comparison is paired. Runs without `--ema` are left out; pass the runs of one
 * setting (dataset, batch size, length). AUCs in [0, 1] as in `TeacherRun`.
 *
 * @example
 * ```ts
 * import { averagingSpread, type TeacherRun } from "./teacher_runs.ts";
 * const run = (seed: number, live: number[], averaged: number[]): TeacherRun => ({
 *   folder: `mnist-2-b64-s${seed}`, dataset: "mnist", normal: 2, seed, batch: 64, latent: "tanh", epochs: 2,
 *   ema: 0.99, live, averaged, minutes: 1, backend: "wasm", study: null, liveStudy: null });
 * const s = averagingSpread([run(0, [0.9, 0.8], [0.9, 0.9]), run(1, [0.9, 1.0], [0.9, 0.92])]);
 * if (s.runs !== 2 || s.atOrAbove !== 1 || s.seededClasses[0] !== "mnist 2") throw new Error();
 * if (Math.abs(s.epochLive - 0.1) > 1e-12 || Math.abs(s.epochAveraged - 0.01) > 1e-12) {
 *   throw new Error();
 * }
 * if (s.smallerSd !== 1 || !(s.seedSdAveraged < s.seedSdLive)) throw new Error();
 * ```
 */
export function averagingSpread(runs: TeacherRun[]): AveragingSpread {
  const paired = runs.filter((r) => r.averaged);
  const mean = (xs: number[]) => meanStd(xs).mean ?? NaN;
  const sd = (xs: number[]) => meanStd(xs).std ?? NaN;
  const classes = new Map<string, TeacherRun[]>();
  for (const r of paired) {
    const key = `${r.dataset} ${r.normal}`;
    classes.set(key, [...(classes.get(key) ?? []), r]);
  }
  const seeded = [...classes].filter(([, rs]) => rs.length >= 2);
  const sdLive = seeded.map(([, rs]) => sd(rs.map((r) => r.live.at(-1)!)));
  const sdAveraged = seeded.map(([, rs]) => sd(rs.map((r) => r.averaged!.at(-1)!)));
  return {
    runs: paired.length,
    atOrAbove: paired.filter((r) => r.averaged!.at(-1)! >= r.live.at(-1)!).length,
    meanLive: mean(paired.map((r) => r.live.at(-1)!)),
    meanAveraged: mean(paired.map((r) => r.averaged!.at(-1)!)),
    epochLive: mean(paired.map((r) => epochToEpochChange(r.live))),
    epochAveraged: mean(paired.map((r) => epochToEpochChange(r.averaged!))),
    seededClasses: seeded.map(([key]) => key),
    seedSdLive: mean(sdLive),
    seedSdAveraged: mean(sdAveraged),
    smallerSd: sdAveraged.filter((x, i) => x < sdLive[i]).length,
  };
}
