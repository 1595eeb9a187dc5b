/**
 * onnxruntime-node for edegan's ONNX scorers (`onnx_scorer.ts`: the `students` suite's ONNX rows and
 * the scorer pool's `onnxruntime-node` workers), loaded at run time by a specifier Deno's
 * module graph cannot see (as `tests/export/_onnxruntime.ts` loads it for the export tests): the
 * package is 288 MB, and an import map entry, a literal import or an entry in `deno.lock` would
 * make every user's first `deno task` install it. Running the suite adds it to `deno.lock`, which
 * is then not to be committed (`git checkout deno.lock`).
 *
 * @module
 */

/** The part of onnxruntime-node's API the suite uses. */
export interface OnnxRuntime {
  InferenceSession: {
    create(model: Uint8Array, options?: OnnxSessionOptions): Promise<OnnxSession>;
  };
  Tensor: new (type: "float32", data: Float32Array, dims: readonly number[]) => unknown;
}

/** Nested session config entries (see {@link OnnxSessionOptions}'s `extra`). */
export interface ExtraOptions {
  [key: string]: string | ExtraOptions;
}

/** The session options the suite sets (onnxruntime-common's `InferenceSession.SessionOptions`). */
export interface OnnxSessionOptions {
  intraOpNumThreads?: number;
  interOpNumThreads?: number;
  graphOptimizationLevel?: "disabled" | "basic" | "extended" | "layout" | "all";
  executionMode?: "sequential" | "parallel";
  enableMemPattern?: boolean;
  enableCpuMemArena?: boolean;
  enableProfiling?: boolean;
  profileFilePrefix?: string;
  /**
   * Session config entries as nested objects of strings: onnxruntime-node joins the keys with
   * dots, so `{ session: { intra_op: { allow_spinning: "0" } } }` sets
   * `session.intra_op.allow_spinning` (a dotted key inside is joined too: `session.session....`).
   */
  extra?: { session?: ExtraOptions };
}

/** An inference session of one model. */
export interface OnnxSession {
  run(feeds: Record<string, unknown>): Promise<Record<string, { data: unknown }>>;
  release(): Promise<void>;
  /** Ends profiling (with `enableProfiling`); the trace is written to the prefix's JSON file. */
  endProfiling(): void;
}

/** The version the export tests check against. */
export const ONNXRUNTIME_VERSION = "1.30.0";

/** Imports onnxruntime-node (downloaded from npm on first use). */
export async function loadOnnxRuntime(): Promise<OnnxRuntime> {
  const specifier = ["npm:onnxruntime-node", ONNXRUNTIME_VERSION].join("@");
  return await import(specifier) as OnnxRuntime;
}
