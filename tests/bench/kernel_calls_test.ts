/**
 * The kernel-call counter: exact counts, kernels put back, a training step's count the same every
 * step.
 */

import { assert, assertEquals, assertRejects } from "@std/assert";
import * as tf from "../../lib/tf.ts";
import { countKernelCalls } from "../../lib/bench/kernel_calls.ts";
import { selectBackend } from "../../lib/backend/select.ts";
import { EdeGan } from "../../lib/models/ede_gan/mod.ts";

Deno.test("countKernelCalls: counts each dispatch once and puts the kernels back, even on a throw", async () => {
  await selectBackend("wasm");
  const before = tf.getKernel("Conv2D", "wasm")!.kernelFunc;
  const x = tf.ones([1, 4, 4, 1]) as tf.Tensor4D;
  const f = tf.ones([2, 2, 1, 2]) as tf.Tensor4D;
  const { calls, byKernel } = await countKernelCalls(() =>
    tf.tidy(() => tf.sum(tf.relu(tf.conv2d(x, f, 1, "valid"))))
  );
  assertEquals(Object.fromEntries(byKernel), { Conv2D: 1, Relu: 1, Sum: 1 });
  assertEquals(calls, 3);
  await assertRejects(() =>
    countKernelCalls(() => {
      throw new Error("boom");
    })
  );
  assert(tf.getKernel("Conv2D", "wasm")!.kernelFunc === before, "the counters are removed");
  tf.dispose([x, f]);
});

Deno.test("countKernelCalls: a batch-1 training step dispatches the same kernels every step", async () => {
  await selectBackend("wasm");
  const model = EdeGan.create({ width: 4, latentSize: 8 }, 1);
  const optimisers = model.createOptimisers();
  const x = tf.zeros([1, 32, 32, 1]) as tf.Tensor4D;
  const counts = [];
  for (let step = 1; step <= 2; step++) {
    counts.push(await countKernelCalls(() => model.trainStep(x, optimisers, { seed: 1, step })));
  }
  assertEquals(counts[0].calls, counts[1].calls);
  assertEquals(counts[0].byKernel, counts[1].byKernel);
  // Every layer's convolution runs forward (E1, Dec, E2 once; D four times).
  assertEquals(counts[0].byKernel.get("Conv2D"), 28);
  assertEquals(counts[0].byKernel.get("EdeganAdamUpdateFlat"), 2);
  x.dispose();
  optimisers.generator.dispose();
  optimisers.discriminator.dispose();
  model.dispose();
});
