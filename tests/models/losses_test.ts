/**
 * EDE-GAN's losses: the same numbers, bit for bit, as the plain formula (every term multiplied by
 * its weight, labels made by `onesLike`/`zerosLike`), values and gradients, in one kernel call
 * each way.
 */

import { assert, assertEquals } from "@std/assert";
import * as tf from "../../lib/tf.ts";
import { selectBackend } from "../../lib/backend/select.ts";
import { discriminatorLoss, generatorLoss } from "../../lib/models/ede_gan/losses.ts";
import { countKernelCalls } from "../../lib/bench/kernel_calls.ts";

type Inputs = Record<"x" | "xHat" | "featuresReal" | "featuresFake", tf.Tensor4D> & {
  z: tf.Tensor2D;
  zHat: tf.Tensor2D;
};

function plainGeneratorLoss(t: Inputs, w: Record<string, number>): tf.Scalar {
  return tf.addN([
    tf.mul(tf.mean(tf.squaredDifference(t.featuresReal, t.featuresFake)), w.adversarial),
    tf.mul(tf.mean(tf.abs(tf.sub(t.x, t.xHat))), w.contextual),
    tf.mul(tf.mean(tf.squaredDifference(t.z, t.zHat)), w.latent),
  ]) as tf.Scalar;
}

function plainDiscriminatorLoss(real: tf.Tensor1D, fake: tf.Tensor1D): tf.Scalar {
  return tf.mul(
    tf.add(
      tf.losses.sigmoidCrossEntropy(tf.onesLike(real), real),
      tf.losses.sigmoidCrossEntropy(tf.zerosLike(fake), fake),
    ),
    0.5,
  ) as tf.Scalar;
}

/** The loss's value and its gradients, as numbers, and the kernel calls it took. */
async function run(loss: () => tf.Scalar, variables: tf.Variable[]) {
  const { result, calls } = await countKernelCalls(() =>
    tf.tidy(() => {
      const { value, grads } = tf.variableGrads(loss, variables);
      return [value, ...variables.map((v) => grads[v.name])].map((t) => Array.from(t.dataSync()));
    })
  );
  return { numbers: result, calls };
}

for (const backend of ["wasm", "onednn"] as const) {
  Deno.test(`losses on ${backend}: the plain formula's numbers, bit for bit, in fewer kernel calls`, async () => {
    try {
      await selectBackend(backend);
    } catch (error) {
      console.warn(`skipped: ${backend} did not start (${(error as Error).message})`);
      return;
    }
    const v = (shape: number[], seed: number) =>
      tf.variable(tf.randomNormal(shape, 0, 1, "float32", seed));
    const t = {
      x: v([2, 8, 8, 1], 1),
      xHat: v([2, 8, 8, 1], 2),
      featuresReal: v([2, 2, 2, 16], 3),
      featuresFake: v([2, 2, 2, 16], 4),
      z: v([2, 10], 5),
      zHat: v([2, 10], 6),
    } as unknown as Inputs;
    const variables = Object.values(t) as unknown as tf.Variable[];
    for (
      const w of [{ adversarial: 1, contextual: 50, latent: 1 }, {
        adversarial: 2,
        contextual: 0.5,
        latent: 3,
      }]
    ) {
      const fused = await run(() => generatorLoss(t, w).total, variables);
      const plain = await run(() => plainGeneratorLoss(t, w), variables);
      assertEquals(fused.numbers, plain.numbers);
      // One kernel call each way on wasm and onednn (the op, tests/ops/generator_loss_test.ts).
      assert(fused.calls <= 2 && plain.calls > 25, `${fused.calls}, ${plain.calls}`);
    }
    const real = v([3], 7) as tf.Variable<tf.Rank.R1>;
    const fake = v([3], 8) as tf.Variable<tf.Rank.R1>;
    const d = await run(() => discriminatorLoss(real, fake), [real, fake]);
    const dPlain = await run(() => plainDiscriminatorLoss(real, fake), [real, fake]);
    assertEquals(d.numbers, dPlain.numbers);
    assert(d.calls <= 2 && dPlain.calls > 60, `${d.calls}, ${dPlain.calls}`);
    tf.dispose([...variables, real, fake]);
  });
}
