// A distillation's teacher is loaded through the model registry and must be distillable (issue
// 31): a Deep SVDD run given as `--model` is refused before any student trains, naming the folder
// and what distillation needs; an EDE-GAN saved the same way loads as the teacher.

import { assertEquals, assertRejects } from "@std/assert";
import { join } from "@std/path";
import { useBackend } from "../_helpers.ts";
import { saveModel } from "../../lib/train/checkpoint.ts";
import { DeepSvdd } from "../../lib/models/deep_svdd/mod.ts";
import { EdeGan } from "../../lib/models/ede_gan/mod.ts";
import { runDistillExperiment } from "../../lib/distill/experiment.ts";
import { loadTeacher } from "../../lib/distill/teacher.ts";

Deno.test("a Deep SVDD run as the distillation's --model is refused, naming it; an EDE-GAN loads", async () => {
  await useBackend("cpu");
  const runDir = await Deno.makeTempDir();
  const deepSvdd = DeepSvdd.create({ widths: [2, 2], representation: 4 }, 1);
  await saveModel(join(runDir, "model"), deepSvdd);
  deepSvdd.dispose();
  const out = await Deno.makeTempDir();
  await assertRejects(
    () =>
      runDistillExperiment({
        dataset: "mnist",
        normal: 1,
        seed: 0,
        limit: 32,
        testLimit: 40,
        teacher: { width: 4, epochs: 1, batchSize: 8 },
        teacherDir: runDir,
        students: [2],
        epochs: { step1: 1, step2: 1 },
        batchSize: 8,
        out,
      }),
    Error,
    `--model ${runDir}: holds a 'deep-svdd' model, which cannot be distilled`,
  );
  // Refused before anything was written: no run.json, no jobs/, no teacher.
  assertEquals([...Deno.readDirSync(out)], []);

  const edeGanDir = await Deno.makeTempDir();
  const edeGan = EdeGan.create({ width: 2, latentSize: 4 }, 1);
  await saveModel(edeGanDir, edeGan);
  const teacher = await loadTeacher(edeGanDir);
  try {
    assertEquals([teacher.name, teacher.baseShape], ["ede-gan", { width: 2, latentSize: 4 }]);
    assertEquals(
      teacher.variables.get("encoder1/conv1/kernel")!.dataSync(),
      edeGan.variables.get("encoder1/conv1/kernel")!.dataSync(),
    );
  } finally {
    teacher.dispose();
    edeGan.dispose();
  }
});
