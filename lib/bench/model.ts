/**
 * The `model` and `distill` benchmark suites.
 *
 * - `model`: training images/s at batch 1 and 64 and scoring images/s at batch 1 and 256 of the
 *   teacher (width 64, 32x32x1) on every backend that starts, each backend in its own process (so
 *   its peak resident memory is its own: the train rows' is the peak of teacher training), with
 *   each phase's achieved GFLOP/s beside this machine's peak (`peak.ts`) and the kernel calls
 *   of one training step or scoring call (`kernel_calls.ts`).
 * - `distill`: scoring images/s of the teacher and of each student at batch 1 and 256, and the
 *   speed-up against the teacher.
 *
 * Each figure is the median of several timed runs after a warm-up.
 *
 * @module
 */

import * as tf from "../tf.ts";
import {
  type BackendChoice,
  type BackendName,
  BACKENDS,
  selectBackend,
} from "../backend/select.ts";
import type { AnomalyModel } from "../models/anomaly_model.ts";
import { EdeGan, modelCost, resolveConfig } from "../models/ede_gan/mod.ts";
import { registerSuite, type SuiteOptions } from "./suites.ts";
import { median } from "./kernels.ts";
import { measurePeakFlops, phaseFlops } from "./peak.ts";
import { countKernelCalls } from "./kernel_calls.ts";

/** One row of the model suite. */
export interface ModelRow {
  backend: string;
  phase: "train" | "score";
  batch: number;
  images_per_s: number | null;
  peak_rss_mb: number;
  /** Kernel calls the engine dispatches in one training step or one scoring call (one more call
   * after the timed ones, counted: `kernel_calls.ts`); load-independent. Not counted on `cpu`. */
  kernel_calls?: number;
  /** What the backend runs on, e.g. `XNNPACK, 1 thread(s)` or the GPU adapter's name. */
  device?: string;
  /** Achieved GFLOP/s: images/s times the phase's FLOPs per image (`peak.ts`). */
  gflops?: number | null;
  /** This machine's peak GFLOP/s (oneDNN's large convolution on every core), when measured. */
  peak_gflops?: number;
  /** gflops / peak_gflops, in percent. */
  of_peak_pct?: number;
  note?: string;
}

/** One row of the distill suite. */
export interface DistillRow {
  backend: string;
  model: string;
  width: number;
  ratio: number;
  batch: number;
  images_per_s: number;
  speedup: number;
}

let peakRss = 0;
/** This process's peak resident memory so far, in MiB: the kernel's high-water mark (`VmHWM`)
 * where Linux gives it, else the largest RSS sampled. */
function sampleRss(): number {
  peakRss = Math.max(peakRss, Deno.memoryUsage().rss);
  try {
    const kb = Deno.readTextFileSync("/proc/self/status").match(/VmHWM:\s+(\d+) kB/)?.[1];
    if (kb !== undefined) peakRss = Math.max(peakRss, Number(kb) * 1024);
  } catch {
    // Not Linux: the samples.
  }
  return Math.round(peakRss / 2 ** 20);
}

/**
 * Timed runs per figure (after one warm-up) and the seconds after which a figure stops repeating;
 * each timed run is as many steps (scoring calls) as make at least `trainImagesPerCall`
 * (`scoreImagesPerCall`) images, so that a batch-1 figure is the median of 32-step runs, not of
 * single 30 ms steps that one busy moment decides. The PyTorch peer ({@link ./peer.ts}) is timed
 * with the same.
 */
export const MODEL_SUITE_TIMING = {
  trainRepeats: 5,
  scoreRepeats: 7,
  budgetSeconds: 60,
  trainImagesPerCall: 32,
  scoreImagesPerCall: 64,
} as const;

/**
 * The steps (or scoring calls) of one timed run at `batch`: enough for `images` images.
 *
 * @example
 * ```ts
 * import { callsPerRun } from "./model.ts";
 * if (callsPerRun(1, 32) !== 32 || callsPerRun(64, 32) !== 1 || callsPerRun(5, 32) !== 7) {
 *   throw new Error();
 * }
 * ```
 */
