// The distillation design options of issue 26 (students that keep the teacher's latent size, K's
// weights, stage 1 as K alone, batch 1 with the validation-chosen BatchNorm mode), the per-epoch
// test AUCs, and a student job that resumes mid-job from its checkpoint (issue 30).
import { assert, assertAlmostEquals, assertEquals, assertRejects, assertThrows } from "@std/assert";
import { join } from "@std/path";
import * as tf from "../../lib/tf.ts";
import { useBackend } from "../_helpers.ts";
import { runDistillExperiment } from "../../lib/distill/experiment.ts";
import { distillationLoss, parseKdWeights } from "../../lib/distill/kd_loss.ts";
import { distillStudent, type StudentEpochRecord } from "../../lib/distill/pkdgan.ts";
import { studentForRatio } from "../../lib/distill/students.ts";
import { resolveStudentChoice } from "../../lib/distill/student_choice.ts";
import {
  EdeGan,
  modelCost,
  narrowerCosts,
  resolveConfig,
  studentConfig,
} from "../../lib/models/ede_gan/mod.ts";
import { loadOneClass } from "../../lib/data/protocol.ts";
import { bestTestEpoch, rocAuc } from "../../lib/metrics/mod.ts";
import { validationAgreement } from "../../lib/distill/validation_agreement.ts";

Deno.test("--student-latent keep: the 311:1 and 700:1 students keep latent 100, at the FLOPs ratio cost.ts gives", () => {
  const teacher = resolveConfig({ width: 64 });
  const costs = narrowerCosts(teacher);
  for (const ratio of [311.11, 700]) {
    const kept = resolveStudentChoice(costs, { ratio }, undefined, "keep");
    assertEquals(kept.latentSize, 100);
    const shrunk = resolveStudentChoice(costs, { ratio });
    assert(shrunk.latentSize < 100, `${ratio}:1 shrinks by default (${shrunk.latentSize})`);
    // the ratio the experiment prints is teacher MACs / student MACs of cost.ts
    const size = studentForRatio(costs, ratio, "keep");
    const cost = modelCost(studentConfig(teacher, kept));
    assertEquals(size.ratio, modelCost(teacher).generator.macs / cost.generator.macs);
  }
  // the width is the one that fits best with latent 100 fixed
  const keep311 = studentForRatio(costs, 311.11, "keep");
  for (let width = 1; width <= 8; width++) {
    const other = modelCost(teacher).generator.macs /
      modelCost(studentConfig(teacher, { width, latentSize: 100 })).generator.macs;
    assert(
      Math.abs(Math.log(other / 311.11)) >= Math.abs(Math.log(keep311.ratio / 311.11)),
      `width ${width} fits 311:1 better than ${keep311.width}`,
    );
  }
});

Deno.test("--kd-weights: K with the image term at 50 is 50x the unit image term on the same tensors", async () => {
  await useBackend("cpu");
  const t = {
    z: tf.tensor2d([[0.1, -0.2, 0.3, 0.4]]),
    xHat: tf.tensor4d([0.5, -0.5, 0.25, 0.75], [1, 2, 2, 1]),
    zHat: tf.tensor2d([[0.2, 0.2, -0.1, 0]]),
  };
  const s = {
    z: tf.tensor2d([[0, 0.1, 0.2, 0.3]]),
    xHat: tf.tensor4d([0.1, -0.2, 0.3, 0.4], [1, 2, 2, 1]),
    zHat: tf.tensor2d([[0.1, 0.3, 0, -0.2]]),
  };
  const unit = distillationLoss(t, s, parseKdWeights("1,1,1"));
  const heavy = distillationLoss(t, s, parseKdWeights("1,50,1"));
  const [ux, uz1, uz2, hx, hz1, hz2, htotal] = [
    unit.x,
    unit.z1,
    unit.z2,
    heavy.x,
    heavy.z1,
    heavy.z2,
    heavy.total,
  ].map((v) => v.dataSync()[0]);
  // mean |0.4, -0.3, -0.05, 0.35| = 0.275
  assertAlmostEquals(ux, 0.275, 1e-6);
  assertAlmostEquals(hx, 50 * ux, 1e-5);
  assertEquals([hz1, hz2], [uz1, uz2]);
  assertAlmostEquals(htotal, uz1 + 50 * ux + uz2, 1e-5);
  tf.dispose([t.z, t.xHat, t.zHat, s.z, s.xHat, s.zHat]);
  tf.dispose([unit.total, unit.x, unit.z1, unit.z2, heavy.total, heavy.x, heavy.z1, heavy.z2]);
  assertThrows(() => parseKdWeights("1,50"), Error, "--kd-weights: '1,50' is not three");
  assertThrows(() => parseKdWeights("1,-1,1"), Error, "--kd-weights");
  assertThrows(() => parseKdWeights("0,0,0"), Error, "not all zero");
});

