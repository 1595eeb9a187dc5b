import { assert, assertEquals } from "@std/assert";
import { dnnlAvailable, useBackend } from "../_helpers.ts";
import * as tf from "../../lib/tf.ts";
import type { BackendName } from "../../lib/backend/select.ts";
import { createOptimisers, EdeGan } from "../../lib/models/ede_gan/mod.ts";
import { latentProjection } from "../../lib/distill/kd_loss.ts";
import { distillStage, type Structure } from "../../lib/distill/pkdgan.ts";
import { FrozenTeacher } from "../../lib/distill/frozen_teacher.ts";
import type { ImageSet } from "../../lib/data/types.ts";

const bits = (m: EdeGan) =>
  [...m.variables].map(([k, v]) => [k, Array.from(new Uint32Array(v.dataSync().slice().buffer))]);

/** 12 patterned 32x32 images, none alike. */
const train: ImageSet = {
  pixels: new Uint8Array(12 * 32 * 32).map((_, i) => (i * 37 + (i >> 10) * 11) % 256),
  labels: new Int32Array(12),
  count: 12,
  height: 32,
  width: 32,
  channels: 1,
};

/**
 * A frozen-teacher stage at batch size 1, the teacher's outputs kept or computed every step: its
 * losses, the student's weights after it as bits, and how often the teacher ran.
 */
async function stage(
  structure: Structure,
  keepTeacherOutputs: boolean,
  opts: { batchSize?: number; teacherRanBefore?: boolean } = {},
) {
  const teacher = EdeGan.create({ width: 4, latentSize: 8 }, 1);
  if (opts.teacherRanBefore) {
    // Six passes outside any scope, as a stage or a method before this one would make them.
    const image = tf.zeros([1, 32, 32, 1]) as tf.Tensor4D;
    for (let i = 0; i < 6; i++) {
      const out = teacher.distilledOutputs(image, "infer");
      tf.dispose([out.z, out.xHat, out.zHat]);
    }
    image.dispose();
  }
  const student = teacher.narrower({ width: 2, latentSize: 4 }, 2);
  const projection = latentProjection(4, 8, 3)!;
  const studentOptimisers = createOptimisers(student, new Map([["projection", projection]]));
  let teacherPasses = 0;
  const pass = teacher.distilledOutputs.bind(teacher);
  teacher.distilledOutputs = (images, mode) => {
    teacherPasses += 1;
    return pass(images, mode);
  };
  const history = await distillStage(teacher, student, train, structure, {
    epochs: 5,
    batchSize: opts.batchSize ?? 1,
    seed: 4,
    studentOptimisers,
    projection,
    keepTeacherOutputs,
  });
  const result = {
    losses: history.map(({ seconds: _s, imagesPerSecond: _i, ...losses }) => losses),
    weights: bits(student),
    teacherPasses,
  };
  for (const o of Object.values(studentOptimisers)) o.dispose();
  projection.dispose();
  teacher.dispose();
  student.dispose();
  return result;
}

const backends: BackendName[] = ["cpu", "wasm", ...(dnnlAvailable() ? ["onednn" as const] : [])];
for (const backend of backends.filter((b) => b !== "cpu")) {
  Deno.test(`${backend}: a frozen-teacher stage gives the same bits whether or not the teacher ran before it`, async () => {
    await useBackend(backend);
    // Every step's teacher pass computed (nothing kept), at batch 1 and at batch 4.
    for (const batchSize of [1, 4]) {
      const fresh = await stage("kd-gan", false, { batchSize });
      const after = await stage("kd-gan", false, { batchSize, teacherRanBefore: true });
      assertEquals(after.teacherPasses, fresh.teacherPasses); // counted from the stage on
      assertEquals(after.losses, fresh.losses, `batch ${batchSize}`);
      assertEquals(after.weights, fresh.weights, `batch ${batchSize}`);
    }
  });
}
for (const backend of backends) {
  for (const structure of ["kd", "kd-gan"] as const) {
    Deno.test(`${backend}: a frozen teacher's kept outputs at batch 1 give every bit of the ${structure} stage that computes them each epoch`, async () => {
      await useBackend(backend);
      const computed = await stage(structure, false);
      const kept = await stage(structure, true);
      assertEquals(computed.teacherPasses, 5 * 12);
      // Twice per image, and a third time for those whose first pass differed (wasm's kernel for
      // the first 4 calls of a filter).
      assert(kept.teacherPasses <= 2 * 12 + 4, `${kept.teacherPasses} teacher passes`);
      assertEquals(kept.losses, computed.losses);
      assertEquals(kept.weights, computed.weights);
      assert(computed.losses[4].distillation !== computed.losses[0].distillation, "K changed");
    });
  }
}

Deno.test("FrozenTeacher keeps nothing at larger batches or without indices, and refuses indices that do not fit", async () => {
  await useBackend("cpu");
  const teacher = EdeGan.create({ imageSize: 16, width: 2, latentSize: 4 }, 0);
  const frozen = new FrozenTeacher(teacher, 4, { keep: true });
  const two = tf.randomUniform([2, 16, 16, 1], -1, 1, "float32", 5) as tf.Tensor4D;
  const one = tf.slice(two, [1, 0, 0, 0], [1, 16, 16, 1]) as tf.Tensor4D;
  const free = (o: { z: tf.Tensor; xHat: tf.Tensor; zHat: tf.Tensor }) =>
    tf.dispose([o.z, o.xHat, o.zHat]);
  free(frozen.outputs(two, new Int32Array([0, 1])));
  free(frozen.outputs(one));
  assertEquals(frozen.kept, 0);
  // The kept row is the image's own: image 1 of the pair, kept as index 1 after two passes, read
  // back equal to the pair's second row.
  const pair = frozen.outputs(two);
  const passes = [1, 2, 3].map(() => frozen.outputs(one, new Int32Array([1])));
  assertEquals(frozen.kept, 1);
  assertEquals(passes[2].xHat.shape, [1, 16, 16, 1]);
  assertEquals(passes[2].xHat.dataSync(), passes[0].xHat.dataSync());
  assertEquals(passes[2].zHat.dataSync(), pair.zHat.dataSync().slice(4));
  free(pair);
  passes.forEach(free);
  let error = "";
  try {
    frozen.outputs(one, new Int32Array([4]));
  } catch (e) {
    error = (e as Error).message;
  }
  assertEquals(error, "FrozenTeacher: image index 4 outside 0..3");
  try {
    frozen.outputs(two, new Int32Array([0]));
  } catch (e) {
    error = (e as Error).message;
  }
  assertEquals(error, "FrozenTeacher: 1 indices for a batch of 2 images");
  tf.dispose([one, two]);
  teacher.dispose();
});
