/**
 * Saved tensors shared without an `Identity` call: the same training, bit for bit, with far fewer
 * kernel calls, and no tensor left behind.
 */

import { assert, assertEquals } from "@std/assert";
import * as tf from "../../lib/tf.ts";
import { selectBackend } from "../../lib/backend/select.ts";
import { savedTensorsShared, shareSavedTensors } from "../../lib/backend/saved_tensors.ts";
import { countKernelCalls } from "../../lib/bench/kernel_calls.ts";
import { EdeGan } from "../../lib/models/ede_gan/mod.ts";

/** Three batch-1 steps of a small EDE-GAN: every variable's values, the losses, and the kernel
 * calls of the last step by name. */
async function train(): Promise<{ values: number[]; calls: Map<string, number>; leaked: number }> {
  const model = EdeGan.create({ width: 4, latentSize: 8 }, 3);
  const optimisers = model.createOptimisers();
  const values: number[] = [];
  let calls = new Map<string, number>();
  const before = tf.memory().numTensors;
  for (let step = 1; step <= 3; step++) {
    const x = tf.tidy(() =>
      tf.tanh(tf.randomNormal([1, 32, 32, 1], 0, 1, "float32", step))
    ) as tf.Tensor4D;
    const counted = await countKernelCalls(() => model.trainStep(x, optimisers, { seed: 1, step }));
    values.push(...Object.values(counted.result).filter((v) => typeof v === "number"));
    calls = counted.byKernel;
    x.dispose();
  }
  const leaked = tf.memory().numTensors - before;
  for (const v of model.variables.values()) values.push(...v.dataSync());
  optimisers.generator.dispose();
  optimisers.discriminator.dispose();
  model.dispose();
  return { values, calls, leaked };
}

for (const backend of ["wasm", "onednn"] as const) {
  Deno.test(`saved tensors on ${backend}: shared without Identity calls, training unchanged bit for bit`, async () => {
    try {
      await selectBackend(backend);
    } catch (error) {
      console.warn(`skipped: ${backend} did not start (${(error as Error).message})`);
      return;
    }
    assert(savedTensorsShared(), "registerKernels puts the sharing in place");
    shareSavedTensors(false);
    const stock = await train();
    shareSavedTensors();
    const shared = await train();
    assertEquals(shared.values, stock.values);
    assertEquals(shared.leaked, 0);
    assertEquals(stock.leaked, 0);
    // tfjs clones every saved tensor through Identity: hundreds a step; shared, only the
    // Identity calls of the ops themselves remain (3 on onednn, more where BatchNorm is
    // composed of tfjs ops).
    const identities = [stock, shared].map((r) => r.calls.get("Identity") ?? 0);
    assert(identities[0] - identities[1] > 150, JSON.stringify(identities));
    if (backend === "onednn") assert(identities[1] <= 3, JSON.stringify(identities));
    const total = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);
    assertEquals(
      total(stock.calls) - total(shared.calls),
      stock.calls.get("Identity")! - (shared.calls.get("Identity") ?? 0),
    );
  });
}