export function callsPerRun(batch: number, images: number): number {
  return Math.max(1, Math.ceil(images / batch));
}

/** Seconds per call of `f`: one warm-up, then the median of `repeats` (or fewer within budget). */
async function timeIt(
  f: () => Promise<unknown>,
  repeats: number,
  budgetSeconds: number,
): Promise<number> {
  await f();
  const times: number[] = [];
  const started = performance.now();
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now();
    await f();
    times.push((performance.now() - t0) / 1000);
    sampleRss();
    if ((performance.now() - started) / 1000 > budgetSeconds) break;
  }
  return median(times);
}

function images(batch: number, size: number): tf.Tensor4D {
  return tf.tidy(() => tf.tanh(tf.randomNormal([batch, size, size, 1], 0, 1, "float32", 7)));
}

/** One scoring pass of the model's own score, read back (`await data()`: every backend). */
async function scoreOnce(model: AnomalyModel, x: tf.Tensor4D): Promise<void> {
  const kind = model.scoreKinds[0];
  const d = tf.tidy(() => model.scoreBatch(x, { kinds: [kind] }).scores[kind]);
  await d.data();
  d.dispose();
}

/** Seconds one training step of the teacher takes at this batch on the cpu backend, estimated. */
const CPU_SECONDS_PER_TRAIN_IMAGE = 40;

/**
 * Runs the model suite on `backends`.
 *
 * @example
 * ```ts ignore
 * // not run as a test: it times training steps for minutes
 * import { runModelSuite } from "./model.ts";
 * console.log(await runModelSuite(["wasm"]));
 * ```
 */
export async function runModelSuite(
  backends: BackendName[],
  opts: { onProgress?: (msg: string) => void; budgetSeconds?: number } = {},
): Promise<ModelRow[]> {
  const rows: ModelRow[] = [];
  const budget = opts.budgetSeconds ?? MODEL_SUITE_TIMING.budgetSeconds;
  for (const backend of backends) {
    let device: string;
    try {
      device = (await selectBackend(backend)).device;
    } catch (error) {
      rows.push({
        backend,
        phase: "train",
        batch: 0,
        images_per_s: null,
        peak_rss_mb: sampleRss(),
        note: `did not start: ${(error as Error).message.slice(0, 160)}`,
      });
      continue;
    }
    const model: AnomalyModel = EdeGan.create({ width: 64 }, 1);
    const optimisers = model.createOptimisers();
    let step = 0;
    for (const batch of [1, 64]) {
      opts.onProgress?.(`${backend} train batch ${batch}`);
      if (backend === "cpu" && batch * CPU_SECONDS_PER_TRAIN_IMAGE * 2 > budget * 4) {
        rows.push({
          backend,
          phase: "train",
          batch,
          images_per_s: null,
          peak_rss_mb: sampleRss(),
          device,
          note: `skipped: about ${Math.round((batch * CPU_SECONDS_PER_TRAIN_IMAGE) / 60)} min a ` +
            `step (pure-JS conv costs the same per image at any batch)`,
        });
        continue;
      }
      const x = images(batch, 32);
      const steps = backend === "cpu"
        ? 1
        : callsPerRun(batch, MODEL_SUITE_TIMING.trainImagesPerCall);
      const seconds = await timeIt(
        async () => {
          for (let i = 0; i < steps; i++) {
            await model.trainStep(x, optimisers, { seed: 1, step: ++step });
          }
        },
        backend === "cpu" ? 1 : MODEL_SUITE_TIMING.trainRepeats,
        budget,
      ) / steps;
      const calls = backend === "cpu"
        ? undefined
        : (await countKernelCalls(() => model.trainStep(x, optimisers, { seed: 1, step: ++step })))
          .calls;
      x.dispose();
      rows.push({
        backend,
        phase: "train",
        batch,
        images_per_s: round(batch / seconds),
        ...(calls === undefined ? {} : { kernel_calls: calls }),
        peak_rss_mb: sampleRss(),
        device,
      });
    }
    for (const batch of [1, 256]) {
      opts.onProgress?.(`${backend} score batch ${batch}`);
      const x = images(batch, 32);
      const passes = backend === "cpu"
        ? 1
        : callsPerRun(batch, MODEL_SUITE_TIMING.scoreImagesPerCall);
      const seconds = await timeIt(
        async () => {
          for (let i = 0; i < passes; i++) await scoreOnce(model, x);
        },
        backend === "cpu" ? 2 : MODEL_SUITE_TIMING.scoreRepeats,
        budget,
      ) / passes;
      const calls = backend === "cpu"
        ? undefined
        : (await countKernelCalls(() => scoreOnce(model, x))).calls;
      x.dispose();
      rows.push({
        backend,
        phase: "score",
        batch,
        images_per_s: round(batch / seconds),
        ...(calls === undefined ? {} : { kernel_calls: calls }),
        peak_rss_mb: sampleRss(),
        device,
      });
    }
    for (const optimiser of Object.values(optimisers)) optimiser.dispose();
    model.dispose();
  }
  return rows.map(withFlops);
}

