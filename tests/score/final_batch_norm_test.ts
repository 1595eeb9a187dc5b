import {
  assert,
  assertAlmostEquals,
  assertEquals,
  assertStringIncludes,
  assertThrows,
} from "@std/assert";
import { writeRunReport } from "../../lib/report/run_report.ts";
import { join } from "@std/path";
import * as tf from "../../lib/tf.ts";
import { trainRun } from "../../lib/train/run.ts";
import { loadOneClass } from "../../lib/data/protocol.ts";
import { scoreImages } from "../../lib/score/score.ts";
import { rocAuc } from "../../lib/metrics/mod.ts";
import { readScoresCsv } from "../../lib/score/csv.ts";
import { type EdeGan, loadEdeGan } from "../../lib/models/ede_gan/mod.ts";
import { chooseBatchNormStats } from "../../lib/models/ede_gan/choose_batch_norm_stats.ts";
import { recomputeBatchNormStats } from "../../lib/models/ede_gan/batch_norm_stats.ts";
import { calibrate } from "../../lib/score/calibrate.ts";
import {
  checkFinalBatchNorm,
  defaultFinalBatchNorm,
  finalBatchNormScoring,
} from "../../lib/models/ede_gan/final_batch_norm.ts";

const DATA = { dataset: "mnist" as const, normal: 1, limit: 24, testLimit: 60, seed: 3 };

Deno.test("trainRun --bn-stats per-image: metrics, threshold and scores.csv are per-image, the model keeps the moving calibration", async () => {
  await tf.setBackend("cpu");
  const out = await Deno.makeTempDir();
  const result = await trainRun({
    ...DATA,
    epochs: 1,
    batchSize: 1,
    model: { width: 2 },
    bnStats: "per-image",
    out,
    warn: () => {},
  });
  try {
    const { model, data, scoring } = result;
    assertEquals(scoring.bnStats, "per-image");
    assertEquals(scoring.asked, "per-image");
    // The moving-average AUC is the epoch curve's last point ...
    assertEquals(scoring.movingAuc, result.history.at(-1)!.auc);
    // ... and the headline is the per-image scoring of the same model.
    const perImage = (await scoreImages(model, data.test, { bnStats: "per-image" })).scores;
    assertEquals(Array.from(result.testScores), Array.from(perImage));
    assertAlmostEquals(result.metrics.auc, rocAuc(perImage, data.testIsAnomaly), 1e-12);
    const moving = (await scoreImages(model, data.test)).scores;
    assert(
      Array.from(moving).some((s, i) => Math.abs(s - perImage[i]) > 1e-6),
      "a batch-1 net scores differently with per-image statistics",
    );
    const valPerImage = (await scoreImages(model, data.val, { bnStats: "per-image" })).scores;
    assertEquals(result.calibration.threshold, calibrate(valPerImage, 0.05).threshold);
    // On disk: run.json and scores.csv say the same; model/ keeps the moving threshold.
    const run = JSON.parse(await Deno.readTextFile(join(out, "run.json")));
    assertEquals(run.scoring.bnStats, "per-image");
    assertEquals(run.metrics.auc, result.metrics.auc);
    const rows = await readScoresCsv(join(out, "scores.csv"));
    assertAlmostEquals(rows.scores[0], perImage[0], 1e-5 * Math.abs(perImage[0]));
    const saved = await loadEdeGan(join(out, "model"));
    const valMoving = (await scoreImages(model, data.val)).scores;
    assertEquals(saved.calibration?.threshold, calibrate(valMoving, 0.05).threshold);
    saved.model.dispose();
    // The report says which statistics its metrics use, and the moving-average figure.
    const html = await Deno.readTextFile(await writeRunReport(out, { modelViews: false }));
    assertStringIncludes(html, "use BatchNorm per-image statistics (--bn-stats per-image)");
    assertStringIncludes(html, `test AUC ${scoring.movingAuc.toFixed(4)} at the last epoch`);
  } finally {
    result.model.dispose();
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("finalBatchNormScoring auto: the mode chooseBatchNormStats picks on validation, scored in that mode", async () => {
  await tf.setBackend("cpu");
  const data = await loadOneClass(DATA);
  const result = await trainRun<EdeGan>({
    ...DATA,
    data,
    epochs: 1,
    batchSize: 1,
    model: { width: 2 },
    warn: () => {},
  });
  const { model } = result;
  try {
    assertEquals(result.scoring.bnStats, "moving", "the library's default stays moving");
    const stats = await recomputeBatchNormStats(model, data.train, { batchSize: 1 });
    const expected = await chooseBatchNormStats(model, data.val, { recomputedStats: stats });
    const s = await finalBatchNormScoring(model, data, "auto", {
      movingTestScores: result.testScores,
      movingCalibration: result.calibration,
      batchSize: 1,
      fpr: 0.05,
    });
    assertEquals(s.bnStats, expected.mode);
    assertEquals(s.choice?.validationObjective, expected.validationObjective);
    assertEquals(Object.keys(s.choice!.validationObjective).sort(), [
      "moving",
      "per-image",
      "recomputed",
    ]);
    const again = (await scoreImages(model, data.test, {
      bnStats: s.bnStats,
      recomputedStats: stats,
    })).scores;
    assertEquals(Array.from(s.testScores), Array.from(again));
  } finally {
    model.dispose();
  }
});

Deno.test("--bn-stats for training: auto at batch 1, moving above; 'all' and unknown values refused by name", () => {
  assertEquals(defaultFinalBatchNorm(1), "auto");
  assertEquals(defaultFinalBatchNorm(2), "moving");
  assertEquals(checkFinalBatchNorm("recomputed"), "recomputed");
  assertThrows(() => checkFinalBatchNorm("all"), Error, "deno task study score --model OUT");
  assertThrows(() => checkFinalBatchNorm("batch"), Error, "--bn-stats: 'batch' is not one of");
});
