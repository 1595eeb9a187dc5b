// The report of a distilled student: a shipped one (`shipped:NAME`, whose numbers models/index.json
// records) and a job folder of a tiny distillation (`OUT/jobs/<job>/`, whose per-epoch history is
// in `OUT/jobs/<job>.json`).

import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { join } from "@std/path";
import { TINY_DISTILLATION, useBackend } from "../_helpers.ts";
import { runDistillExperiment } from "../../lib/distill/experiment.ts";
import { rocAuc } from "../../lib/metrics/mod.ts";
import { writeRunReport } from "../../lib/report/run_report.ts";
import { exists } from "../../lib/util/atomic.ts";
import { aucCell, cell, figuresOf, sectionOf } from "./_page.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

/** The entry of a shipped model in this checkout's models/index.json. */
async function shipped(name: string): Promise<{ auc: number; threshold: number }> {
  const index = JSON.parse(await Deno.readTextFile(join(ROOT, "models", "index.json")));
  return index.models.find((m: { name: string }) => m.name === name);
}

/** The legend names of a page's ROC figure. */
// deno-lint-ignore no-explicit-any
const rocLegend = (figures: any[]): string[] =>
  figures.find((f) => f.layout.title.text.startsWith("ROC"))!.data.map((t: { name: string }) =>
    t.name
  );

