/**
 * `--bn-stats` for a saved run goes through the model's registry entry (`batchNormScoring`):
 * EDE-GAN's modes give what its own study functions give, and a model without modes (Deep SVDD)
 * is refused by flag and kind, its `auto` and `moving` scored with the moving statistics.
 */

import { assertEquals, assertRejects } from "@std/assert";
import { join } from "@std/path";
import * as tf from "../../lib/tf.ts";
import { createModel } from "../../lib/models/registry.ts";
import type { AnomalyModel } from "../../lib/models/anomaly_model.ts";
import { EDE_GAN_BATCH_NORM_SCORING } from "../../lib/models/ede_gan/batch_norm_scoring.ts";
import { recomputeBatchNormStats } from "../../lib/models/ede_gan/batch_norm_stats.ts";
import { chooseBatchNormStats } from "../../lib/models/ede_gan/choose_batch_norm_stats.ts";
import { EdeGan } from "../../lib/models/ede_gan/mod.ts";
import { saveModel } from "../../lib/train/checkpoint.ts";
import { resolveBatchNormStats, type ScoringRun } from "../../lib/score/scoring_run.ts";
import type { ImageSet, OneClassSplit } from "../../lib/data/types.ts";
import type { RunManifest } from "../../lib/run/manifest.ts";

/** `count` 32x32 grey images of varied strokes (no data files needed). */
function images(count: number, offset: number): ImageSet {
  const pixels = Uint8Array.from(
    { length: count * 32 * 32 },
    (_, i) => ((i * 37 + offset * 101) % 256) * (i % 32 > 8 + (Math.floor(i / 1024) % 7) ? 1 : 0),
  );
  return { pixels, labels: new Int32Array(count), count, height: 32, width: 32, channels: 1 };
}

function scoringRun(model: AnomalyModel, modelDir: string): ScoringRun {
  const data = { train: images(8, 0), val: images(4, 1) } as OneClassSplit;
  return { modelDir, model, run: {} as RunManifest, data, trainBatchSize: 4 };
}

Deno.test("--bn-stats of a deep-svdd run: refused naming the flag and the kind; auto and moving score moving", async () => {
  await tf.setBackend("cpu");
  const model = createModel("deep-svdd", {}, { imageSize: 32, channels: 1 }, 0);
  try {
    const run = scoringRun(model, "/nonexistent/model");
    for (const flag of ["per-image", "recomputed", "all"] as const) {
      await assertRejects(
        () => resolveBatchNormStats(run, flag),
        Error,
        `--bn-stats ${flag}: a 'deep-svdd' model is scored with its moving statistics only ` +
          "(--bn-stats moving)",
      );
    }
    assertEquals((await resolveBatchNormStats(run, "auto")).modes, ["moving"]);
    assertEquals((await resolveBatchNormStats(run, "moving")).modes, ["moving"]);
    // EDE-GAN's capability, handed another model, names the flag and the model too.
    await assertRejects(
      () => EDE_GAN_BATCH_NORM_SCORING.choose(model, images(2, 0)),
      Error,
      "--bn-stats auto: a 'deep-svdd' model, this needs an EDE-GAN",
    );
  } finally {
    model.dispose();
  }
});

Deno.test("--bn-stats of an ede-gan run through the registry: the statistics and choice of its study", async () => {
  await tf.setBackend("cpu");
  const dir = await Deno.makeTempDir();
  const model = EdeGan.create({ width: 2, latentSize: 4 }, 3);
  try {
    const modelDir = join(dir, "model");
    await saveModel(modelDir, model);
    const run = scoringRun(model, modelDir);
    assertEquals((await resolveBatchNormStats(run, "per-image")).modes, ["per-image"]);

    const recomputed = await resolveBatchNormStats(run, "recomputed");
    const stats = await recomputeBatchNormStats(model, run.data.train, { batchSize: 4 });
    assertEquals(recomputed.modes, ["recomputed"]);
    assertEquals(recomputed.recomputedStats, stats);
    assertEquals([recomputed.recomputedPath, recomputed.recomputedNow], [
      join(dir, "bn-recomputed.json"),
      true,
    ]);

    const all = await resolveBatchNormStats(run, "all");
    const choice = await chooseBatchNormStats(model, run.data.val, { recomputedStats: stats });
    assertEquals(all.modes, ["moving", "recomputed", "per-image"]);
    assertEquals(all.choice, choice);
    assertEquals(all.recomputedNow, false, "read back from the run, not recomputed");
    assertEquals((await resolveBatchNormStats(run, "auto")).modes, [choice.mode]);
  } finally {
    model.dispose();
    await Deno.remove(dir, { recursive: true });
  }
});