const images = (count: number) => ({
  pixels: Uint8Array.from({ length: count * 16 * 16 }, (_, i) => (i * 37 + (i >> 4) * 11) % 256),
  labels: new Int32Array(count),
  count,
  height: 16,
  width: 16,
  channels: 1,
});

Deno.test("--stage1 kd: P-KDGAN's stage 1 trains the student on K alone, its discriminator untouched", async () => {
  await useBackend("cpu");
  const teacher = EdeGan.create({ imageSize: 16, width: 4, latentSize: 8 }, 0);
  const student = EdeGan.create({ ...teacher.config, width: 2 }, 1);
  const discriminator = () =>
    [...student.variables].filter(([k]) => k.startsWith("discriminator")).map(([, v]) =>
      Array.from(v.dataSync())
    );
  const before = discriminator();
  assert(before.length > 0);
  const stage1 = await distillStudent(teacher, student, images(16), "pkdgan", {
    epochs: { step1: 1, step2: 0 },
    batchSize: 8,
    seed: 1,
    stage1: "kd",
  });
  assertEquals(stage1.history.map((r) => r.structure), ["kd"]);
  assertEquals(discriminator(), before);
  assertEquals(stage1.history[0].lossD, 0);
  // the default stage 1 (kd-gan) trains the discriminator
  const gan = await distillStudent(teacher, student, images(16), "pkdgan", {
    epochs: { step1: 1, step2: 0 },
    batchSize: 8,
    seed: 1,
  });
  assertEquals(gan.history.map((r) => r.structure), ["kd-gan"]);
  assert(JSON.stringify(discriminator()) !== JSON.stringify(before));
  teacher.dispose();
  student.dispose();
});