Deno.test("deno task report --run shipped:mnist-2-311-scratch: the student's AUC and threshold as models/index.json records them", async () => {
  const dir = await Deno.makeTempDir({ prefix: "edegan-report-student-" });
  try {
    // Run from `dir`, so that runs/report-NAME lands there; EDEGAN_MODELS empty: this checkout's
    // models/.
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        "--config",
        join(ROOT, "deno.json"),
        join(ROOT, "tasks", "report.ts"),
        "--run",
        "shipped:mnist-2-311-scratch",
      ],
      cwd: dir,
      env: { EDEGAN_MODELS: "", EDEGAN_NO_PROGRESS: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(out.stderr);
    assertEquals(out.code, 0, stderr);
    const path = join("runs", "report-mnist-2-311-scratch", "report.html");
    assertEquals(new TextDecoder().decode(out.stdout).trim(), path);
    const html = await Deno.readTextFile(join(dir, path));
    const student = await shipped("mnist-2-311-scratch");
    const teacher = await shipped("mnist-2");
    const run = JSON.parse(
      await Deno.readTextFile(join(ROOT, "models", "mnist-2-311-scratch", "run.json")),
    );
    assertEquals(run.calibration.threshold, student.threshold);

    // The test metrics, computed from scores.csv: the AUC the index records (4 digits), and the
    // calibrated threshold.
    const metrics = sectionOf(html, "Test metrics (from scores.csv)");
    assertStringIncludes(metrics, aucCell(student.auc));
    assertStringIncludes(metrics, cell(student.threshold));
    assertStringIncludes(sectionOf(html, "Calibration on validation normals"), cell(0.05));
    // Who the student is.
    const header = sectionOf(html, "Student");
    for (
      const row of [
        "<td>method</td><td>trained alone (scratch)</td>",
        "<td>width x latent</td><td>3 x 32</td>",
        "<td>compression (teacher FLOPs / student FLOPs)</td><td>315.6:1</td>",
        "<td>teacher</td><td>shipped:mnist-2</td>",
        "<td>epochs (stage 1 + stage 2)</td><td>15 (10 + 5)</td>",
        "<td>BatchNorm statistics at scoring</td><td>moving</td>",
      ]
    ) assertStringIncludes(header, row);
    assertStringIncludes(header, aucCell(teacher.auc));
    assertStringIncludes(html, "<h1>Scratch student (width 3, latent 32, 315.6:1): mnist, normal");

    // The figures: ROC beside the shipped teacher's, histogram with the threshold, the model
    // views (the model is an EdeGan of width 3).
    const figures = figuresOf(html);
    assertEquals(rocLegend(figures), [
      `scratch student w3 (AUC ${student.auc.toFixed(3)})`,
      `teacher mnist-2 (AUC ${teacher.auc.toFixed(3)})`,
      "chance",
    ]);
    const histogram = figures.find((f) => f.layout.title.text.startsWith("Test scores with"));
    assertEquals(histogram.layout.shapes[0].x0, student.threshold);
    const titles = figures.map((f) => f.layout.title.text as string);
    for (const title of ["z = E1(x) (PCA)", "Most normal and most anomalous test images"]) {
      assert(titles.includes(title), `${title} in ${titles}`);
    }
    const errors = `Errors at threshold ${Number(student.threshold.toPrecision(4))}:`;
    assert(titles.some((t) => t.startsWith(errors)), titles.join("; "));
    // What a shipped student does not carry is said, and why the views' scores differ.
    assertStringIncludes(html, "per-epoch losses and AUCs skipped: a student&#39;s run.json");
    assertStringIncludes(html, "stored in float16");
    // The shipped folder is left as committed.
    assertEquals(
      await Deno.stat(join(ROOT, "models", "mnist-2-311-scratch", "report.html")).then(
        () => true,
        () => false,
      ),
      false,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("writeRunReport: a shipped student scored with per-image BatchNorm statistics", async () => {
  await useBackend("cpu");
  const dir = await Deno.makeTempDir({ prefix: "edegan-report-student-" });
  try {
    const runDir = join(ROOT, "models", "mnist-1-chosen-scratch");
    const html = await Deno.readTextFile(
      await writeRunReport(runDir, { path: join(dir, "report.html") }),
    );
    const student = await shipped("mnist-1-chosen-scratch");
    assertStringIncludes(sectionOf(html, "Test metrics (from scores.csv)"), aucCell(student.auc));
    assertStringIncludes(html, "<td>BatchNorm statistics at scoring</td><td>per-image</td>");
    // The views score as scores.csv was scored: no difference to report.
    assertStringIncludes(html, "Most normal and most anomalous test images");
    assert(!html.includes("differ from scores.csv"));
    // Its teacher is a run of the campaign that trained it (runs/t14/...), at hand only on a
    // machine that retrained it (results/students/queue.txt): beside the ROC there, else skipped.
    const teacherRun = join(ROOT, "runs", "t14", "runs", "mnist-1-b64-s0-ema", "scores.csv");
    assertStringIncludes(
      html,
      await exists(teacherRun)
        ? "teacher mnist-1-b64-s0-ema (AUC"
        : "the teacher&#39;s ROC skipped: no test scores of the teacher",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("writeRunReport: a student job folder of a distillation, with its epochs and its teacher", async () => {
  await useBackend("wasm");
  const out = await Deno.makeTempDir({ prefix: "edegan-report-student-" });
  try {
    const results = await runDistillExperiment({
      ...TINY_DISTILLATION,
      methods: ["pkdgan"],
      out,
      log: () => {},
    });
    const jobDir = join(out, "jobs", "w2-l100-pkdgan");
    const job = JSON.parse(await Deno.readTextFile(`${jobDir}.json`));
    const html = await Deno.readTextFile(await writeRunReport(jobDir));

    const labels = (await Deno.readTextFile(join(jobDir, "scores.csv"))).trim().split("\n")
      .slice(1).map((line) => Number(line.split(",")[3]));
    const auc = rocAuc(job.scores, labels);
    assertEquals(auc, results.students[0].aucPkdgan);
    assertStringIncludes(sectionOf(html, "Test metrics (from scores.csv)"), aucCell(auc));
    assertStringIncludes(html, "<td>epochs (step 1, step 2)</td><td>1, 1</td>");
    // The job's epochs: the losses and AUC of each of P-KDGAN's steps, and their table.
    const figures = figuresOf(html);
    const losses = figures[0];
    assertEquals(
      losses.layout.title.text,
      "Losses and test AUC per epoch (w2-l100-pkdgan.json of its distillation)",
    );
    const aucTraces = losses.data.filter((t: { yaxis: string }) =>
      t.yaxis === losses.data.at(-1).yaxis
    );
    assertEquals(
      aucTraces.map((t: { name: string; y: number[] }) => [t.name, t.y]),
      [["P-KDGAN step 1", [job.history[0].auc]], ["P-KDGAN step 2", [job.history[1].auc]]],
    );
    assertEquals(sectionOf(html, "Epochs").match(/<tr>/g)?.length, 3, "a header and 2 epochs");
    assertStringIncludes(sectionOf(html, "Distillation job"), aucCell(job.auc));
    assert(!html.includes("per-epoch losses and AUCs skipped"));
    // Its teacher, the distillation's own run: its ROC and its scores against the student's.
    assertEquals(rocLegend(figures).slice(1), [
      `teacher (AUC ${results.teacher.auc.toFixed(3)})`,
      "chance",
    ]);
    assert(
      figures.some((f) => f.layout.title.text.startsWith("P-KDGAN student w2 against teacher")),
    );
    assertStringIncludes(html, "Most normal and most anomalous test images");

    // Without the teacher's run folder: the distillation's teacher.json.
    await Deno.remove(join(out, "teacher", "scores.csv"));
    const fromJson = figuresOf(
      await Deno.readTextFile(await writeRunReport(jobDir, { modelViews: false })),
    );
    assertEquals(
      rocLegend(fromJson)[1],
      `teacher (width 4) (AUC ${results.teacher.auc.toFixed(3)})`,
    );

    // Moved out of its distillation: no epochs, no teacher, each said.
    const moved = join(out, "moved");
    await new Deno.Command("cp", { args: ["-r", jobDir, moved] }).output();
    const alone = await Deno.readTextFile(await writeRunReport(moved, { modelViews: false }));
    assertStringIncludes(alone, "per-epoch losses and AUCs skipped");
    assertStringIncludes(alone, "the teacher&#39;s ROC skipped: no test scores of the teacher");
    assertEquals(sectionOf(alone, "Epochs"), "");
    assertStringIncludes(sectionOf(alone, "Test metrics (from scores.csv)"), aucCell(auc));
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});
