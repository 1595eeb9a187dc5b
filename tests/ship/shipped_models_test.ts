/**
 * The models committed under `models/`: each loads back by name and reproduces its committed
 * `scores.csv` on the same test images, in its own BatchNorm mode, within 1e-5 where the scoring
 * path is stored in float32 (`mixed`, `float32`) and 1e-4 where it is float16.
 */
import { assert, assertEquals } from "@std/assert";
import { join } from "@std/path";
import { firstImages, maxAbsDiff, useBackend } from "../_helpers.ts";
import { readShippedIndex, shippedModelsDir } from "../../lib/ship/shipped.ts";
import { SCORE_TOLERANCE } from "../../lib/ship/pack.ts";
import { loadScoringRun } from "../../lib/score/scoring_run.ts";
import { asEdeGan } from "../../lib/models/ede_gan/mod.ts";
import { readScoresCsv } from "../../lib/score/csv.ts";
import { scoreImages } from "../../lib/score/score.ts";
import { rocAuc } from "../../lib/metrics/mod.ts";

const index = await readShippedIndex();

Deno.test("shipped models: a teacher for MNIST digit 2 and one Fashion-MNIST class are listed", () => {
  const teachers = index.models.filter((m) => m.role === "teacher");
  assert(teachers.some((m) => m.dataset === "mnist" && m.normalClass === 2), "mnist digit 2");
  assert(teachers.some((m) => m.dataset === "fashion-mnist"), "a Fashion-MNIST class");
  // the repository stays lean: teachers under 40 MB together
  const bytes = teachers.reduce((n, m) => n + m.bytes, 0);
  assert(bytes < 40e6, `${bytes} bytes of teachers`);
});

for (const shipped of index.models) {
  Deno.test(`shipped model ${shipped.name}: loads by name and reproduces its scores.csv`, async () => {
    // The fastest CPU backend (10000 test images through a width-64 teacher); wasm without oneDNN.
    await useBackend("onednn").catch(() => useBackend("wasm"));
    const dir = join(shippedModelsDir(), shipped.name);
    const committed = await readScoresCsv(join(dir, "scores.csv"));
    const run = await loadScoringRun(`shipped:${shipped.name}`);
    try {
      assertEquals(run.calibration?.threshold, shipped.threshold);
      assertEquals(asEdeGan(run.model, "test").config.width, shipped.width);
      // In the run's own BatchNorm mode (models/index.json's bnStats, absent = moving). Per-image
      // statistics score image by image, several times slower: the first 2000 test images check
      // the same weights and mode (each image's score depends on that image alone).
      const bnStats = shipped.bnStats ?? "moving";
      const count = bnStats === "per-image" ? 2000 : run.data.test.count;
      const test = count < run.data.test.count ? firstImages(run.data.test, count) : run.data.test;
      const { scores } = await scoreImages(run.model, test, { bnStats });
      const diff = maxAbsDiff(scores, committed.scores.slice(0, count));
      assert(diff <= SCORE_TOLERANCE[shipped.dtype], `${diff} (${shipped.dtype})`);
      // the same test images, in the same order: their labels and the AUC the index records
      assertEquals(Array.from(run.data.testIsAnomaly), committed.labels);
      assertEquals(rocAuc(committed.scores, committed.labels), shipped.auc);
    } finally {
      run.model.dispose();
    }
    // the size the index reports is what the folder adds
    let bytes = 0;
    const walk = (path: string) => {
      for (const e of Deno.readDirSync(path)) {
        if (e.isDirectory) walk(join(path, e.name));
        else bytes += Deno.statSync(join(path, e.name)).size;
      }
    };
    walk(dir);
    assertEquals(bytes, shipped.bytes);
  });
}
