/**
 * realFakeCrossEntropy: the one-kernel loss and gradient against tfjs's sigmoidCrossEntropy ops,
 * bit for bit (every float32's bits, signed zeros included), and the kernel calls it spares.
 */

import { assert, assertEquals } from "@std/assert";
import * as tf from "../../lib/tf.ts";
import { selectBackend } from "../../lib/backend/select.ts";
import { realFakeCrossEntropy } from "../../lib/ops/real_fake_cross_entropy.ts";
import { countKernelCalls } from "../../lib/bench/kernel_calls.ts";

function tfjsLoss(real: tf.Tensor1D, fake: tf.Tensor1D): tf.Scalar {
  return tf.mul(
    tf.add(
      tf.losses.sigmoidCrossEntropy(tf.onesLike(real), real),
      tf.losses.sigmoidCrossEntropy(tf.zerosLike(fake), fake),
    ),
    0.5,
  ) as tf.Scalar;
}

/** The loss and both gradients as float32 bit patterns (dy = `scale`), and the kernel calls. */
async function bits(
  loss: (r: tf.Tensor1D, f: tf.Tensor1D) => tf.Scalar,
  real: number[],
  fake: number[],
  scale: number,
) {
  const r = tf.variable(tf.tensor1d(real));
  const f = tf.variable(tf.tensor1d(fake));
  const { result, calls } = await countKernelCalls(() =>
    tf.tidy(() => {
      const { value, grads } = tf.variableGrads(
        () => tf.mul(loss(r as tf.Tensor1D, f as tf.Tensor1D), scale) as tf.Scalar,
        [r, f],
      );
      return [value, grads[r.name], grads[f.name]].map((t) =>
        Array.from(new Uint32Array(Float32Array.from(t.dataSync()).buffer))
      );
    })
  );
  tf.dispose([r, f]);
  return { result, calls };
}

const SPECIAL = [0, -0, 1e-30, -1e-30, 1e-7, -3e-4, 0.5, -0.5, 17, -17, 88, -88, 104, -104];

for (const backend of ["wasm", "onednn"] as const) {
  Deno.test(`realFakeCrossEntropy on ${backend}: tfjs's ops bit for bit, in one call each way`, async () => {
    try {
      await selectBackend(backend);
    } catch (error) {
      console.warn(`skipped: ${backend} did not start (${(error as Error).message})`);
      return;
    }
    const cases: [number[], number[]][] = [[SPECIAL, SPECIAL.slice().reverse()]];
    for (const [n, m, sd] of [[1, 1, 1], [1, 1, 8], [3, 5, 2], [64, 64, 4], [300, 7, 30]]) {
      const draw = (k: number, seed: number) =>
        Array.from(tf.tidy(() => tf.randomNormal([k], 0, sd, "float32", seed).dataSync()));
      cases.push([draw(n, n + m), draw(m, 7 * m + sd)]);
    }
    for (const [real, fake] of cases) {
      for (const scale of [1, 0.37]) {
        const kernel = await bits(realFakeCrossEntropy, real, fake, scale);
        const ops = await bits(tfjsLoss, real, fake, scale);
        assertEquals(kernel.result, ops.result, `n=${real.length} m=${fake.length} dy=${scale}`);
        // The loss forward, the scaling Multiply and its gradient, the loss's gradient.
        assert(kernel.calls <= 6, `${kernel.calls} calls`);
        assert(ops.calls > 60, `${ops.calls} calls`);
      }
    }
  });
}

Deno.test("realFakeCrossEntropy on cpu: tfjs's ops (no kernel of its own there)", async () => {
  await tf.setBackend("cpu");
  const real = tf.tensor1d([0.3, -2]);
  const fake = tf.tensor1d([1.5]);
  assertEquals(
    realFakeCrossEntropy(real, fake).dataSync()[0],
    tfjsLoss(real, fake).dataSync()[0],
  );
  tf.dispose([real, fake]);
});
