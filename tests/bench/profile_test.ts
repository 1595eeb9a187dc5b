import { assert, assertAlmostEquals } from "@std/assert";
import * as tf from "../../lib/tf.ts";
import { profileTrainingStep } from "../../lib/bench/profile.ts";
import { selectBackend } from "../../lib/backend/select.ts";

Deno.test("profile: a training step's kernels add up to the step, and the kernels are put back", async () => {
  await selectBackend("wasm");
  const before = tf.getKernel("Conv2D", "wasm")!.kernelFunc;
  const rows = await profileTrainingStep("wasm", [1], 2);
  assert(tf.getKernel("Conv2D", "wasm")!.kernelFunc === before, "the timers are removed");
  const step = rows.find((r) => r.kernel === "(step)")!;
  const parts = rows.filter((r) => r.kernel !== "(step)");
  assertAlmostEquals(parts.reduce((a, r) => a + r.ms_per_step, 0), step.ms_per_step, 0.1);
  const conv = rows.find((r) => r.kernel === "Conv2D");
  assert(conv !== undefined && conv.calls_per_step === 28, JSON.stringify(conv));
  assert(rows.every((r) => r.ms_per_step >= 0 && r.share <= 1.001));
});
