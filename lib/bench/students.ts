/**
 * The `students` benchmark suite: how much faster the papers' students score than their teacher,
 * on one backend (`--backend`; `auto` takes onednn, the fastest CPU backend, where it loads, else
 * wasm). The teacher (width 64) and the students of 24.45:1, 311.11:1 and 700:1 (FLOPs along the
 * scoring path, resolved as `deno task distill --students R:1` resolves them) score random images
 * through the library's own scoring path (`scoreImages`: pixels to tensor, one `tf.tidy` and one
 * read per batch, every score checked) at batch 256 and batch 1.
 *
 * The same models are then exported (`onnxModel` of their scoring path, BatchNorm folded into the
 * convolutions, as `deno task export --format onnx` writes them) and timed in onnxruntime-node
 * (rows with backend `onnxruntime-node`, at the CPU backend's thread count: `EDEGAN_THREADS`,
 * else `OMP_NUM_THREADS`, else every core, as `onednn` takes it), loaded at run time
 * (`_onnxruntime.ts`); where it cannot be loaded those rows are missing and the summary says so.
 *
 * Beside each runtime's rows, the students are also timed **data-parallel** (`ScorerPool` of
 * `lib/score/scorer_pool.ts`): each batch split over one single-threaded worker per core (rows with
 * `workers` > 1, `threads` 1), each worker holding its own copy of the student (on the CPU backend,
 * or one onnxruntime-node session each), in the same interleaved rounds as the teacher, whose own
 * kernels already use every core: both sides of the ratio use the whole machine.
 *
 * The machine's load varies from second to second, so the models are timed in interleaved rounds
 * (one call of each model per round, each round starting at the next model) and each figure is the
 * median of its rounds: the ratios to the teacher are measured under the same load.
 *
 * @module
 */

import { type BackendChoice, type BackendName, selectBackend } from "../backend/select.ts";
import {
  EdeGan,
  type EdeGanConfig,
  modelCost,
  narrowerCosts,
  resolveConfig,
  studentConfig,
} from "../models/ede_gan/mod.ts";
import type { ImageSet } from "../data/types.ts";
import { scoreImages } from "../score/score.ts";
import { studentForRatio } from "../distill/students.ts";
import { registerSuite, type SuiteOptions } from "./suites.ts";
import { median } from "./kernels.ts";
import { ONNX_INPUT, ONNX_OUTPUT, onnxModel, scoringPath } from "../export/mod.ts";
import { onnxSessionOptions } from "../export/onnx_scorer.ts";
import { loadOnnxRuntime, type OnnxRuntime } from "./_onnxruntime.ts";
import { scalePixels } from "../score/images.ts";
import { threadCount } from "../backend/onednn/threads.ts";
import { ScorerPool, type ScorerRuntime } from "../score/scorer_pool.ts";
import { saveModel } from "../train/checkpoint.ts";
import { join } from "@std/path";

export { onnxSessionOptions };

/** One row: a model's scoring speed at one batch size. */
export interface StudentSpeedRow {
  backend: string;
  model: string;
  width: number;
  latent: number;
  /** Teacher FLOPs / this model's FLOPs along the scoring path. */
  ratio: number;
  batch: number;
  ms_per_call: number;
  images_per_s: number;
  /** images_per_s / the teacher's at the same batch, measured in the same rounds. */
  speedup: number;
  /** Scorers at once, each with its own copy of the model (1: the model alone; absent: 1). */
  workers?: number;
  /** Threads of each scorer (oneDNN's or onnxruntime's intra-op threads; wasm: 1). */
  threads?: number;
}

/** The compression ratios the suite measures beside the teacher. */
export const BENCH_RATIOS: readonly number[] = [24.45, 311.11, 700];

/** What the student speed suites time, and how often. */
export interface StudentSpeedOptions {
  /** The students' compression ratios beside the teacher (default {@link BENCH_RATIOS}). */
  ratios?: readonly number[];
  /** Batch sizes to time at (default 256 and 1). */
  batches?: number[];
  /** Interleaved rounds, each figure the median of them (default 15). */
  rounds?: number;
  /**
   * Workers of the students' data-parallel rows (default: one per core; 1 or 0: no such rows).
   */
  poolWorkers?: number;
  /** Progress, one line a round. */
  onProgress?: (msg: string) => void;
}

/** {@link StudentSpeedOptions} with their defaults. */
function speedSettings(
  opts: StudentSpeedOptions,
): Required<Omit<StudentSpeedOptions, "onProgress">> {
  const {
    ratios = BENCH_RATIOS,
    batches = [256, 1],
    rounds = 15,
    poolWorkers = Math.max(1, navigator.hardwareConcurrency ?? 1),
  } = opts;
  return { ratios, batches, rounds, poolWorkers };
}

