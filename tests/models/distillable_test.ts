// EDE-GAN as the DistillableModel distillation is typed on (issue 31): its outputs are the
// generator's, its narrower copy is the student `studentConfig` describes, its cost the generator's.

import { assertEquals, assertThrows } from "@std/assert";
import * as tf from "../../lib/tf.ts";
import type { DistillableModel } from "../../lib/models/mod.ts";
import { EdeGan, modelCost } from "../../lib/models/ede_gan/mod.ts";
import { studentConfig } from "../../lib/distill/students.ts";

await tf.setBackend("cpu");

Deno.test("EDE-GAN's cost is its generator's: 3,200,384 parameters, 104.69 MFLOPs at width 64", () => {
  const teacher: DistillableModel = EdeGan.create({}, 0);
  try {
    assertEquals(teacher.cost(), { params: 3_200_384, mflops: 2 * 52_346_880 / 1e6 });
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
    assertEquals(shrink.cost(), { params: cost.generator.params, mflops: cost.generatorMflops });
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
