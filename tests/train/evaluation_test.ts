import { assert, assertEquals } from "@std/assert";
import { maxAbsDiff, useBackend } from "../_helpers.ts";
import { trainRun } from "../../lib/train/run.ts";
import { loadOneClass } from "../../lib/data/protocol.ts";

Deno.test("evaluating after each epoch never changes training (same seed: identical weights)", async () => {
  // Four scoring batches of the live filters once flipped wasm's Conv2D to XNNPACK for the next
  // training step (it counts uses per filter tensor), so the runs parted after epoch 1.
  await useBackend("wasm");
  const small = {
    dataset: "mnist" as const,
    normal: 7,
    batchSize: 16,
    seed: 3,
    model: { width: 4, latentSize: 16 },
    limit: 64,
    testLimit: 1000,
    epochs: 2,
  };
  const data = await loadOneClass({ ...small, splitSeed: small.seed });
  const evaluated = await trainRun({ ...small, data, evaluateEachEpoch: true });
  const plain = await trainRun({ ...small, data, evaluateEachEpoch: false });
  try {
    assertEquals(evaluated.history.map((h) => h.lossG), plain.history.map((h) => h.lossG));
    for (const [key, v] of evaluated.model.variables) {
      const other = plain.model.variables.get(key)!;
      assertEquals([...await v.data()], [...await other.data()], `weights ${key} differ`);
    }
    // Scores of the same weights: the last evaluation's (a copy's fresh filters) and a rescoring
    // of the live model may take different conv kernels, equal to float rounding.
    const scale = Math.max(...plain.testScores);
    console.log("score diff", maxAbsDiff(evaluated.testScores, plain.testScores) / scale);
    assert(maxAbsDiff(evaluated.testScores, plain.testScores) <= 1e-5 * scale);
    assertEquals(typeof evaluated.history[0].auc, "number");
  } finally {
    evaluated.model.dispose();
    plain.model.dispose();
  }
});