/** Images per timed call at each batch size (batch 1: a block of single-image calls). */
const IMAGES_PER_CALL: Record<number, number> = { 256: 256, 1: 32 };

/**
 * Times the teacher and the students of `ratios` scoring at `batches`, in `rounds` interleaved
 * rounds after one warm-up call each.
 *
 * @example
 * ```ts ignore
 * // not run as a test: it times the full-size teacher for tens of seconds
 * import { runStudentSpeedSuite } from "./students.ts";
 * console.table(await runStudentSpeedSuite("onednn"));
 * ```
 */
export async function runStudentSpeedSuite(
  backend: BackendName,
  opts: StudentSpeedOptions = {},
): Promise<StudentSpeedRow[]> {
  const { ratios, batches, rounds, poolWorkers } = speedSettings(opts);
  const selection = await selectBackend(backend);
  const threads = selection.backend === "onednn" ? threadCount() : 1;
  const models = benchModels(ratios);
  const timed: Timed[] = models.map(({ name, model }) => ({
    name,
    config: model.config,
    workers: 1,
    threads,
    call: async (set: ImageSet, batch: number) => {
      await scoreImages(model, set, { batchSize: batch });
    },
  }));
  const pools = await studentPools(
    models,
    selection.backend as ScorerRuntime,
    poolWorkers,
    opts.onProgress,
  );
  try {
    return await timeInRounds(
      selection.backend,
      [...timed, ...pools.timed],
      batches,
      rounds,
      opts.onProgress,
    );
  } finally {
    await pools.close();
    for (const { model } of models) model.dispose();
  }
}

/**
 * The students of `models` (every model but the teacher, the first) as data-parallel scorers:
 * each saved to a temporary folder and opened in a {@link ScorerPool} of `workers`
 * single-threaded workers on `runtime`; none where `workers` < 2 or the runtime cannot start in a
 * worker (a progress line says why). `close` closes the pools and removes the folder.
 */
async function studentPools(
  models: { name: string; model: EdeGan }[],
  runtime: ScorerRuntime,
  workers: number,
  onProgress?: (msg: string) => void,
): Promise<{ timed: Timed[]; close: () => Promise<void> }> {
  const pools: ScorerPool[] = [];
  const dir = await Deno.makeTempDir({ prefix: "edegan-bench-students-" });
  const close = async () => {
    for (const pool of pools) await pool.close();
    await Deno.remove(dir, { recursive: true });
  };
  if (workers < 2) return { timed: [], close };
  const timed: Timed[] = [];
  try {
    for (const { name, model } of models.slice(1)) {
      const modelDir = join(dir, name.replace(":", "-"));
      await saveModel(modelDir, model);
      const pool = await ScorerPool.open({ model: modelDir, runtime, workers, threads: 1 });
      pools.push(pool);
      timed.push({
        name,
        config: model.config,
        workers,
        threads: 1,
        call: async (set: ImageSet, batch: number) => {
          await pool.score(set, { batchSize: batch });
        },
      });
    }
  } catch (error) {
    onProgress?.(
      `${runtime}: no data-parallel rows, a scorer pool did not open: ` +
        (error as Error).message.split("\n")[0],
    );
    await close();
    return { timed: [], close: () => Promise.resolve() };
  }
  return { timed, close };
}

/**
 * The same models as {@link runStudentSpeedSuite}, exported to ONNX (BatchNorm folded, moving
 * statistics) and timed in onnxruntime-node at the thread count `onednn` takes (`threadCount`),
 * every session with the same {@link onnxSessionOptions}:
 * pixels to a float tensor, one `session.run` and every score checked per call, in interleaved
 * rounds. Builds the models on the current tfjs backend
 * (only to read their weights). The students' data-parallel rows: a {@link ScorerPool} per student
 * (`runtime: "onnxruntime-node"`), one session on one intra-op thread in each worker, since
 * `session.run` computes on the thread that calls it (`lib/export/onnx_scorer.ts`).
 *
 * @example
 * ```ts ignore
 * // not run as a test: it loads onnxruntime-node and times the full-size teacher
 * import { runOnnxStudentSpeedSuite } from "./students.ts";
 * import { loadOnnxRuntime } from "./_onnxruntime.ts";
 * console.table(await runOnnxStudentSpeedSuite(await loadOnnxRuntime()));
 * ```
 */
