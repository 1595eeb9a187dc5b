/**
 * One scorer of a {@link ScorerPool} (`scorer_pool.ts`), run as a Deno Worker: it loads the model
 * once on its own runtime (a tfjs backend, or onnxruntime-node) with its own thread count, then
 * scores the slices of image sets it is sent, one at a time, in the order they came. The messages
 * are those of `_scorer_messages.ts`.
 *
 * @module
 */

/// <reference lib="deno.worker" />

import type { ImageSet } from "../data/types.ts";
import type { AnomalyModel } from "../models/anomaly_model.ts";
import { selectBackend } from "../backend/select.ts";
import { loadModel } from "../train/checkpoint.ts";
import { resolveModelDir } from "./model_dir.ts";
import { loadPlugins } from "../util/plugins.ts";
import { scoreImages } from "./score.ts";
import { runBatchNormMode } from "./scoring_run.ts";
import type { ToScorer } from "./_scorer_messages.ts";

/** Scores a set at a batch size, reporting images done. */
type Score = (
  set: ImageSet,
  batchSize: number,
  progress: (done: number) => void,
) => Promise<Float32Array>;

/** A model opened on a runtime. */
interface Scorer {
  score: Score;
  close: () => Promise<void>;
  /** The runtime in words (backend, threads). */
  device: string;
}

let scorer: Scorer | null = null;
// Messages are handled one after the other (a score never interleaves with another on the model).
let queue: Promise<void> = Promise.resolve();

self.onmessage = (event: MessageEvent<ToScorer>) => {
  queue = queue.then(() => handle(event.data));
};

async function handle(message: ToScorer): Promise<void> {
  const id = message.type === "score" ? message.id : -1;
  try {
    if (message.type === "open") {
      scorer = await open(message.model, message.runtime, message.threads);
      self.postMessage({ type: "opened", device: scorer.device });
    } else if (message.type === "score") {
      if (scorer === null) throw new Error("the scorer was sent images before it opened");
      const { pixels, count, height, width, channels, batchSize } = message;
      const set: ImageSet = {
        pixels,
        labels: new Int32Array(count),
        count,
        height,
        width,
        channels,
      };
      const scores = await scorer.score(set, batchSize, (done) => {
        self.postMessage({ type: "progress", id, done });
      });
      self.postMessage({ type: "scores", id, scores }, [scores.buffer as ArrayBuffer]);
    } else {
      await scorer?.close();
      scorer = null;
      self.postMessage({ type: "closed" });
    }
  } catch (error) {
    self.postMessage({ type: "error", id, message: (error as Error).message ?? String(error) });
  }
}

async function open(
  model: string,
  runtime: string,
  threads: number,
): Promise<Scorer> {
  // A plugin's model (EDEGAN_PLUGINS) is registered in this worker too, as in the task, so that
  // every runtime reads its run (the ONNX one refuses it by name, as the export does).
  await loadPlugins();
  if (runtime === "onnxruntime-node") return await openOnnx(model, threads);
  const selection = await selectBackend(runtime as "cpu" | "wasm" | "onednn", { threads });
  const dir = await resolveModelDir(model);
  const loaded: AnomalyModel = (await loadModel(dir)).model;
  const bnStats = await poolBatchNormStats(dir, loaded, model).catch((error) => {
    loaded.dispose();
    throw error;
  });
  return {
    score: async (set, batchSize, progress) =>
      (await scoreImages(loaded, set, {
        batchSize,
        bnStats,
        progress: { update: (done) => progress(done), finish() {} },
      })).scores,
    close: () => Promise.resolve(loaded.dispose()),
    device: selection.device,
  };
}

/** The model's scoring path exported to ONNX, one onnxruntime-node session on `threads`. */
async function openOnnx(
  model: string,
  threads: number,
): Promise<Scorer> {
  // tfjs only to read the weights (the cpu backend: nothing to start)
  await selectBackend("cpu");
  const { openOnnxScorer } = await import("../export/onnx_scorer.ts");
  const dir = await resolveModelDir(model);
  const loaded = (await loadModel(dir)).model;
  let session;
  try {
    session = await openOnnxScorer(loaded, threads, await poolBatchNormStats(dir, loaded, model));
  } finally {
    loaded.dispose();
  }
  return {
    score: async (set, batchSize, progress) => {
      const scores = await session.score(set, batchSize);
      progress(set.count);
      return scores;
    },
    close: () => session.release(),
    device: `onnxruntime-node, ${threads} intra-op thread(s)`,
  };
}

/**
 * The BatchNorm statistics the run reported its scores with, as `deno task score` uses them: the
 * two that need no data here are taken; the others are refused rather than scored another way.
 */
async function poolBatchNormStats(
  dir: string,
  loaded: AnomalyModel,
  model: string,
): Promise<"moving" | "per-image"> {
  const bnStats = await runBatchNormMode(dir, loaded);
  if (bnStats === "moving" || bnStats === "per-image") return bnStats;
  throw new Error(
    `its run reports its scores with the '${bnStats}' BatchNorm statistics (run.json ` +
      "scoring.bnStats or its batch size), which need its training data; a scorer pool scores " +
      `with 'moving' or 'per-image' only: use \`deno task score --model ${model}\``,
  );
}
