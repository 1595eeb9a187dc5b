import { assertEquals, assertRejects } from "@std/assert";
import { join } from "@std/path";
import { useBackend } from "../_helpers.ts";
import { runDistillExperiment } from "../../lib/distill/experiment.ts";
import { rocAuc } from "../../lib/metrics/mod.ts";

const tiny = {
  dataset: "mnist" as const,
  normal: 7,
  seed: 1,
  limit: 64,
  testLimit: 200,
  teacher: { width: 4, epochs: 1, batchSize: 16 },
  students: [2],
  epochs: { step1: 1, step2: 1 },
  batchSize: 16,
  methods: ["scratch" as const],
};

Deno.test("distill: teacher.json and each job keep every test score (teacher-vs-student plots)", async () => {
  await useBackend("wasm");
  const out = await Deno.makeTempDir();
  try {
    const results = await runDistillExperiment({ ...tiny, out });
    const teacher = JSON.parse(await Deno.readTextFile(join(out, "teacher.json")));
    const job = JSON.parse(await Deno.readTextFile(join(out, "jobs", "w2-l100-scratch.json")));
    assertEquals(teacher.scores.length, 200);
    assertEquals(job.scores.length, 200);
    // the scores are the ones the AUCs were computed from
    const labels = (await Deno.readTextFile(join(out, "teacher", "scores.csv"))).trim().split("\n")
      .slice(1).map((line) => Number(line.split(",")[3]));
    assertEquals(rocAuc(teacher.scores, labels), results.teacher.auc);
    assertEquals(rocAuc(job.scores, labels), results.students[0].auc_scratch);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("distill: --model refuses a teacher trained on another class, naming both", async () => {
  await useBackend("wasm");
  const teacherDir = await Deno.makeTempDir();
  const out = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(
      join(teacherDir, "run.json"),
      JSON.stringify({
        kind: "train",
        data: { dataset: "mnist", normalClass: 2, protocol: "one-class" },
      }),
    );
    await assertRejects(
      () => runDistillExperiment({ ...tiny, out, teacherDir }),
      Error,
      `--model ${teacherDir}: the teacher was trained with normalClass 2, this experiment uses 7`,
    );
  } finally {
    await Deno.remove(teacherDir, { recursive: true });
    await Deno.remove(out, { recursive: true });
  }
});
