/**
 * Scoring images with an EDE-GAN exported to ONNX, in onnxruntime-node: the session options every
 * ONNX scorer of edegan uses (`onnxSessionOptions`) and one session that scores an image set in
 * batches (`onnxScorer`), the inputs made by the scoring path's own pixel table.
 *
 * In onnxruntime-node 1.30 under Deno, `session.run` computes on the JavaScript thread that calls
 * it (its promise is already settled when it returns: measured, two sessions' runs started together
 * take as long as the two one after the other, 6.6 against 6.5 ms for two halves of 256 images on
 * the 311:1 student, 1 intra-op thread each). Scoring on several cores at once therefore needs one
 * session per thread: the scorer pool of `lib/score/scorer_pool.ts` (`runtime:
 * "onnxruntime-node"`) gives each of its Deno Workers one session on one intra-op thread.
 *
 * @module
 */

import type { ImageSet } from "../data/types.ts";
import type { EdeGan } from "../models/ede_gan/mod.ts";
import { scalePixels } from "../score/images.ts";
import type { AnomalyModel } from "../models/anomaly_model.ts";
import { asEdeGan } from "../models/ede_gan/mod.ts";
import {
  loadOnnxRuntime,
  type OnnxRuntime,
  type OnnxSession,
  type OnnxSessionOptions,
} from "./onnx_runtime.ts";
import { ONNX_INPUT, ONNX_OUTPUT, onnxModel } from "./onnx_model.ts";
import { scoringPath } from "./scoring_path.ts";

/**
 * The session options of edegan's ONNX scorers (the `students` suite's rows and the scorer pool),
 * the same for the teacher and the students: `threads` intra-op threads (as `onednn` takes them),
 * one inter-op thread and sequential execution, every graph optimisation (`all`: constant folding,
 * Conv + activation fusion, the NCHWc layout of the convolutions), and **no spinning**: by default
 * each session's pool threads spin for a while after every op waiting for the next, and the suite
 * holds four sessions (four pools) called in turn on a shared machine, so a student's call ran
 * beside the other sessions' still spinning threads.
 *
 * The config entries `session.intra_op.allow_spinning` and `session.inter_op.allow_spinning` are
 * given **nested** (`extra.session.intra_op.allow_spinning`): onnxruntime-node joins the keys of
 * `extra` with dots, so a dotted key under `session` (as given until 2026-12-06) became
 * `session.session.intra_op...`, which onnxruntime ignores. Measured (batch 256, 2 threads, the
 * suite's rotation, load 4): 311:1 16.4 ms a call, 23 ms of CPU, of which the teacher's and the
 * 700:1's idle pool threads burned 8 and 2 ms, against 6.3-8.4 ms, 6.5-10 ms of CPU, nested.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { onnxSessionOptions } from "./onnx_scorer.ts";
 * assertEquals(onnxSessionOptions(2).intraOpNumThreads, 2);
 * assertEquals(onnxSessionOptions(2).extra?.session, {
 *   intra_op: { allow_spinning: "0" },
 *   inter_op: { allow_spinning: "0" },
 * });
 * ```
 */
export function onnxSessionOptions(threads: number): OnnxSessionOptions {
  return {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: "sequential",
    graphOptimizationLevel: "all",
    extra: {
      // onnxruntime-node joins these keys with dots: session.intra_op.allow_spinning
      session: { intra_op: { allow_spinning: "0" }, inter_op: { allow_spinning: "0" } },
    },
  };
}

/** One onnxruntime-node session of a model's scoring path. */
export interface OnnxScorer {
  /**
   * One score per image of `set` (float32, the exported graph's `score`), in batches of
   * `batchSize` images (one `session.run` each); a score that is not finite is an error naming
   * the image.
   */
  score(set: ImageSet, batchSize: number): Promise<Float32Array>;
  /** Releases the session. */
  release(): Promise<void>;
}

/**
 * Exports `model`'s scoring path (with `bnStats` `moving`, the default, BatchNorm folded into the
 * convolutions; with `per-image`, each image's own statistics, as ONNX InstanceNormalization; as
 * `deno task export --format onnx` writes them) and opens it in `ort` with
 * {@link onnxSessionOptions}`(threads)`. The model is only read: the caller still owns it. Pixels
 * become floats by the scoring path's table (`scalePixels`), so the inputs equal edegan's bit for
 * bit; the scores equal edegan's within the export tests' 1e-5 (other kernels).
 *
 * @example
 * ```ts ignore
 * // not run as a test: it loads onnxruntime-node (288 MB, fetched on first use)
 * import { loadOnnxRuntime } from "./onnx_runtime.ts";
 * import { onnxScorer } from "./onnx_scorer.ts";
 * const scorer = await onnxScorer(await loadOnnxRuntime(), model, 1);
 * const scores = await scorer.score(set, 256);
 * await scorer.release();
 * ```
 */
export async function onnxScorer(
  ort: OnnxRuntime,
  model: EdeGan,
  threads: number,
  bnStats: "moving" | "per-image" = "moving",
): Promise<OnnxScorer> {
  const session: OnnxSession = await ort.InferenceSession.create(
    onnxModel(scoringPath(model, bnStats)),
    onnxSessionOptions(threads),
  );
  return {
    async score(set: ImageSet, batchSize: number): Promise<Float32Array> {
      if (!(Number.isInteger(batchSize) && batchSize >= 1)) {
        throw new Error(`batchSize: expected a whole number >= 1, got ${batchSize}`);
      }
      const size = set.height * set.width * set.channels;
      const scores = new Float32Array(set.count);
      for (let start = 0; start < set.count; start += batchSize) {
        const n = Math.min(batchSize, set.count - start);
        const x = new Float32Array(n * size);
        scalePixels(set.pixels.subarray(start * size, (start + n) * size), x);
        const dims = [n, set.height, set.width, set.channels];
        const out = await session.run({ [ONNX_INPUT]: new ort.Tensor("float32", x, dims) });
        const batch = out[ONNX_OUTPUT].data as Float32Array;
        if (batch.length !== n) {
          throw new Error(`onnxruntime-node gave ${batch.length} scores for ${n} images`);
        }
        const bad = batch.findIndex((s) => !Number.isFinite(s));
        if (bad >= 0) {
          const item = set.names?.[start + bad] ?? `image ${start + bad}`;
          throw new Error(
            `the score of ${item} is ${batch[bad]}: the model's output is not finite`,
          );
        }
        scores.set(batch, start);
      }
      return scores;
    },
    release: () => session.release(),
  };
}

/**
 * {@link onnxScorer} of any loaded model that is an EDE-GAN, in onnxruntime-node loaded here: for
 * callers that hold an `AnomalyModel` (the scorer pool's workers). Errors: a model that is not an
 * EDE-GAN (naming its kind), onnxruntime-node that does not load (its first line).
 *
 * @example
 * ```ts ignore
 * // not run as a test: it loads onnxruntime-node (288 MB, fetched on first use)
 * import { openOnnxScorer } from "./onnx_scorer.ts";
 * const scorer = await openOnnxScorer(model, 1);
 * ```
 */
export async function openOnnxScorer(
  model: AnomalyModel,
  threads: number,
  bnStats: "moving" | "per-image" = "moving",
): Promise<OnnxScorer> {
  const edeGan = asEdeGan(model, "runtime onnxruntime-node");
  const ort = await loadOnnxRuntime().catch((error: Error) => {
    throw new Error(`onnxruntime-node did not load: ${error.message.split("\n")[0]}`);
  });
  return await onnxScorer(ort, edeGan, threads, bnStats);
}
