/**
 * Data-parallel scoring: a batch of images split into contiguous slices scored at the same time by
 * N scorers, each a Deno Worker with its own copy of the model on a single-threaded runtime, the
 * scores put back together in the images' order.
 *
 * For models whose kernels are too small to split: a 311:1 or 700:1 student's call at batch 256 is
 * about 25 kernels of 0.05-1 ms, and each kernel split over two threads waits for the second one,
 * so such a student gains little from a second core, while two single-threaded copies each scoring
 * half the images keep both cores busy (BENCHMARKS.md, "Students on both cores").
 *
 * @module
 */

import type { ImageSet } from "../data/types.ts";
import type { ProgressSink } from "../util/progress.ts";
import {
  type FromScorer,
  SCORER_RUNTIMES,
  type ScorerRuntime,
  type ToScorer,
} from "./_scorer_messages.ts";

export { SCORER_RUNTIMES, type ScorerRuntime };

/** Options of {@link ScorerPool.open}. */
export interface ScorerPoolOptions {
  /**
   * The model, as `scoreImages`' callers name it (`--model`): a run folder, a model folder, or a
   * shipped model `shipped:NAME`. Every worker loads it once and scores it with the BatchNorm
   * statistics its run reported with, as `deno task score` does (`runBatchNormMode`): `moving` or
   * `per-image`; a run reported with statistics that need its data (`recomputed`, or `auto` for a
   * batch-1 run without a recorded choice) is refused, naming `deno task score`.
   */
  model: string;
  /**
   * What scores in each worker: a tfjs backend (`onednn`, `wasm`, `cpu`: the library's
   * `scoreImages`, as in the main thread) or `onnxruntime-node` (the model's scoring path exported
   * to ONNX, one session per worker; EDE-GAN only).
   */
  runtime: ScorerRuntime;
  /** Workers, each scoring one slice of a batch (default: one per core). */
  workers?: number;
  /** Threads of each worker's runtime (default 1: the cores are shared out by the workers). */
  threads?: number;
}

/** Options of {@link ScorerPool.score}. */
export interface PoolScoreOptions {
  /** Images per forward pass inside each worker (default 256). */
  batchSize?: number;
  /** Images scored so far, over all workers. */
  progress?: ProgressSink;
}

/** A call in flight: its slices' scores as they come back. */
interface Pending {
  scores: Float32Array;
  /** Offset of each worker's slice in `scores`, and its images done. */
  offsets: number[];
  done: number[];
  left: number;
  progress?: ProgressSink;
  resolve: (scores: Float32Array) => void;
  reject: (error: Error) => void;
}

