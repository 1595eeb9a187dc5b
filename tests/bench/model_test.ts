/**
 * The model suite's process per backend, its memory and FLOP/s columns, and the peak measurement.
 */

import { assert, assertAlmostEquals, assertEquals } from "@std/assert";
import {
  type ModelRow,
  runModelSuiteIsolated,
  withFlops,
  withPeak,
} from "../../lib/bench/model.ts";
import { measurePeakFlops, phaseFlops } from "../../lib/bench/peak.ts";
import { modelCost, resolveConfig } from "../../lib/models/ede_gan/mod.ts";
import { dnnlAvailable, skipUnless } from "../_helpers.ts";

Deno.test("phaseFlops: the teacher's score and training FLOPs per image from its layer shapes", () => {
  const cost = modelCost(resolveConfig({ width: 64 }));
  const g = cost.generator.macs, d = cost.parts.discriminator.macs;
  assertEquals(phaseFlops(cost, "score"), 2 * g);
  assertEquals(phaseFlops(cost, "train"), 2 * (3 * g + 9 * d));
  // The teacher's scoring path is 105 MFLOP an image (E1 + Dec + E2), its training 621 MFLOP.
  assertEquals(phaseFlops(cost, "score"), 104_693_760);
  assertEquals(phaseFlops(cost, "train"), 620_863_488);
  const row = withFlops<ModelRow>({
    backend: "x",
    phase: "score",
    batch: 1,
    images_per_s: 100,
    peak_rss_mb: 1,
  });
  assertAlmostEquals(row.gflops!, (100 * 2 * g) / 1e9, 0.01);
  const [peaked] = withPeak([row], 2 * row.gflops!);
  assertAlmostEquals(peaked.of_peak_pct!, 50, 0.01);
  assertEquals(withPeak([row], undefined), [row]);
});

Deno.test({
  name: "model suite: each backend in its own process, teacher training under 1 GiB there",
  sanitizeResources: false,
  fn: async () => {
    if (skipUnless(dnnlAvailable(), "oneDNN (apt-get install libdnnl2)")) return;
    const peak = measurePeakFlops({ calls: 2 });
    assert(peak !== undefined && peak.gflops > 1 && peak.threads >= 1, JSON.stringify(peak));
    const progress: string[] = [];
    const rows = await runModelSuiteIsolated(["onednn"], {
      budgetSeconds: 0.001,
      onProgress: (line) => progress.push(line),
    });
    assertEquals(
      rows.map((r) => `${r.phase} ${r.batch}`),
      ["train 1", "train 64", "score 1", "score 256"],
      JSON.stringify(rows),
    );
    assert(progress.includes("onednn train batch 64"), progress.join("\n"));
    for (const r of rows) {
      assert(r.images_per_s! > 0 && r.gflops! > 0, JSON.stringify(r));
      // The child's own high-water mark: more than the runtime alone, less than the target.
      assert(r.peak_rss_mb > 100 && r.peak_rss_mb < 1024, JSON.stringify(r));
    }
    // Counted, not timed: the same in every run. Scoring is the one-call pass
    // (EdeganScoreSequence) and the latent distance's two kernels, at any batch.
    assertEquals(rows.map((r) => r.kernel_calls! > 0), [true, true, true, true]);
    assertEquals([rows[2].kernel_calls, rows[3].kernel_calls], [3, 3]);
    assertEquals(rows[0].kernel_calls, rows[1].kernel_calls);
    // Scoring at 256 holds more activations than training at 64 ever did: the peak only grows.
    assert(rows[3].peak_rss_mb >= rows[1].peak_rss_mb);
  },
});
