import { assertEquals, assertRejects } from "@std/assert";
import { join } from "@std/path";
import { TINY_DISTILLATION, useBackend } from "../_helpers.ts";
import { runDistillExperiment } from "../../lib/distill/experiment.ts";
import {
  distillResultsToFile,
  FileFieldError,
  readDistillResults,
  resultColumns,
} from "../../lib/distill/results.ts";
import { rocAuc } from "../../lib/metrics/mod.ts";
import { csvText } from "../../lib/util/csv.ts";

const tiny = TINY_DISTILLATION;

Deno.test("distill: teacher.json and each job keep every test score (teacher-vs-student plots) and the job its code's commit", async () => {
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
    assertEquals(rocAuc(job.scores, labels), results.students[0].aucScratch);
    // the code that wrote the job file: this checkout's commit, as run.json records it
    const run = JSON.parse(await Deno.readTextFile(join(out, "run.json")));
    assertEquals(job.git.commit, run.git.commit);
    assertEquals(/^[0-9a-f]{40}$/.test(job.git.commit), true);
    // the teacher trained here, by the settings it was trained with
    assertEquals(run.options.teacher, tiny.teacher);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("distill: run.json records the shipped teacher it used, not the flags of a teacher it did not train; a folder that recorded those flags resumes", async () => {
  await useBackend("wasm");
  const out = await Deno.makeTempDir();
  // No student job: the teacher is loaded, scored and recorded.
  const options = {
    ...tiny,
    normal: 2,
    testLimit: 60,
    teacher: { width: 32, epochs: 2, batchSize: 16 },
    teacherDir: "shipped:mnist-2",
    methods: [],
    out,
  };
  try {
    const results = await runDistillExperiment(options);
    assertEquals(results.teacher.width, 64);
    const runPath = join(out, "run.json");
    const run = JSON.parse(await Deno.readTextFile(runPath));
    // models/mnist-2/run.json: the width-64 teacher of 15 epochs at batch 64, averaged (0.99).
    assertEquals(run.options.teacher, {
      from: "shipped:mnist-2",
      model: "ede-gan",
      width: 64,
      latentSize: 100,
      latent: "tanh",
      epochs: 15,
      batchSize: 64,
      ema: 0.99,
    });
    assertEquals(run.options.teacherDir, "shipped:mnist-2");
    // A folder written before (options.teacher: the unused flags) reruns without a refusal, as
    // does one with other teacher flags: they train nothing.
    run.options.teacher = { width: 32, epochs: 2, batchSize: 16, latent: "tanh" };
    await Deno.writeTextFile(runPath, JSON.stringify(run));
    await runDistillExperiment({ ...options, teacher: { width: 8, epochs: 1, batchSize: 16 } });
    assertEquals(
      JSON.parse(await Deno.readTextFile(runPath)).options.teacher.from,
      "shipped:mnist-2",
    );
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
        status: "finished",
        training: { epochs: 1, batchSize: 16, seed: 0 },
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

Deno.test("distill: --model refuses a teacher whose run is still training, naming the folder", async () => {
  await useBackend("wasm");
  const teacherDir = await Deno.makeTempDir();
  const out = await Deno.makeTempDir();
  try {
    const manifest = (status: string) =>
      JSON.stringify({
        kind: "train",
        status,
        training: { epochs: 15, batchSize: 64, seed: 0 },
        data: { dataset: "mnist", normalClass: 7, protocol: "one-class" },
      });
    for (const status of ["running", "failed"]) {
      await Deno.writeTextFile(join(teacherDir, "run.json"), manifest(status));
      await assertRejects(
        () => runDistillExperiment({ ...tiny, out, teacherDir }),
        Error,
        `--model ${teacherDir}: the teacher's run has not finished (status "${status}"`,
      );
    }
    // Nothing was trained or written for the students.
    assertEquals(await Array.fromAsync(Deno.readDir(join(out, "jobs"))).catch(() => []), []);
  } finally {
    await Deno.remove(teacherDir, { recursive: true });
    await Deno.remove(out, { recursive: true });
  }
});

async function* committedResults(dir: string): AsyncGenerator<string> {
  for await (const entry of Deno.readDir(dir)) {
    const path = join(dir, entry.name);
    if (entry.isDirectory) yield* committedResults(path);
    else if (entry.name === "results.json") yield path;
  }
}

Deno.test("results: every committed results.json reads into camelCase and writes back byte for byte", async () => {
  const root = new URL("../../results", import.meta.url).pathname;
  let files = 0;
  for await (const path of committedResults(root)) {
    const results = await readDistillResults(path);
    assertEquals(typeof results.students[0].aucPkdgan, "number", path);
    const file = distillResultsToFile(results);
    assertEquals(JSON.stringify(file, null, 2) + "\n", await Deno.readTextFile(path), path);
    const csv = path.replace(/results\.json$/, "results.csv");
    assertEquals(
      csvText(file.students, resultColumns(file.students)),
      await Deno.readTextFile(csv),
      csv,
    );
    files++;
  }
  if (files < 10) throw new Error(`only ${files} committed results.json found under ${root}`);
});

Deno.test("results: a missing or mistyped field is named with its file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "results.json");
    const good = JSON.parse(
      await Deno.readTextFile(
        new URL("../../results/paper-lite-mnist-2/results.json", import.meta.url),
      ),
    );
    await Deno.writeTextFile(path, JSON.stringify({ ...good, normal_class: undefined }));
    await assertRejects(
      () => readDistillResults(path),
      FileFieldError,
      `${path}: normal_class: expected a finite number, got nothing`,
    );
    const students = [{ ...good.students[0], auc_pkdgan: "0.9" }];
    await Deno.writeTextFile(path, JSON.stringify({ ...good, students }));
    await assertRejects(
      () => readDistillResults(path),
      FileFieldError,
      `${path}: students[0].auc_pkdgan: expected a finite number or null, got "0.9"`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
