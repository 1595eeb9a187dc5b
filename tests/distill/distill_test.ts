import { assert, assertAlmostEquals, assertEquals } from "@std/assert";
import { join } from "@std/path";
import { useBackend } from "../_helpers.ts";
import * as tf from "../../lib/tf.ts";
import { createOptimisers, EdeGan } from "../../lib/models/ede_gan/mod.ts";
import { distillationLoss, latentProjection } from "../../lib/distill/kd_loss.ts";
import { distillStage, distillStudent } from "../../lib/distill/pkdgan.ts";
import { initialiseFromTeacher } from "../../lib/distill/students.ts";
import {
  type DistillExperimentOptions,
  runDistillExperiment,
} from "../../lib/distill/experiment.ts";

const snapshot = (m: EdeGan) =>
  new Map([...m.variables].map(([k, v]) => [k, Float32Array.from(v.dataSync())]));

/** 32 patterned 32x32 one-channel training images. */
function patternedImages() {
  return {
    pixels: Uint8Array.from({ length: 32 * 32 * 32 }, (_, i) => (i * 37) % 256),
    labels: new Int32Array(32),
    count: 32,
    height: 32,
    width: 32,
    channels: 1,
  };
}

function randomImages(n: number, seed: number): tf.Tensor4D {
  return tf.tidy(() => tf.tanh(tf.randomNormal([n, 32, 32, 1], 0, 1, "float32", seed)));
}

Deno.test("K is zero when the student is a copy of the teacher", async () => {
  await useBackend("cpu");
  const teacher = EdeGan.create({ width: 4, latentSize: 8 }, 1);
  const student = EdeGan.create({ width: 4, latentSize: 8 }, 2);
  student.copyFrom(teacher);
  const x = randomImages(3, 5);
  const k = tf.tidy(() =>
    distillationLoss(teacher.generate(x, "infer"), student.generate(x, "infer")).total.dataSync()[0]
  );
  assertEquals(k, 0);
  // ...and positive for an unrelated student.
  const other = EdeGan.create({ width: 4, latentSize: 8 }, 3);
  const k2 = tf.tidy(() =>
    distillationLoss(teacher.generate(x, "train"), other.generate(x, "train")).total.dataSync()[0]
  );
  teacher.discardBatchStats();
  other.discardBatchStats();
  assert(k2 > 1e-3, `K ${k2}`);
  // A student sliced from a teacher of the same width is a copy too.
  const sliced = EdeGan.create({ width: 4, latentSize: 8 }, 9);
  initialiseFromTeacher(sliced, teacher);
  const k3 = tf.tidy(() =>
    distillationLoss(teacher.generate(x, "infer"), sliced.generate(x, "infer")).total.dataSync()[0]
  );
  assertEquals(k3, 0);
  tf.dispose(x);
  [teacher, student, other, sliced].forEach((m) => m.dispose());
});

Deno.test("the latent projection maps student latents to the teacher's size", async () => {
  await useBackend("cpu");
  const p = latentProjection(4, 8, 1)!;
  const t = { z: tf.zeros([2, 8]), xHat: tf.zeros([2, 4, 4, 1]), zHat: tf.zeros([2, 8]) };
  const s = { z: tf.zeros([2, 4]), xHat: tf.ones([2, 4, 4, 1]), zHat: tf.zeros([2, 4]) };
  const terms = distillationLoss(
    t as never,
    s as never,
    { z1: 1, x: 2, z2: 1 },
    p as tf.Tensor2D,
  );
  assertAlmostEquals(terms.x.dataSync()[0], 2, 1e-6);
  assertEquals(terms.z1.dataSync()[0], 0);
  assertEquals(latentProjection(8, 8, 1), null);
  tf.dispose([p, ...Object.values(t), ...Object.values(s), ...Object.values(terms)]);
});

Deno.test("step 1 leaves the teacher unchanged; step 2 (joint) changes it", async () => {
  await useBackend("wasm");
  const teacher = EdeGan.create({ width: 4, latentSize: 16 }, 1);
  const student = EdeGan.create({ width: 2, latentSize: 8 }, 2);
  const projection = latentProjection(8, 16, 3);
  const studentOptimisers = createOptimisers(student, new Map([["projection", projection!]]));
  const set = patternedImages();
  const before = snapshot(teacher);
  const studentBefore = snapshot(student);
  const common = { epochs: 1, batchSize: 8, seed: 1, studentOptimisers, projection };
  const tensorsBefore = tf.memory().numTensors;
  await distillStage(teacher, student, set, "kd-gan", common);
  for (const [key, values] of snapshot(teacher)) assertEquals(values, before.get(key), key);
  assert(
    [...snapshot(student)].some(([k, v]) => v.some((x, i) => x !== studentBefore.get(k)![i])),
    "the student learned in step 1",
  );
  const teacherOptimisers = createOptimisers(teacher);
  await distillStage(teacher, student, set, "joint", { ...common, teacherOptimisers });
  const changed = [...snapshot(teacher)].filter(([k, v]) =>
    v.some((x, i) => x !== before.get(k)![i])
  );
  assert(changed.length > 10, `only ${changed.length} teacher tensors changed in step 2`);
  // Nothing leaks over the two stages except the teacher's new optimiser state: each Adam holds
  // its two moments of all its variables in two flat buffers (lib/train/adam.ts).
  const adamTensors = 2 * 2;
  assertEquals(tf.memory().numTensors, tensorsBefore + adamTensors);
  for (const o of [studentOptimisers, teacherOptimisers]) {
    o.generator.dispose();
    o.discriminator.dispose();
  }
  projection!.dispose();
  teacher.dispose();
  student.dispose();
});