export async function runOnnxStudentSpeedSuite(
  ort: OnnxRuntime,
  opts: StudentSpeedOptions = {},
): Promise<StudentSpeedRow[]> {
  const { ratios, batches, rounds, poolWorkers } = speedSettings(opts);
  const threads = threadCount();
  const models = benchModels(ratios);
  const sessions = [];
  let pools: Awaited<ReturnType<typeof studentPools>> | undefined;
  try {
    for (const { name, model } of models) {
      const session = await ort.InferenceSession.create(
        onnxModel(scoringPath(model, "moving")),
        onnxSessionOptions(threads),
      );
      sessions.push({ name, config: model.config, session });
    }
    pools = await studentPools(models, "onnxruntime-node", poolWorkers, opts.onProgress);
  } finally {
    for (const { model } of models) model.dispose();
  }
  try {
    const timed: Timed[] = sessions.map(({ name, config, session }) => ({
      name,
      config,
      workers: 1,
      threads,
      call: async (set: ImageSet, batch: number) => {
        const size = set.height * set.width * set.channels;
        for (let start = 0; start < set.count; start += batch) {
          const n = Math.min(batch, set.count - start);
          const x = new Float32Array(n * size);
          scalePixels(set.pixels.subarray(start * size, (start + n) * size), x);
          const dims = [n, set.height, set.width, set.channels];
          const out = await session.run({ [ONNX_INPUT]: new ort.Tensor("float32", x, dims) });
          const scores = out[ONNX_OUTPUT].data as Float32Array;
          if (scores.length !== n || !scores.every(Number.isFinite)) {
            throw new Error(`onnxruntime-node: ${name} gave ${scores.length} scores for ${n}`);
          }
        }
      },
    }));
    return await timeInRounds(
      "onnxruntime-node",
      [...timed, ...pools.timed],
      batches,
      rounds,
      opts.onProgress,
    );
  } finally {
    await pools?.close();
    for (const { session } of sessions) await session.release();
  }
}

/** The teacher (width 64) and the students of `ratios`, with fixed random weights. */
function benchModels(ratios: readonly number[]): { name: string; model: EdeGan }[] {
  const teacherConfig = resolveConfig({ width: 64 });
  return [
    { name: "teacher", model: EdeGan.create(teacherConfig, 1) },
    ...ratios.map((r) => ({
      name: `${r}:1`,
      model: EdeGan.create(
        studentConfig(teacherConfig, studentForRatio(narrowerCosts(teacherConfig), r)),
        1,
      ),
    })),
  ];
}

/** One model to time: `call` scores a set at a batch size. */
interface Timed {
  name: string;
  config: EdeGanConfig;
  /** Scorers at once, and threads each (for the rows). */
  workers: number;
  threads: number;
  call: (set: ImageSet, batch: number) => Promise<void>;
}

/**
 * Times `models` (the teacher first) at each batch size in interleaved rounds after one warm-up
 * call each; each figure is the median of its rounds, its speed-up against the teacher's.
 */
async function timeInRounds(
  backend: string,
  models: Timed[],
  batches: number[],
  rounds: number,
  onProgress?: (msg: string) => void,
): Promise<StudentSpeedRow[]> {
  const teacherMacs = modelCost(models[0].config).generator.macs;
  const rows: StudentSpeedRow[] = [];
  for (const batch of batches) {
    const count = IMAGES_PER_CALL[batch] ?? batch;
    const set = randomImages(count);
    const seconds = models.map(() => [] as number[]);
    for (const { call } of models) await call(set, batch);
    for (let round = 0; round < rounds; round++) {
      onProgress?.(`${backend} batch ${batch} round ${round + 1}/${rounds}`);
      // Each round starts at another model, so that no model always follows the same one.
      for (let k = 0; k < models.length; k++) {
        const m = (round + k) % models.length;
        const started = performance.now();
        await models[m].call(set, batch);
        seconds[m].push((performance.now() - started) / 1000);
      }
    }
    const teacherSpeed = count / median(seconds[0]);
    models.forEach(({ name, config, workers, threads }, m) => {
      const speed = count / median(seconds[m]);
      rows.push({
        backend,
        model: name,
        width: config.width,
        latent: config.latentSize,
        ratio: round2(teacherMacs / modelCost(config).generator.macs),
        batch,
        ms_per_call: round2((1000 * median(seconds[m]) * batch) / count),
        images_per_s: Math.round(speed),
        speedup: round2(speed / teacherSpeed),
        workers,
        threads,
      });
    });
  }
  return rows;
}

/** Run-to-run spread of one figure on a shared machine: a student is called slower than a larger
 * one only when it is slower by more than this factor. */
const NOISE = 1.1;