Deno.test("a killed P-KDGAN student job resumes from its checkpoint: the same history and weights", async () => {
  await useBackend("cpu");
  const teacher = EdeGan.create({ imageSize: 16, width: 4, latentSize: 8 }, 0);
  const config = { ...teacher.config, width: 2, latentSize: 4 }; // a projection, too
  const train = images(16);
  const opts = { epochs: { step1: 2, step2: 2 }, batchSize: 8, seed: 3 };
  const whole = EdeGan.create(config, 5);
  const uninterrupted = await distillStudent(teacher, whole, train, "pkdgan", opts);
  const dir = join(await Deno.makeTempDir(), "job.checkpoint");
  // killed after epoch 1 of stage 1, then after epoch 1 of stage 2 (the joint stage, whose
  // teacher copy and optimisers the checkpoint keeps), each time resumed by a fresh process
  for (const killAfter of [1, 2]) {
    const student = EdeGan.create(config, 5);
    let seen = 0;
    await assertRejects(
      () =>
        distillStudent(teacher, student, train, "pkdgan", {
          ...opts,
          checkpointDir: dir,
          onEpoch: () => {
            if (++seen === killAfter) throw new Error("killed");
          },
        }),
      Error,
      "killed",
    );
    student.dispose();
  }
  const tensorsBefore = tf.memory().numTensors;
  const resumed = EdeGan.create(config, 5);
  const ranNow: number[] = [];
  const result = await distillStudent(teacher, resumed, train, "pkdgan", {
    ...opts,
    checkpointDir: dir,
    onEpoch: (r) => void ranNow.push(r.stage * 10 + r.epoch),
  });
  // only the last epoch of stage 2 ran now: the three before came from the checkpoint
  assertEquals(ranNow, [22]);
  const losses = (h: StudentEpochRecord[]) =>
    h.map(({ epoch, stage, structure, lossG, lossD, distillation }) => ({
      epoch,
      stage,
      structure,
      lossG,
      lossD,
      distillation,
    }));
  assertEquals(losses(result.history), losses(uninterrupted.history));
  for (const [key, v] of whole.variables) {
    assertEquals(
      Array.from(resumed.variables.get(key)!.dataSync()),
      Array.from(v.dataSync()),
      key,
    );
  }
  resumed.dispose();
  // restoring the checkpoint (student, projection, teacher copy, optimisers) leaks no tensor
  assertEquals(tf.memory().numTensors, tensorsBefore);
  for (const m of [teacher, whole]) m.dispose();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("distill at batch 1: per-epoch test AUCs, the validation-chosen BatchNorm mode and the design in each job file", async () => {
  await useBackend("wasm");
  const out = await Deno.makeTempDir();
  const options = {
    dataset: "mnist" as const,
    normal: 1,
    seed: 0,
    limit: 48,
    testLimit: 120,
    teacher: { width: 4, epochs: 1, batchSize: 16 },
    students: [2],
    epochs: { step1: 2, step2: 1 },
    batchSize: 1,
    methods: ["scratch" as const, "pkdgan" as const],
    stage1: "kd" as const,
    weights: { z1: 1, x: 50, z2: 1 },
    out,
  };
  try {
    const results = await runDistillExperiment(options);
    const data = await loadOneClass({ ...options, limit: 48, testLimit: 120 });
    for (const method of ["scratch", "pkdgan"]) {
      const job = JSON.parse(
        await Deno.readTextFile(join(out, "jobs", `w2-l100-${method}.json`)),
      );
      assertEquals(job.history.length, 3);
      for (const r of job.history) assert(r.auc > 0 && r.auc <= 1, `${method} epoch ${r.epoch}`);
      // at batch 1, also the curve under each image's own statistics, and its best epoch
      for (const r of job.history) assert(r.perImageAuc > 0 && r.perImageAuc <= 1, `${r.epoch}`);
      assertEquals(
        job.bestTestEpochPerImage.auc,
        Math.max(...job.history.map((r: { perImageAuc: number }) => r.perImageAuc)),
      );
      // the last epoch's moving-statistics AUC is the last point of the curve
      assertAlmostEquals(job.movingAuc, job.history[2].auc, 1e-12);
      assertEquals(
        job.bestTestEpoch.auc,
        Math.max(...job.history.map((r: { auc: number }) => r.auc)),
      );
      assertEquals(job.design, {
        studentLatent: "shrink",
        kdWeights: { z1: 1, x: 50, z2: 1 },
        stage1: "kd",
        bnStats: "auto",
        distillEpochs: { step1: 2, step2: 1 },
        batchSize: 1,
      });
      assertEquals(job.bnStats.asked, "auto");
      assert(["moving", "recomputed", "per-image"].includes(job.bnStats.mode), job.bnStats.mode);
      assertEquals(Object.keys(job.bnStats.validationObjective).length, 3);
      // the headline AUC is the one of the scores kept, in the chosen mode
      assertEquals(rocAuc(job.scores, data.testIsAnomaly), job.auc);
      assert(job.validationAgreement.spearman >= -1 && job.validationAgreement.spearman <= 1);
      assert(
        !await Deno.stat(join(out, "jobs", `w2-l100-${method}.checkpoint`)).catch(() => false),
      );
    }
    const [s] = results.students;
    const pk = JSON.parse(await Deno.readTextFile(join(out, "jobs", "w2-l100-pkdgan.json")));
    assertEquals(pk.history.map((r: StudentEpochRecord) => r.structure), ["kd", "kd", "joint"]);
    assertEquals(s.bestEpochAucPkdgan, bestTestEpoch(pk.history)!.auc);
    // the best epoch names its stage (stage 1: K alone; the epochs restart at stage 2)
    const stageOf = (auc: number, key: "auc" | "perImageAuc") =>
      pk.history.find((r: StudentEpochRecord & { perImageAuc?: number }) => r[key] === auc).stage;
    assertEquals(pk.bestTestEpoch.stage, stageOf(pk.bestTestEpoch.auc, "auc"));
    assertEquals(
      pk.bestTestEpochPerImage.stage,
      stageOf(pk.bestTestEpochPerImage.auc, "perImageAuc"),
    );
    assert([1, 2].includes(pk.bestTestEpoch.stage));
    const manifest = JSON.parse(await Deno.readTextFile(join(out, "run.json")));
    assertEquals(manifest.design.stage1, "kd");
    // a rerun into the folder with another design is refused, naming each setting
    await assertRejects(
      () => runDistillExperiment({ ...options, stage1: "kd-gan", weights: { z1: 1, x: 1, z2: 1 } }),
      Error,
      "--kd-weights {z1:1,x:50,z2:1} -> {z1:1,x:1,z2:1}\n  --stage1 kd -> kd-gan",
    );
    await assertRejects(
      () => runDistillExperiment({ ...options, bnStats: "moving" }),
      Error,
      "--bn-stats auto -> moving",
    );
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("validation agreement: Spearman's rank correlation, named errors", () => {
  assertAlmostEquals(validationAgreement([1, 2, 3, 4, 5], [2, 1, 4, 3, 5]), 0.8, 1e-12);
  assertThrows(() => validationAgreement([1, 2], [1]), RangeError, "same validation images");
  assertThrows(() => validationAgreement([1, 2, 3], [1, 1, 1]), RangeError, "alike");
});

Deno.test("deno task distill: the design flags end to end, recorded in run.json and the job files; bad values named first", async () => {
  const out = join(await Deno.makeTempDir(), "run");
  const distill = async (...args: string[]) => {
    const r = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "tasks/distill.ts", ...args],
      env: { EDEGAN_NO_PROGRESS: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    return {
      code: r.code,
      text: new TextDecoder().decode(r.stdout) + new TextDecoder().decode(r.stderr),
    };
  };
  const bad = await distill("--kd-weights", "1,50", "--out", out);
  assertEquals(bad.code, 2);
  assert(bad.text.includes("--kd-weights: '1,50' is not three"), bad.text);
  const stage = await distill("--stage1", "joint", "--out", out);
  assert(stage.text.includes("--stage1: 'joint' is not one of kd-gan, kd"), stage.text);
  const run = await distill(
    ...["--teacher-width", "4", "--epochs", "1", "--students", "2", "--methods", "scratch,pkdgan"],
    ...["--distill-epochs", "1,1", "--limit", "48", "--test-limit", "60", "--batch-size", "16"],
    ...["--stage1", "kd", "--kd-weights", "1,50,1", "--student-latent", "keep"],
    ...["--bn-stats", "recomputed", "--backend", "wasm", "--out", out, "--no-report"],
  );
  try {
    assertEquals(run.code, 0, run.text);
    assert(run.text.includes("best-epoch P-KDGAN*"), run.text);
    assert(run.text.includes("best test epoch (reference code's protocol, comparison only)"));
    const design = {
      studentLatent: "keep",
      kdWeights: { z1: 1, x: 50, z2: 1 },
      stage1: "kd",
      bnStats: "recomputed",
      distillEpochs: { step1: 1, step2: 1 },
      batchSize: 16,
    };
    assertEquals(JSON.parse(await Deno.readTextFile(join(out, "run.json"))).design, design);
    const job = JSON.parse(await Deno.readTextFile(join(out, "jobs", "w2-l100-pkdgan.json")));
    assertEquals(job.design, design);
    assertEquals(job.bnStats.mode, "recomputed");
    // the validation agreement scores the validation normals with the same statistics
    assert(
      Math.abs(job.validationAgreement.spearman) <= 1,
      JSON.stringify(job.validationAgreement),
    );
    const results = JSON.parse(await Deno.readTextFile(join(out, "results.json")));
    assertEquals(results.students[0].best_epoch_auc_pkdgan, job.bestTestEpoch.auc);
  } finally {
    await Deno.remove(join(out, ".."), { recursive: true });
  }
});

Deno.test("a damaged student checkpoint is named as damaged, with the way out", async () => {
  await useBackend("cpu");
  const teacher = EdeGan.create({ imageSize: 16, width: 4, latentSize: 8 }, 0);
  const dir = join(await Deno.makeTempDir(), "job.checkpoint");
  const opts = { epochs: { step1: 2, step2: 0 }, batchSize: 8, seed: 3, checkpointDir: dir };
  const student = EdeGan.create({ ...teacher.config, width: 2 }, 5);
  await assertRejects(
    () =>
      distillStudent(teacher, student, images(16), "scratch", {
        ...opts,
        onEpoch: () => {
          throw new Error("killed");
        },
      }),
    Error,
    "killed",
  );
  const bin = join(dir, "student", "optimizer.bin");
  await Deno.truncate(bin, 100);
  await assertRejects(
    () => distillStudent(teacher, student, images(16), "scratch", opts),
    Error,
    `${dir}: damaged or not this job's checkpoint`,
  );
  await assertRejects(
    () => distillStudent(teacher, student, images(16), "scratch", opts),
    Error,
    "delete that folder to train this student job again from its first epoch",
  );
  teacher.dispose();
  student.dispose();
  await Deno.remove(join(dir, ".."), { recursive: true });
});
