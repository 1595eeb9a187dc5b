/**
 * The messages between a {@link ScorerPool} (`scorer_pool.ts`) and its workers
 * (`_scorer_worker.ts`).
 *
 * @module
 */

/** What runs a pool's model: a tfjs backend on the CPU, or the ONNX export in onnxruntime-node. */
export type ScorerRuntime = "cpu" | "wasm" | "onednn" | "onnxruntime-node";

/** The runtimes a pool can start, in the order its errors list them. */
export const SCORER_RUNTIMES: readonly ScorerRuntime[] = [
  "onednn",
  "wasm",
  "cpu",
  "onnxruntime-node",
];

/** Pool to worker. */
export type ToScorer =
  | { type: "open"; model: string; runtime: ScorerRuntime; threads: number }
  | {
    type: "score";
    id: number;
    /** The slice's bytes, NHWC, transferred. */
    pixels: Uint8Array;
    count: number;
    height: number;
    width: number;
    channels: number;
    batchSize: number;
  }
  | { type: "close" };

/** Worker to pool. */
export type FromScorer =
  | { type: "opened"; device: string }
  | { type: "progress"; id: number; done: number }
  | { type: "scores"; id: number; scores: Float32Array }
  | { type: "closed" }
  /** `id` -1: opening or closing failed. */
  | { type: "error"; id: number; message: string };