Deno.test("the progress line of a distillation stage shows K, the loss it distils by, per step", async () => {
  await useBackend("wasm");
  const teacher = EdeGan.create({ width: 4, latentSize: 16 }, 1);
  const student = EdeGan.create({ width: 2, latentSize: 16 }, 2);
  const studentOptimisers = createOptimisers(student);
  const set = patternedImages();
  for (const structure of ["kd", "kd-gan"] as const) {
    const lines: string[] = [];
    const progress = {
      update: (_d: number, _t: number, s?: string) => lines.push(s ?? ""),
      finish() {},
    };
    const [record] = await distillStage(teacher, student, set, structure, {
      epochs: 1,
      batchSize: 8,
      seed: 1,
      studentOptimisers,
      projection: null,
      progress,
    });
    const ks = lines.map((line) => Number(/ K (\d+\.\d{3}) /.exec(line)?.[1]));
    assertEquals(ks.length, 4, lines.join("\n"));
    assert(ks.every((k) => k > 0), lines.join("\n"));
    // The epoch's K is the mean of its steps' (each shown to 3 decimals).
    const mean = ks.reduce((a, b) => a + b, 0) / ks.length;
    assertAlmostEquals(mean, (record as unknown as { distillation: number }).distillation, 1e-3);
  }
  studentOptimisers.generator.dispose();
  studentOptimisers.discriminator.dispose();
  teacher.dispose();
  student.dispose();
});

Deno.test("quick distillation on real MNIST: student AUC >= 0.85 at >= 50:1", async () => {
  await useBackend("wasm");
  const out = await Deno.makeTempDir();
  const options: DistillExperimentOptions = {
    dataset: "mnist",
    normal: 1,
    seed: 0,
    limit: 1024,
    testLimit: 1000,
    teacher: { width: 32, epochs: 2, batchSize: 16 },
    students: [3],
    epochs: { step1: 2, step2: 1 },
    batchSize: 16,
    methods: ["pkdgan"],
    out,
  };
  const results = await runDistillExperiment(options);
  const [student] = results.students;
  assert(student.ratio >= 50, `ratio ${student.ratio}`);
  assert(student.aucPkdgan! >= 0.85, `student AUC ${student.aucPkdgan}`);
  assert(results.teacher.auc >= 0.9, `teacher AUC ${results.teacher.auc}`);
  // The schema of results.json.
  const saved = JSON.parse(await Deno.readTextFile(join(out, "results.json")));
  assertEquals(saved.dataset, "mnist");
  assertEquals(saved.normal_class, 1);
  for (const key of ["params", "mflops", "auc"]) assert(typeof saved.teacher[key] === "number");
  for (
    const key of [
      "width",
      "params",
      "mflops",
      "ratio",
      "auc_scratch",
      "auc_one_step",
      "auc_pkdgan",
      "score_images_per_s",
    ]
  ) assert(key in saved.students[0], key);
  assert(saved.students[0].score_images_per_s > 0);
  // A rerun skips what is done: same results, and it says so instead of training.
  const lines: string[] = [];
  const again = await runDistillExperiment({ ...options, log: (line) => lines.push(line) });
  assertEquals(again.students[0].aucPkdgan, student.aucPkdgan);
  assertEquals(again.teacher.auc, results.teacher.auc);
  assert(lines.some((l) => l.startsWith("teacher reused")), lines.join("\n"));
  assert(lines.some((l) => l.includes("pkdgan: done before")), lines.join("\n"));
});

Deno.test("a student's progress lines name the step and what it trains with, per method", async () => {
  // The main job printed `w8-l100-pkdgan 128/128 epoch 2/2` then `64/64 epoch 1/1`: two stages
  // whose names it did not say.
  await useBackend("wasm");
  const teacher = EdeGan.create({ width: 4, latentSize: 16 }, 1);
  const set = patternedImages();
  const expected = {
    pkdgan: ["step 1 (K + GAN, teacher frozen)", "step 2 (joint, teacher trained)"],
    scratch: ["step 1 (alone)", "step 2 (alone)"],
  };
  for (const [method, labels] of Object.entries(expected)) {
    const student = teacher.narrower({ width: 2 }, 2);
    const lines: string[] = [];
    const progress = {
      update: (_d: number, _t: number, s?: string) => lines.push(s ?? ""),
      finish() {},
    };
    await distillStudent(teacher, student, set, method as "pkdgan" | "scratch", {
      epochs: { step1: 1, step2: 1 },
      batchSize: 8,
      seed: 1,
      progress,
    });
    const stages = [...new Set(lines.map((l) => l.slice(0, l.indexOf(" epoch "))))];
    assertEquals(stages, labels, lines.join("\n"));
    student.dispose();
  }
  teacher.dispose();
});
