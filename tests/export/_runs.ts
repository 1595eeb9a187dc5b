/**
 * Small trained runs for the export tests: a teacher (width 64, latent 100, the paper's) and a
 * 700:1-style student (width 2, latent 16), each trained for a few steps on real MNIST digit 2,
 * plus a batch-1 student scored with per-image BatchNorm statistics and a student scored with
 * statistics recomputed over its training normals. Trained once per test file.
 *
 * @module
 */

import { trainRun } from "../../lib/train/run.ts";
import type { BatchNormStatsMode } from "../../lib/models/ede_gan/batch_norm_stats.ts";
import { loadOneClass } from "../../lib/data/protocol.ts";
import type { ImageSet } from "../../lib/data/types.ts";
import { useBackend } from "../_helpers.ts";
import { join } from "@std/path";
import { loadEdeGan } from "../../lib/models/ede_gan/mod.ts";
import { scoreImages } from "../../lib/score/score.ts";
import { loadImageFolder } from "../../lib/score/images.ts";

/** The runs the tests export. */
export const RUNS = {
  teacher: { model: { width: 64, latentSize: 100 }, batchSize: 16, limit: 64 },
  student: { model: { width: 2, latentSize: 16 }, batchSize: 16, limit: 64 },
  perImage: { model: { width: 2, latentSize: 16 }, batchSize: 1, limit: 12 },
  recomputed: { model: { width: 2, latentSize: 16 }, batchSize: 16, limit: 64 },
} as const;

/** The BatchNorm statistics each run is scored with. */
const BN_STATS: Record<RunName, BatchNormStatsMode> = {
  teacher: "moving",
  student: "moving",
  perImage: "per-image",
  recomputed: "recomputed",
};

/** One of {@link RUNS}. */
export type RunName = keyof typeof RUNS;

const trained = new Map<RunName, Promise<string>>();
const made: string[] = [];
globalThis.addEventListener("unload", () => {
  for (const dir of made) {
    try {
      Deno.removeSync(dir, { recursive: true });
    } catch { /* already gone */ }
  }
});

/** A new temporary folder, removed when the test process ends. */
export async function tempDir(prefix = "edegan-export-"): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix });
  made.push(dir);
  return dir;
}

/** The folder of a trained run (trained on first use, on the wasm backend). */
export function trainedRun(name: RunName): Promise<string> {
  let run = trained.get(name);
  if (!run) {
    run = (async () => {
      await useBackend("wasm");
      const out = await tempDir(`edegan-export-${name}-`);
      const spec = RUNS[name];
      const result = await trainRun({
        dataset: "mnist",
        normal: 2,
        epochs: 1,
        seed: 0,
        batchSize: spec.batchSize,
        limit: spec.limit,
        testLimit: 40,
        model: spec.model,
        evaluateEachEpoch: false,
        bnStats: BN_STATS[name],
        out,
      });
      result.model.dispose();
      return out;
    })();
    trained.set(name, run);
  }
  return run;
}

/** Real MNIST test images (digit 2 normal), a stratified subset of `count`. */
export async function testImages(count: number): Promise<ImageSet> {
  return (await loadOneClass({ dataset: "mnist", normal: 2, testLimit: count })).test;
}

/**
 * edegan's own scores of the image files in `dir`, as `deno task score --images` computes them
 * (cpu backend, the run's model and moving statistics), and the run's calibrated threshold: what
 * an exported model's scores of the same files are held against.
 */
export async function edeganFolderScores(
  run: string,
  dir: string,
): Promise<{ set: ImageSet; want: Float32Array; threshold: number }> {
  await useBackend("cpu");
  const set = await loadImageFolder(dir, 32, 1);
  const { model } = await loadEdeGan(join(run, "model"));
  const want = (await scoreImages(model, set)).scores;
  model.dispose();
  const threshold = JSON.parse(await Deno.readTextFile(join(run, "run.json"))).calibration
    .threshold as number;
  return { set, want, threshold };
}