/**
 * N single-threaded scorers of one model. Open it with {@link ScorerPool.open}, score with
 * {@link ScorerPool.score} (as many calls as wanted, one after the other or at once), close it
 * with `close()` or `await using`.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import * as tf from "../tf.ts";
 * import { EdeGan } from "../models/ede_gan/mod.ts";
 * import { saveModel } from "../train/checkpoint.ts";
 * import { scoreImages } from "./score.ts";
 * import { ScorerPool } from "./scorer_pool.ts";
 * await tf.setBackend("cpu");
 * const dir = await Deno.makeTempDir();
 * const model = EdeGan.create({ width: 2, latentSize: 4 }, 1);
 * await saveModel(dir, model);
 * const set = { pixels: new Uint8Array(5 * 32 * 32).map((_, i) => i % 251), count: 5,
 *   labels: new Int32Array(5), height: 32, width: 32, channels: 1 };
 * const alone = (await scoreImages(model, set)).scores;
 * {
 *   await using pool = await ScorerPool.open({ model: dir, runtime: "cpu", workers: 2 });
 *   assertEquals(await pool.score(set), alone);
 * }
 * model.dispose();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export class ScorerPool implements AsyncDisposable {
  /** The model as it was named. */
  readonly model: string;
  readonly runtime: ScorerRuntime;
  /** Each worker's runtime in words (backend, threads), as the worker reported it. */
  readonly devices: readonly string[];
  readonly #workers: Worker[];
  readonly #pending = new Map<number, Pending>();
  #nextId = 0;
  #closed = false;
  /** The error that stopped a worker for good (an uncaught one): every later call fails with it. */
  #broken: Error | null = null;

  private constructor(
    model: string,
    runtime: ScorerRuntime,
    workers: Worker[],
    devices: string[],
  ) {
    this.model = model;
    this.runtime = runtime;
    this.#workers = workers;
    this.devices = devices;
    workers.forEach((worker, k) => {
      worker.onmessage = (event: MessageEvent<FromScorer>) => this.#receive(k, event.data);
      worker.onerror = (event: ErrorEvent) => {
        event.preventDefault();
        this.#fail(new Error(`${this.#label(k)}: ${event.message}`));
      };
    });
  }

  /** Workers in the pool. */
  get size(): number {
    return this.#workers.length;
  }

  /**
   * Starts `workers` workers, each loading `model` on `runtime` with `threads` threads, and waits
   * until all have. Rejects, after stopping every worker, when one cannot start: the error names
   * the model, the runtime and the worker, with the worker's reason (a backend that cannot start,
   * e.g. onednn without `libdnnl.so.2`; a model folder that is not one; onnxruntime-node that did
   * not load).
   */
  static async open(opts: ScorerPoolOptions): Promise<ScorerPool> {
    const { model, runtime, threads = 1 } = opts;
    const workers = opts.workers ?? Math.max(1, navigator.hardwareConcurrency ?? 1);
    if (!SCORER_RUNTIMES.includes(runtime)) {
      throw new Error(
        `scorer pool for ${model}: runtime '${runtime}', expected one of ${
          SCORER_RUNTIMES.join(", ")
        }`,
      );
    }
    for (const [name, n] of [["workers", workers], ["threads", threads]] as const) {
      if (!(Number.isInteger(n) && n >= 1)) {
        throw new Error(`scorer pool for ${model}: ${name} ${n}, expected a whole number >= 1`);
      }
    }
    const started = Array.from(
      { length: workers },
      () => new Worker(new URL("./_scorer_worker.ts", import.meta.url).href, { type: "module" }),
    );
    const label = (k: number) =>
      `scorer pool for ${model} (${runtime}, worker ${k + 1} of ${workers})`;
    try {
      const devices = await Promise.all(
        started.map((worker, k) =>
          new Promise<string>((resolve, reject) => {
            worker.onmessage = (event: MessageEvent<FromScorer>) => {
              const reply = event.data;
              if (reply.type === "opened") resolve(reply.device);
              else if (reply.type === "error") {
                reject(new Error(`${label(k)} could not open: ${reply.message}`));
              }
            };
            worker.onerror = (event: ErrorEvent) => {
              event.preventDefault();
              reject(new Error(`${label(k)} could not start: ${event.message}`));
            };
            worker.postMessage({ type: "open", model, runtime, threads } satisfies ToScorer);
          })
        ),
      );
      return new ScorerPool(model, runtime, started, devices);
    } catch (error) {
      for (const worker of started) worker.terminate();
      throw error;
    }
  }

  /**
   * The scores of every image of `set`, in its order: the images split into one contiguous slice
   * per worker (sizes differing by at most one; fewer slices when there are fewer images than
   * workers), each slice's bytes copied once into a buffer transferred to its worker (no second
   * copy), scored there at `batchSize` and the scores transferred back. Each worker scores as its
   * runtime does alone (tfjs: `scoreImages`, every score checked to be finite), so the scores are
   * the single scorer's: bit for bit where each image meets the same kernels (onednn, the same batch
   * sizes), else within float rounding (oneDNN and XNNPACK round a few images differently by the
   * size of their batch and their place in it, by up to 2.4e-6 of a score; `tests/score`).
   * Rejects with the first worker's error, naming the model, the runtime and the worker; the other
   * slices' results are then dropped.
   */
  score(set: ImageSet, opts: PoolScoreOptions = {}): Promise<Float32Array> {
    const { batchSize = 256, progress } = opts;
    if (this.#closed) {
      return Promise.reject(new Error(`scorer pool for ${this.model}: already closed`));
    }
    if (this.#broken) return Promise.reject(this.#broken);
    const per = set.height * set.width * set.channels;
    if (set.pixels.length !== set.count * per) {
      return Promise.reject(
        new Error(
          `scorer pool for ${this.model}: ${set.pixels.length} pixel bytes for ${set.count} ` +
            `images of ${set.height}x${set.width}x${set.channels}, expected ${set.count * per}`,
        ),
      );
    }
    if (!(Number.isInteger(batchSize) && batchSize >= 1)) {
      return Promise.reject(
        new Error(`scorer pool for ${this.model}: batchSize ${batchSize}, expected >= 1`),
      );
    }
    const id = this.#nextId++;
    const slices = sliceCounts(set.count, this.#workers.length);
    const offsets = slices.map((_, k) => slices.slice(0, k).reduce((a, b) => a + b, 0));
    return new Promise<Float32Array>((resolve, reject) => {
      const scores = new Float32Array(set.count);
      const busy = slices.filter((n) => n > 0).length;
      if (busy === 0) return resolve(scores);
      this.#pending.set(id, {
        scores,
        offsets,
        done: slices.map(() => 0),
        left: busy,
        progress,
        resolve,
        reject,
      });
      slices.forEach((count, k) => {
        if (count === 0) return;
        const pixels = set.pixels.slice(offsets[k] * per, (offsets[k] + count) * per);
        const message: ToScorer = {
          type: "score",
          id,
          pixels,
          count,
          height: set.height,
          width: set.width,
          channels: set.channels,
          batchSize,
        };
        this.#workers[k].postMessage(message, [pixels.buffer]);
      });
    });
  }

  /**
   * Closes every worker: each releases its model (or ONNX session) and is stopped; calls still in
   * flight reject. Calling it again does nothing.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#fail(new Error(`scorer pool for ${this.model}: closed while scoring`));
    await Promise.all(this.#workers.map((worker) =>
      new Promise<void>((resolve) => {
        // a worker that does not answer within 5 s is stopped anyway
        const timer = setTimeout(resolve, 5000);
        worker.onmessage = (event: MessageEvent<FromScorer>) => {
          if (event.data.type === "closed" || event.data.type === "error") {
            clearTimeout(timer);
            resolve();
          }
        };
        worker.onerror = (event: ErrorEvent) => {
          event.preventDefault();
          clearTimeout(timer);
          resolve();
        };
        worker.postMessage({ type: "close" } satisfies ToScorer);
      })
    ));
    for (const worker of this.#workers) worker.terminate();
  }

  /** `await using pool = await ScorerPool.open(...)` closes it at the end of the block. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  #label(k: number): string {
    return `scorer pool for ${this.model} (${this.runtime}, worker ${k + 1} of ${this.size})`;
  }

  #receive(k: number, reply: FromScorer): void {
    if (reply.type === "opened" || reply.type === "closed") return;
    if (reply.type === "error" && reply.id < 0) {
      this.#fail(new Error(`${this.#label(k)}: ${reply.message}`));
      return;
    }
    const pending = this.#pending.get(reply.id);
    if (pending === undefined) return; // a call that already failed
    if (reply.type === "error") {
      this.#pending.delete(reply.id);
      pending.reject(new Error(`${this.#label(k)}: ${reply.message}`));
    } else if (reply.type === "progress") {
      pending.done[k] = reply.done;
      pending.progress?.update(pending.done.reduce((a, b) => a + b, 0), pending.scores.length);
    } else {
      pending.scores.set(reply.scores, pending.offsets[k]);
      if (--pending.left === 0) {
        this.#pending.delete(reply.id);
        pending.resolve(pending.scores);
      }
    }
  }

  /** Rejects every call in flight with `error`; after an uncaught error, every later one too. */
  #fail(error: Error): void {
    if (!this.#closed) this.#broken = error;
    for (const pending of this.#pending.values()) pending.reject(error);
    this.#pending.clear();
  }
}

/**
 * `count` images shared out over `workers` contiguous slices, in order: sizes differing by at
 * most one, the larger ones first.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { sliceCounts } from "./scorer_pool.ts";
 * assertEquals(sliceCounts(257, 2), [129, 128]);
 * assertEquals(sliceCounts(1, 2), [1, 0]);
 * ```
 */
export function sliceCounts(count: number, workers: number): number[] {
  const base = Math.floor(count / workers);
  return Array.from({ length: workers }, (_, k) => base + (k < count % workers ? 1 : 0));
}