/** A row with its achieved GFLOP/s (the teacher's FLOPs per image of its phase). */
export function withFlops<T extends ModelRow>(row: T): T {
  const cost = modelCost(resolveConfig({ width: 64 }));
  const gflops = row.images_per_s === null
    ? null
    : round((row.images_per_s * phaseFlops(cost, row.phase)) / 1e9);
  return { ...row, gflops };
}

/** Rows with the machine's peak beside their achieved GFLOP/s. */
export function withPeak<T extends ModelRow>(rows: T[], peakGflops: number | undefined): T[] {
  if (peakGflops === undefined) return rows;
  return rows.map((row) => ({
    ...row,
    peak_gflops: peakGflops,
    ...(typeof row.gflops === "number"
      ? { of_peak_pct: round((100 * row.gflops) / peakGflops) }
      : {}),
  }));
}

/**
 * The model suite with each backend in a process of its own (`_model_child.ts`), so that each
 * backend's peak resident memory is its own; progress lines pass through.
 *
 * @example
 * ```ts ignore
 * // not run as a test: it times training steps for minutes
 * import { runModelSuiteIsolated } from "./model.ts";
 * console.log(await runModelSuiteIsolated(["wasm", "onednn"]));
 * ```
 */
export async function runModelSuiteIsolated(
  backends: BackendName[],
  opts: { onProgress?: (msg: string) => void; budgetSeconds?: number } = {},
): Promise<ModelRow[]> {
  const rows: ModelRow[] = [];
  const child = new URL("./_model_child.ts", import.meta.url);
  const config = new URL("../../deno.json", import.meta.url);
  for (const backend of backends) {
    const args = ["run", "-A", "--config", config.pathname, child.pathname, backend];
    if (opts.budgetSeconds !== undefined) args.push(String(opts.budgetSeconds));
    const process = new Deno.Command(Deno.execPath(), {
      args,
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const progress = (async () => {
      const lines = process.stderr.pipeThrough(new TextDecoderStream());
      let buffered = "";
      for await (const chunk of lines) {
        buffered += chunk;
        const parts = buffered.split("\n");
        buffered = parts.pop()!;
        for (const line of parts) if (line.trim()) opts.onProgress?.(line.trim());
      }
    })();
    const [stdout, status] = await Promise.all([
      new Response(process.stdout).text(),
      process.status,
      progress,
    ]);
    const text = stdout.trim().split("\n").at(-1) ?? "";
    try {
      rows.push(...(JSON.parse(text) as ModelRow[]));
    } catch {
      rows.push({
        backend,
        phase: "train",
        batch: 0,
        images_per_s: null,
        peak_rss_mb: 0,
        note: `its process failed (exit ${status.code})`,
      });
    }
  }
  return rows;
}

/**
 * Runs the distill suite: scoring speed of the teacher and of students of `widths`.
 *
 * @example
 * ```ts ignore
 * // not run as a test: it times training steps for minutes
 * import { runDistillSuite } from "./model.ts";
 * console.log(await runDistillSuite("wasm", [8, 2]));
 * ```
 */
export async function runDistillSuite(
  backend: BackendName,
  widths: number[] = [12, 8, 4, 3, 2],
  opts: { onProgress?: (msg: string) => void } = {},
): Promise<DistillRow[]> {
  await selectBackend(backend);
  const rows: DistillRow[] = [];
  const teacherMacs = modelCost(EdeGan.create({ width: 64 }, 0).config).generator.macs;
  const teacherSpeed = new Map<number, number>();
  for (const width of [64, ...widths]) {
    const model = EdeGan.create({ width }, 1);
    const ratio = teacherMacs / modelCost(model.config).generator.macs;
    for (const batch of [1, 256]) {
      opts.onProgress?.(`score width ${width} batch ${batch}`);
      const x = images(batch, 32);
      const seconds = await timeIt(() => scoreOnce(model, x), 9, 30);
      x.dispose();
      const speed = batch / seconds;
      if (width === 64) teacherSpeed.set(batch, speed);
      rows.push({
        backend,
        model: width === 64 ? "teacher" : "student",
        width,
        ratio: round(ratio),
        batch,
        images_per_s: round(speed),
        speedup: round(speed / teacherSpeed.get(batch)!),
      });
    }
    model.dispose();
  }
  return rows;
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}

function backendsFor(choice: BackendChoice): BackendName[] {
  return choice === "auto" ? [...BACKENDS] : [choice];
}

registerSuite({
  name: "model",
  description: "teacher training (batch 1, 64) and scoring (batch 1, 256) images/s per backend",
  columns: [
    "backend",
    "phase",
    "batch",
    "images_per_s",
    "kernel_calls",
    "gflops",
    "of_peak_pct",
    "peak_rss_mb",
    "note",
  ],
  run: async (opts: SuiteOptions) => {
    // The peak first, alone: nothing of the suite competes with it.
    opts.onProgress?.("peak FLOP/s (oneDNN convolution, every core)");
    const peak = measurePeakFlops();
    const rows = await runModelSuiteIsolated(backendsFor(opts.backend), opts);
    return withPeak(rows, peak?.gflops) as unknown as Record<string, unknown>[];
  },
  summarize(rows) {
    const r = rows as unknown as ModelRow[];
    const get = (backend: string, phase: string, batch: number) =>
      r.find((x) => x.backend === backend && x.phase === phase && x.batch === batch)
        ?.images_per_s;
    const lines: string[] = [];
    const peak = r.find((x) => x.peak_gflops !== undefined)?.peak_gflops;
    if (peak !== undefined) {
      lines.push(
        `this machine's peak: ${peak} GFLOP/s fp32 (oneDNN convolution 64x16x16x256 by ` +
          `3x3x256x256 on every core); gflops counts the convolutions' FLOPs per image`,
      );
    }
    const trainRss = (backend: string) =>
      Math.max(
        ...r.filter((x) => x.backend === backend && x.phase === "train").map((x) => x.peak_rss_mb),
      );
    for (const backend of new Set(r.filter((x) => x.images_per_s !== null).map((x) => x.backend))) {
      const mb = trainRss(backend);
      if (Number.isFinite(mb) && mb > 0 && !backend.startsWith("pytorch")) {
        lines.push(
          `peak RSS of teacher training on ${backend} (its own process): ${mb} MB ` +
            `(target < 1024: ${mb < 1024 ? "met" : "not met"})`,
        );
      }
    }
    for (const batch of [1, 64]) {
      const wasm = get("wasm", "train", batch);
      const cpu = get("cpu", "train", batch);
      if (wasm && cpu) {
        lines.push(`wasm trains ${(wasm / cpu).toFixed(0)}x faster than cpu at batch ${batch}`);
      }
    }
    return lines;
  },
});

registerSuite({
  name: "distill",
  description: "scoring images/s of the teacher and each student at batch 1 and 256",
  columns: ["backend", "model", "width", "ratio", "batch", "images_per_s", "speedup"],
  run: async (opts: SuiteOptions) =>
    (await runDistillSuite(
      opts.backend === "auto" ? "wasm" : opts.backend,
      undefined,
      opts,
    )) as unknown as Record<string, unknown>[],
});
