// EDE-GAN as the DistillableModel distillation is typed on (issue 31): its outputs are the
// generator's, its narrower copy is the student `studentConfig` describes, its cost the generator's,
// its distillation step is its own step with K added, its clone a trainable copy of its values.

import { assertEquals, assertThrows } from "@std/assert";
import * as tf from "../../lib/tf.ts";
import type { DistillableModel } from "../../lib/models/mod.ts";
import {
  EdeGan,
  modelCost,
  narrowerCosts,
  studentConfig,
  trainStep,
} from "../../lib/models/ede_gan/mod.ts";

await tf.setBackend("cpu");

Deno.test("EDE-GAN's cost is its generator's: 3,200,384 parameters, 104.69 MFLOPs at width 64", () => {
  const teacher: DistillableModel = EdeGan.create({}, 0);
  try {
    assertEquals(teacher.cost(), {
      params: 3_200_384,
      mflops: 2 * 52_346_880 / 1e6,
      macs: 52_346_880,
    });
    assertEquals(teacher.baseShape, { width: 64, latentSize: 100 });
  } finally {
    teacher.dispose();
  }
});

Deno.test("a narrower EDE-GAN is the student studentConfig gives, of the cost modelCost gives", () => {
  const teacher = EdeGan.create({ width: 16, latentSize: 32, widths: [16, 24, 40] }, 0);
  const keep = teacher.narrower({ width: 4 }, 1);
  const shrink = teacher.narrower({ width: 2, latentSize: 8 }, 1);
  try {
    assertEquals(keep.config, studentConfig(teacher.config, { width: 4 }));
    assertEquals(shrink.config, studentConfig(teacher.config, { width: 2, latentSize: 8 }));
    assertEquals([keep.config.latentSize, shrink.config.latentSize], [32, 8]);
    const cost = modelCost(shrink.config);
    assertEquals(shrink.cost(), {
      params: cost.generator.params,
      mflops: cost.generatorMflops,
      macs: cost.generator.macs,
    });
    // costOf gives a narrower copy's cost without building it, as narrowerCosts does from a config
    assertEquals(teacher.costOf({ width: 2, latentSize: 8 }), shrink.cost());
    assertEquals(narrowerCosts(teacher.config).costOf({ width: 2, latentSize: 8 }), shrink.cost());
    // Seeded: the same seed draws the same student.
    const again = teacher.narrower({ width: 2, latentSize: 8 }, 1);
    const key = "encoder1/conv1/kernel";
    assertEquals(
      again.variables.get(key)!.dataSync(),
      shrink.variables.get(key)!.dataSync(),
    );
    again.dispose();
    assertThrows(() => teacher.narrower({ width: 0 }, 1), Error, "width");
  } finally {
    [teacher, keep, shrink].forEach((m) => m.dispose());
  }
});

Deno.test("EDE-GAN's distilled outputs are its generator's z, x_hat and z_hat", () => {
  const model = EdeGan.create({ width: 2, latentSize: 4 }, 3);
  try {
    const images = tf.randomUniform([2, 32, 32, 1], -1, 1, "float32", 5) as tf.Tensor4D;
    const out = model.distilledOutputs(images, "infer");
    const ref = model.generate(images, "infer");
    assertEquals(out.z.shape, [2, 4]);
    assertEquals(out.xHat.shape, [2, 32, 32, 1]);
    assertEquals(out.z.dataSync(), ref.z.dataSync());
    assertEquals(out.xHat.dataSync(), ref.xHat.dataSync());
    assertEquals(out.zHat.dataSync(), ref.zHat.dataSync());
    tf.dispose([images, out.z, out.xHat, out.zHat, ref.z, ref.xHat, ref.zHat]);
  } finally {
    model.dispose();
  }
});

Deno.test("EDE-GAN's distillStep is its step with K (trainStep's distillationLoss), bit for bit; without its own losses D is untouched", async () => {
  const images = tf.randomUniform([4, 32, 32, 1], -1, 1, "float32", 7) as tf.Tensor4D;
  const target = tf.randomUniform([4, 4], -1, 1, "float32", 8) as tf.Tensor2D;
  const k = (out: { z: tf.Tensor2D }) => tf.mean(tf.square(tf.sub(out.z, target))) as tf.Scalar;
  for (const ownLosses of [true, false]) {
    const [a, b] = [
      EdeGan.create({ width: 2, latentSize: 4 }, 3),
      EdeGan.create({ width: 2, latentSize: 4 }, 3),
    ];
    const [optA, optB] = [a.createOptimisers(), b.createOptimisers()];
    const discriminator = a.variables.get("discriminator/conv1/kernel")!.dataSync().slice();
    try {
      const viaInterface = await a.distillStep(images, optA, { distillationLoss: k, ownLosses });
      const direct = await trainStep(b, optB, images, {
        distillationLoss: k,
        ganLosses: ownLosses,
      });
      assertEquals(viaInterface.losses, direct);
      assertEquals(viaInterface.outputs, undefined);
      for (const [key, v] of a.variables) {
        assertEquals(v.dataSync(), b.variables.get(key)!.dataSync(), key);
      }
      const dAfter = a.variables.get("discriminator/conv1/kernel")!.dataSync();
      assertEquals(dAfter.every((x, i) => x === discriminator[i]), !ownLosses);
      assertEquals(Number.isFinite(direct.distillation), true);
    } finally {
      [optA, optB].forEach((o) => [o.generator, o.discriminator].forEach((x) => x.dispose()));
      a.dispose();
      b.dispose();
    }
  }
  tf.dispose([images, target]);
});

Deno.test("EDE-GAN's clone holds its values and trains apart from it", async () => {
  const model = EdeGan.create({ width: 2, latentSize: 4 }, 3);
  const copy = model.clone();
  const key = "decoder/initial/kernel";
  const before = model.variables.get(key)!.dataSync().slice();
  try {
    assertEquals(copy.config, model.config);
    for (const [k, v] of model.variables) {
      assertEquals(copy.variables.get(k)!.dataSync(), v.dataSync());
    }
    const optimisers = copy.createOptimisers();
    const images = tf.randomUniform([2, 32, 32, 1], -1, 1, "float32", 9) as tf.Tensor4D;
    await copy.trainStep(images, optimisers, { seed: 1, step: 1 });
    images.dispose();
    optimisers.generator.dispose();
    optimisers.discriminator.dispose();
    assertEquals(model.variables.get(key)!.dataSync(), before);
    assertEquals(copy.variables.get(key)!.dataSync().some((x, i) => x !== before[i]), true);
  } finally {
    model.dispose();
    copy.dispose();
  }
});