/**
 * The suite's verdicts, per backend (the CPU backend's rows and onnxruntime-node's, each with its
 * data-parallel rows apart, as `BACKEND N workers x 1 thread`): the speed-up
 * of the 311:1 and 700:1 students at batch 256 against the target of 25x, and whether any student
 * scores more than 10% slower than a larger one (closer is within the noise of one run on a
 * shared machine). Without onnxruntime-node rows a line says so.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { summarizeStudentSpeed } from "./students.ts";
 * const row = (model: string, ratio: number, images_per_s: number, speedup: number) =>
 *   ({ backend: "wasm", model, width: 1, latent: 1, ratio, batch: 256, ms_per_call: 1,
 *      images_per_s, speedup });
 * const lines = summarizeStudentSpeed([row("teacher", 1, 100, 1), row("311.11:1", 315, 3000, 30),
 *   row("700:1", 655, 2000, 20)]);
 * assertEquals(lines, [
 *   "wasm batch 256: 311.11:1 scores 30.0x faster than the teacher (>= 25x met)",
 *   "wasm batch 256: 700:1 scores 20.0x faster than the teacher (< 25x)",
 *   "wasm batch 256: 700:1 (655:1) is slower than 311.11:1 (315:1): 2000 < 3000 images/s",
 *   "onnxruntime-node: no rows (it did not load; see the progress lines)",
 * ]);
 * ```
 */
export function summarizeStudentSpeed(rows: StudentSpeedRow[]): string[] {
  const lines: string[] = [];
  // the data-parallel rows apart, each against the teacher of its rounds
  const label = (r: StudentSpeedRow) =>
    (r.workers ?? 1) > 1
      ? `${r.backend} ${r.workers} workers x ${r.threads ?? 1} thread`
      : r.backend;
  const teacherOf = (r: StudentSpeedRow) =>
    rows.find((t) => t.backend === r.backend && t.batch === r.batch && t.model === "teacher");
  for (const backend of [...new Set(rows.map(label))]) {
    const ofBackend = rows.filter((r) => label(r) === backend);
    for (const batch of [...new Set(ofBackend.map((r) => r.batch))]) {
      const here = ofBackend.filter((r) => r.batch === batch).sort((a, b) => a.ratio - b.ratio);
      const teacher = teacherOf(here[0]);
      if (teacher && !here.includes(teacher)) here.unshift(teacher);
      const at = `${backend} batch ${batch}`;
      if (batch === 256) {
        for (const r of here.filter((r) => r.ratio >= 300)) {
          lines.push(
            `${at}: ${r.model} scores ${r.speedup.toFixed(1)}x faster than the teacher ` +
              (r.speedup >= 25 ? "(>= 25x met)" : "(< 25x)"),
          );
        }
      }
      for (let i = 1; i < here.length; i++) {
        const [larger, smaller] = [here[i - 1], here[i]];
        if (
          larger.model !== "teacher" && smaller.images_per_s < larger.images_per_s / NOISE
        ) {
          lines.push(
            `${at}: ${smaller.model} (${Math.round(smaller.ratio)}:1) is slower than ` +
              `${larger.model} (${Math.round(larger.ratio)}:1): ${smaller.images_per_s} < ` +
              `${larger.images_per_s} images/s`,
          );
        }
      }
    }
  }
  if (!rows.some((r) => r.backend === "onnxruntime-node")) {
    lines.push("onnxruntime-node: no rows (it did not load; see the progress lines)");
  }
  return lines;
}

/**
 * The whole suite: the fastest CPU backend's rows, then onnxruntime-node's (skipped, with a
 * progress line, where it cannot be loaded).
 */
async function runSuite(opts: SuiteOptions): Promise<StudentSpeedRow[]> {
  const rows = await runStudentSpeedSuite(await fastestCpu(opts.backend), opts);
  let ort: OnnxRuntime;
  try {
    ort = await loadOnnxRuntime();
  } catch (error) {
    opts.onProgress?.(
      `onnxruntime-node did not load, no ONNX rows: ${(error as Error).message.split("\n")[0]}`,
    );
    return rows;
  }
  return [...rows, ...await runOnnxStudentSpeedSuite(ort, opts)];
}

function randomImages(count: number): ImageSet {
  let state = 7;
  const pixels = new Uint8Array(count * 32 * 32).map(() => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state >>> 24;
  });
  return { pixels, labels: new Int32Array(count), count, height: 32, width: 32, channels: 1 };
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}

/** `auto` means the fastest CPU backend: onednn where it loads, else wasm. */
async function fastestCpu(choice: BackendChoice): Promise<BackendName> {
  if (choice !== "auto") return choice;
  try {
    await selectBackend("onednn");
    return "onednn";
  } catch {
    return "wasm";
  }
}

registerSuite({
  name: "students",
  description:
    "scoring images/s of the teacher and the 24:1, 311:1, 700:1 students (batch 256, 1), " +
    "on the fastest CPU backend and exported to ONNX in onnxruntime-node, the students also " +
    "data-parallel (one single-threaded worker per core)",
  columns: [
    "backend",
    "model",
    "width",
    "latent",
    "ratio",
    "batch",
    "ms_per_call",
    "images_per_s",
    "speedup",
    "workers",
    "threads",
  ],
  run: async (opts: SuiteOptions) => (await runSuite(opts)) as unknown as Record<string, unknown>[],
  summarize: (rows) => summarizeStudentSpeed(rows as unknown as StudentSpeedRow[]),
});
