/**
 * generatorLoss: the one-kernel loss and gradient against tfjs's ops, bit for bit (every float32's
 * bits), and the kernel calls it spares.
 */

import { assert, assertEquals } from "@std/assert";
import * as tf from "../../lib/tf.ts";
import { selectBackend } from "../../lib/backend/select.ts";
import { generatorLoss, type GeneratorLossInputs } from "../../lib/ops/generator_loss.ts";
import { countKernelCalls } from "../../lib/bench/kernel_calls.ts";

type Weights = { adversarial: number; contextual: number; latent: number };

/** The formula with tfjs's ops, every term multiplied by its weight. */
function tfjsLoss(t: GeneratorLossInputs, w: Weights): tf.Scalar[] {
  const terms = [
    tf.mul(tf.mean(tf.squaredDifference(t.featuresReal, t.featuresFake)), w.adversarial),
    tf.mul(tf.mean(tf.abs(tf.sub(t.x, t.xHat))), w.contextual),
    tf.mul(tf.mean(tf.squaredDifference(t.z, t.zHat)), w.latent),
  ] as tf.Scalar[];
  return [tf.addN(terms) as tf.Scalar, ...terms];
}

const NAMES = ["featuresReal", "featuresFake", "x", "xHat", "z", "zHat"] as const;

/** The total, the terms and the six gradients (dy = `scale`) as float32 bits; the calls. */
async function bits(
  loss: (t: GeneratorLossInputs) => tf.Scalar[],
  values: Record<string, tf.Tensor>,
  scale: number,
) {
  const vars = NAMES.map((n) => tf.variable(values[n]));
  const { result, calls } = await countKernelCalls(() =>
    tf.tidy(() => {
      let terms: tf.Scalar[] = [];
      const { value, grads } = tf.variableGrads(() => {
        const all = loss(Object.fromEntries(NAMES.map((n, i) => [n, vars[i]])) as never);
        terms = all.slice(1).map((t) => tf.keep(t));
        return tf.mul(all[0], scale) as tf.Scalar;
      }, vars);
      const out = [value, ...terms, ...vars.map((v) => grads[v.name])].map((t) =>
        Array.from(new Uint32Array(Float32Array.from(t.dataSync()).buffer))
      );
      tf.dispose(terms);
      return out;
    })
  );
  tf.dispose(vars);
  return { result, calls };
}

for (const backend of ["wasm", "onednn"] as const) {
  Deno.test(`generatorLoss on ${backend}: tfjs's ops bit for bit, in one call each way`, async () => {
    try {
      await selectBackend(backend);
    } catch (error) {
      console.warn(`skipped: ${backend} did not start (${(error as Error).message})`);
      return;
    }
    for (const [n, sd] of [[1, 1], [3, 0.1], [2, 30]]) {
      const values: Record<string, tf.Tensor> = {};
      const shapes = [[n, 4, 4, 16], [n, 4, 4, 16], [n, 8, 8, 1], [n, 8, 8, 1], [n, 10], [n, 10]];
      NAMES.forEach((name, i) => {
        values[name] = tf.randomNormal(shapes[i], 0, sd, "float32", 11 * n + i);
      });
      // Equal pixels and equal latents somewhere: |d| and its gradient at zero.
      values.xHat = tf.concat([
        tf.slice(values.x, [0, 0, 0, 0], [n, 4, 8, 1]),
        tf.slice(values.xHat, [0, 4, 0, 0], [n, 4, 8, 1]),
      ], 1);
      for (
        const w of [{ adversarial: 1, contextual: 50, latent: 1 }, {
          adversarial: 0.3,
          contextual: 7,
          latent: 2.5,
        }]
      ) {
        for (const scale of [1, 0.37]) {
          const kernel = await bits(
            (t) => {
              const r = generatorLoss(t, w);
              return [r.total, r.adversarial, r.contextual, r.latent];
            },
            values,
            scale,
          );
          const ops = await bits((t) => tfjsLoss(t, w), values, scale);
          assertEquals(
            kernel.result,
            ops.result,
            `n=${n} sd=${sd} ${JSON.stringify(w)} dy=${scale}`,
          );
          // The loss and its gradient, the scaling Multiply, its gradient and a Reshape.
          assert(kernel.calls <= 5, `${kernel.calls} calls`);
          assert(ops.calls > 25, `${ops.calls} calls`);
        }
      }
      tf.dispose(Object.values(values));
    }
  });
}

Deno.test("generatorLoss on cpu: tfjs's ops (no kernel of its own there)", async () => {
  await tf.setBackend("cpu");
  const a = tf.tensor4d([1, -2], [1, 1, 1, 2]), b = tf.tensor4d([0.5, 3], [1, 1, 1, 2]);
  const z = tf.tensor2d([[1, 2]]), zHat = tf.tensor2d([[0, 0]]);
  const t = { featuresReal: a, featuresFake: b, x: b, xHat: a, z, zHat };
  const w = { adversarial: 1, contextual: 50, latent: 1 };
  assertEquals(generatorLoss(t, w).total.dataSync()[0], tfjsLoss(t, w)[0].dataSync()[0]);
  tf.dispose([a, b, z, zHat]);
});
