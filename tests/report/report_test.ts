import { assert, assertEquals, assertRejects, assertStringIncludes } from "@std/assert";
import { join } from "@std/path";
import * as tf from "../../lib/tf.ts";
import { selectBackend } from "../../lib/backend/select.ts";
import { trainRun } from "../../lib/train/run.ts";
import { writeRunReport } from "../../lib/report/run_report.ts";
import { writeDigitFolder } from "../data/_fixtures.ts";
import { TINY_RUN } from "../_helpers.ts";
import { cell, figureDivs, figuresOf, plotlyCopies } from "./_page.ts";

Deno.test("writeRunReport: a real train run gets tables, curves, ROC, histogram and model views", async () => {
  await selectBackend("cpu");
  const dir = await Deno.makeTempDir({ prefix: "edegan-report-" });
  try {
    const run = await trainRun({
      dataset: "mnist",
      normal: 1,
      epochs: 1,
      batchSize: 16,
      seed: 0,
      model: { width: 2, latentSize: 8 },
      limit: 64,
      testLimit: 200,
      out: dir,
    });
    run.model.dispose();
    const tensors = tf.memory().numTensors;
    const path = await writeRunReport(dir);
    assertEquals(tf.memory().numTensors, tensors, "the model views dispose what they make");
    assertEquals(path, join(dir, "report.html"));
    const html = await Deno.readTextFile(path);
    const manifest = JSON.parse(await Deno.readTextFile(join(dir, "run.json")));
    assertEquals(plotlyCopies(html), 1);
    // losses, ROC, PR, histogram, scores by class, AUC per class, latent z / z_hat / z - z_hat,
    // reconstructions, false positives and negatives
    assertEquals(figureDivs(html).length, 11, html.replace(/<script>[^]*?<\/script>/g, ""));
    const titles = figuresOf(html).map((f) => f.layout.title.text as string);
    assertEquals(titles[0], "Losses");
    assert(titles[2].startsWith("Precision-recall"), titles[2]);
    assertEquals(titles[4], "Test scores by true class");
    assert(titles[10].startsWith("Errors at threshold"), titles[10]);
    // every loss panel is drawn through finite values only
    for (const trace of figuresOf(html)[0].data) {
      assert(
        trace.y.every((v: unknown) => typeof v === "number" && Number.isFinite(v)),
        trace.name,
      );
    }
    assertStringIncludes(html, cell(manifest.metrics.auc));
    assertStringIncludes(html, "Test metrics");
    assertStringIncludes(html, "Most normal and most anomalous test images");
    assert(!html.includes('class="edegan-notes"'), "no part of the report was skipped");
    assert(!(await Array.fromAsync(Deno.readDir(dir))).some((e) => e.name.includes(".tmp-")));

    // Without the model views: six figures, and a second write replaces the first.
    await writeRunReport(dir, { modelViews: false });
    assertEquals(figureDivs(await Deno.readTextFile(path)).length, 6);

    // A model that cannot be used is a note, never a failure.
    await Deno.writeTextFile(join(dir, "model", "model.json"), "{}");
    const noted = await Deno.readTextFile(await writeRunReport(dir));
    assertEquals(figureDivs(noted).length, 6);
    assertStringIncludes(noted, "latent views and reconstructions skipped");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("writeRunReport: a train run's report is drawn from its files, without its data", async () => {
  await selectBackend("cpu");
  const dir = await Deno.makeTempDir({ prefix: "edegan-report-" });
  const data = join(dir, "digits"), out = join(dir, "run");
  try {
    await writeDigitFolder(data, {
      normal: 1,
      anomalous: 7,
      train: 48,
      testNormal: 12,
      testAnomalous: 12,
    });
    const run = await trainRun({
      dataset: "folder",
      dataDir: data,
      normal: 0,
      epochs: 1,
      batchSize: 16,
      seed: 0,
      model: { width: 2, latentSize: 8 },
      out,
    });
    run.model.dispose();
    const withData = figuresOf(await Deno.readTextFile(await writeRunReport(out)));
    // Latent views, reconstructions and the error gallery need the images: 6 + 5 figures.
    assertEquals(withData.length, 11);
    await Deno.remove(data, { recursive: true });
    const html = await Deno.readTextFile(await writeRunReport(out));
    const without = figuresOf(html);
    // Every figure the run's files give is there, unchanged; the views that need the images
    // are skipped with a note naming the folder that is gone.
    assertEquals(without, withData.slice(0, 6));
    assertStringIncludes(html, "latent views and reconstructions skipped");
    assertStringIncludes(html, data);
    assertStringIncludes(html, "Test metrics");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("writeRunReport: the model views score with the BatchNorm statistics of the run's scores", async () => {
  await selectBackend("cpu");
  const dir = await Deno.makeTempDir({ prefix: "edegan-report-" });
  try {
    const run = await trainRun({ ...TINY_RUN, bnStats: "per-image", out: dir });
    run.model.dispose();
    const manifest = JSON.parse(await Deno.readTextFile(join(dir, "run.json")));
    assertEquals(manifest.scoring.bnStats, "per-image");
    const html = await Deno.readTextFile(await writeRunReport(dir));
    assertStringIncludes(html, "Most normal and most anomalous test images");
    assert(!html.includes("differ from scores.csv"), "the views' scores are the run's");
    // Taken for a run scored with the moving averages, its scores.csv is not theirs: said so.
    await Deno.writeTextFile(
      join(dir, "run.json"),
      JSON.stringify({ ...manifest, scoring: { bnStats: "moving" } }),
    );
    assertStringIncludes(
      await Deno.readTextFile(await writeRunReport(dir)),
      "differ from scores.csv",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("writeRunReport: a distillation file with a mistyped field is named in a note", async () => {
  const dir = await Deno.makeTempDir({ prefix: "edegan-report-" });
  try {
    await syntheticDistillRun(dir);
    const teacher = JSON.parse(await Deno.readTextFile(join(dir, "teacher.json")));
    await Deno.writeTextFile(
      join(dir, "teacher.json"),
      JSON.stringify({ ...teacher, auc: "0.93" }),
    );
    const html = await Deno.readTextFile(await writeRunReport(dir));
    assertStringIncludes(
      html,
      `teacher.json skipped: ${join(dir, "teacher.json")}: auc: expected a finite number, got ` +
        "&quot;0.93&quot;",
    );
    const results = JSON.parse(await Deno.readTextFile(join(dir, "results.json")));
    delete results.students[1].auc_pkdgan;
    await Deno.writeTextFile(join(dir, "results.json"), JSON.stringify(results));
    assertStringIncludes(
      await Deno.readTextFile(await writeRunReport(dir)),
      `${join(dir, "results.json")}: students[1].auc_pkdgan: expected a finite number or null, ` +
        "got nothing",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** A distill directory as `runDistillExperiment` leaves it, with made-up numbers. */
async function syntheticDistillRun(dir: string): Promise<number> {
  const roc = (bend: number) => ({
    fpr: [0, 0.1, 0.5, 1],
    tpr: [0, bend, 0.9, 1],
    thresholds: [null, 0.9, 0.5, 0.1],
  });
  const students = [16, 8, 4].map((width, i) => ({
    width,
    latent: 100,
    params: 100000 / (i + 1),
    mflops: 10 / (i + 1),
    ratio: 4 ** (i + 1),
    auc_scratch: 0.8 - i * 0.05,
    auc_one_step: 0.85 - i * 0.05,
    auc_pkdgan: 0.9 - i * 0.05,
    delta_vs_scratch: 0.1,
    score_images_per_s: 1000 * (i + 1),
    errors: i === 2 ? ["w4-l100-joint: <diverged>"] : [],
  }));
  const results = {
    dataset: "mnist",
    normal_class: 1,
    protocol: "one-class",
    seed: 0,
    teacher: { width: 64, params: 1e6, mflops: 40, auc: 0.9321, score_images_per_s: 300 },
    students,
    ratio_definition: "teacher FLOPs / student FLOPs",
  };
  await Deno.mkdir(join(dir, "jobs"), { recursive: true });
  await Deno.writeTextFile(join(dir, "results.json"), JSON.stringify(results));
  await Deno.writeTextFile(
    join(dir, "run.json"),
    JSON.stringify({
      kind: "distill",
      status: "finished",
      options: { seed: 0, students: [16, 8, 4], epochs: { step1: 1, step2: 1 }, batchSize: 16 },
      data: { dataset: "mnist", normalClass: 1, protocol: "one-class" },
      backend: { name: "cpu" },
      results,
    }),
  );
  const labels = [0, 0, 1, 1, 1, 1];
  await Deno.writeTextFile(
    join(dir, "teacher.json"),
    JSON.stringify({ ...results.teacher, roc: roc(0.8), labels, scores: [1, 2, 3, 4, 5, 6] }),
  );
  // The teacher's run: epoch 1 was not evaluated (no AUC), epoch 2 was.
  await Deno.mkdir(join(dir, "teacher"));
  await Deno.writeTextFile(
    join(dir, "teacher", "run.json"),
    JSON.stringify({
      kind: "train",
      status: "finished",
      training: { epochs: 2, batchSize: 16, seed: 0 },
      history: [
        { epoch: 1, lossG: 3, lossD: 0.5, adversarial: 0.2, contextual: 2.5, latent: 0.3 },
        {
          epoch: 2,
          lossG: 2,
          lossD: 0.2,
          adversarial: 0.1,
          contextual: 1.8,
          latent: 0.1,
          auc: 0.9,
        },
      ],
    }),
  );
  for (const s of students) {
    for (const method of ["scratch", "one-step", "pkdgan"]) {
      const auc = method === "pkdgan" ? s.auc_pkdgan : s.auc_scratch;
      await Deno.writeTextFile(
        join(dir, "jobs", `w${s.width}-l100-${method}.json`),
        JSON.stringify({
          auc,
          seconds: 1.5,
          roc: roc(auc - 0.2),
          scores: [1, 3, 2, 4, 6, 5].map((v) => v * (s.width / 16)),
          history: [
            { epoch: 1, lossG: 1, lossD: 1, distillation: 2, stage: 1, structure: "kd-gan" },
            { epoch: 1, lossG: 1, lossD: 0.5, distillation: 1, stage: 2, structure: "joint" },
          ],
        }),
      );
    }
  }
  return students.length;
}

Deno.test("writeRunReport: a distill run gets tables, compression against AUC and ROC", async () => {
  const dir = await Deno.makeTempDir({ prefix: "edegan-report-" });
  try {
    const count = await syntheticDistillRun(dir);
    const html = await Deno.readTextFile(await writeRunReport(dir));
    assertEquals(plotlyCopies(html), 1);
    // compression, ROC, PR, a teacher-vs-student plot and the losses of each P-KDGAN student,
    // the teacher's losses
    assertEquals(figureDivs(html).length, 3 + 2 * count + 1);
    const figures = figuresOf(html);
    assertEquals(figures[2].data[0].name, "teacher (width 64) (AP 1.000 at prevalence 0.667)");
    assertStringIncludes(figures[3].layout.title.text, "Spearman 0.886");
    const losses = figures[3 + count];
    assertEquals(
      losses.data.filter((t: { yaxis: string }) => t.yaxis === "y2").map((
        t: { name: string; y: number[] },
      ) => [t.name, t.y]),
      [["P-KDGAN step 1", [2]], ["P-KDGAN step 2", [1]]],
    );
    // the teacher's AUC panel shows epoch 2 only: the missing epoch 1 is not drawn as 0
    const teacher = figures.at(-1);
    assertEquals(teacher.layout.title.text, "Teacher losses (epoch means)");
    const auc = teacher.data.filter((t: { yaxis: string }) => t.yaxis === "y5");
    assertEquals(auc.map((t: { x: number[]; y: number[] }) => [t.x, t.y]), [[[2], [0.9]]]);
    const students = html.match(/<h2>Students<\/h2>\n<table[^]*?<\/table>/)?.[0] ?? "";
    assertEquals(students.match(/<tr>/g)?.length, count + 1, "a header and a row per student");
    assertStringIncludes(students, "w4-l100-joint: &lt;diverged&gt;");
    assertStringIncludes(html, cell(0.9321));
    // a reading of the numbers, computed from them
    assertStringIncludes(
      html,
      "width 16 (4:1): P-KDGAN 0.900 &gt; one-step 0.850 &gt; scratch 0.800",
    );
    assertStringIncludes(
      html,
      "P-KDGAN beats the student trained alone at 3 of 3 sizes, as the papers",
    );
    assert(!html.includes("scores above its teacher"));
    const jobs = html.match(/<h2>Jobs<\/h2>\n<table[^]*?<\/table>/)?.[0] ?? "";
    assertEquals(jobs.match(/<tr>/g)?.length, 3 * count + 1);
    // the ROC figure: teacher, three students, the diagonal
    assertEquals(html.match(/P-KDGAN \(\d+x\) \(AUC/g)?.length, count);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("writeRunReport: a folder that is not a run gives an error naming it", async () => {
  const dir = await Deno.makeTempDir({ prefix: "edegan-report-" });
  try {
    await assertRejects(() => writeRunReport(dir), Error, `${dir} is not a run directory`);
    await assertRejects(() => writeRunReport(join(dir, "nope")), Error, "no such directory");
    await Deno.writeTextFile(join(dir, "run.json"), JSON.stringify({ kind: "bench" }));
    await assertRejects(
      () => writeRunReport(dir),
      Error,
      'kind is "bench": the report takes the run.json of a training run (deno task train), a ' +
        "distillation (deno task distill), a distilled student (OUT/jobs/<job>/ of deno task " +
        "distill, or a shipped student)",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("deno task report: --run names the flag when missing or not a run directory", async () => {
  const dir = await Deno.makeTempDir({ prefix: "edegan-report-" });
  const task = new URL("../../tasks/report.ts", import.meta.url).pathname;
  const runTask = async (...args: string[]) => {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", task, ...args],
      stdout: "piped",
      stderr: "piped",
    }).output();
    return {
      code: out.code,
      stdout: new TextDecoder().decode(out.stdout),
      stderr: new TextDecoder().decode(out.stderr),
    };
  };
  try {
    const missing = await runTask();
    assertEquals(missing.code, 2);
    assertStringIncludes(missing.stderr, "--run is required");
    const notRun = await runTask("--run", dir);
    assertEquals(notRun.code, 2);
    assertStringIncludes(notRun.stderr, `--run: ${dir} is not a run directory`);
    await syntheticDistillRun(dir);
    const ok = await runTask("--run", dir);
    assertEquals(ok.code, 0, ok.stderr);
    assertEquals(ok.stdout.trim(), join(dir, "report.html"));
    assertStringIncludes((await runTask("--help")).stdout, "--run");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("deno task report --run shipped:NAME: reported into runs/report-NAME, not models/", async () => {
  const dir = await Deno.makeTempDir({ prefix: "edegan-report-" });
  const models = join(dir, "models");
  try {
    await Deno.mkdir(join(models, "tiny"), { recursive: true });
    await Deno.mkdir(join(models, "tiny-student"));
    await Deno.mkdir(join(models, "tiny-bench"));
    await Deno.writeTextFile(
      join(models, "index.json"),
      JSON.stringify({
        format: "edegan-shipped-models",
        models: [{ name: "tiny" }, { name: "tiny-student" }, { name: "tiny-bench" }],
      }),
    );
    await Deno.writeTextFile(join(models, "tiny-bench", "run.json"), '{"kind": "bench"}');
    await syntheticDistillRun(join(models, "tiny"));
    const root = new URL("../../", import.meta.url).pathname;
    await Deno.copyFile(
      join(root, "models", "mnist-2-311-pkdgan", "run.json"),
      join(models, "tiny-student", "run.json"),
    );
    // Run from `dir`, so that runs/report-NAME lands there, not in the checkout.
    const runTask = async (...args: string[]) => {
      const out = await new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "-A",
          "--config",
          join(root, "deno.json"),
          join(root, "tasks/report.ts"),
          ...args,
        ],
        cwd: dir,
        env: { EDEGAN_MODELS: models },
        stdout: "piped",
        stderr: "piped",
      }).output();
      const decode = (b: Uint8Array) => new TextDecoder().decode(b);
      return { code: out.code, stdout: decode(out.stdout), stderr: decode(out.stderr) };
    };
    const ok = await runTask("--run", "shipped:tiny");
    assertEquals(ok.code, 0, ok.stderr);
    assertEquals(ok.stdout.trim(), join("runs", "report-tiny", "report.html"));
    assertStringIncludes(
      await Deno.readTextFile(join(dir, "runs", "report-tiny", "report.html")),
      "P-KDGAN",
    );
    // The shipped folder is left as committed.
    assertEquals(
      await Deno.stat(join(models, "tiny", "report.html")).then(() => true, () => false),
      false,
    );

    const unknown = await runTask("--run", "shipped:nope");
    assertEquals(unknown.code, 2);
    assertStringIncludes(
      unknown.stderr,
      "error: --run shipped:nope: no shipped model of that name",
    );
    // A student's run.json alone: reported, with what it lacks said (tests/report/student_*).
    const student = await runTask("--run", "shipped:tiny-student");
    assertEquals(student.code, 0, student.stderr);
    assertStringIncludes(
      await Deno.readTextFile(join(dir, "runs", "report-tiny-student", "report.html")),
      "no scores.csv",
    );
    // A refused report leaves no folder behind.
    const bench = await runTask("--run", "shipped:tiny-bench");
    assertEquals(bench.code, 2);
    assertStringIncludes(bench.stderr, 'kind is "bench": the report takes');
    assertEquals(
      await Deno.stat(join(dir, "runs", "report-tiny-bench")).then(() => true, () => false),
      false,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
