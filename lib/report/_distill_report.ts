/**
 * The report of a distillation experiment: teacher and student tables, AUC against compression,
 * ROC curves of the teacher and of each student trained by P-KDGAN, and the teacher's training
 * curves when its run is inside. Read from the files the experiment wrote (`results.json`,
 * `teacher.json`, `jobs/*.json`, `teacher/run.json`) through the typed readers of `_files.ts`;
 * nothing is loaded or run again.
 *
 * @module
 */

import { join } from "@std/path";
import { exists } from "../util/atomic.ts";
import {
  type CompressionRow,
  compressionVsAuc,
  type Figure,
  type NamedRocCurve,
  rocFigure,
} from "../viz/figures.ts";
import {
  lossPanels,
  type NamedScores,
  precisionRecallFigure,
  scoreAgreement,
} from "../viz/analysis.ts";
import { htmlTable } from "../viz/html.ts";
import {
  BEST_EPOCH_COLUMNS,
  type DistillResults,
  RESULT_COLUMNS,
  type StudentResult,
  studentResultToRow,
  type TeacherResult,
} from "../distill/results.ts";
import {
  type DistillManifest,
  readJobFile,
  readReportedRun,
  readResults,
  readTeacherFile,
  type TeacherFile,
} from "./_files.ts";
import { keyValueTable, manifestDetails, notesList, section } from "./_sections.ts";
import { epochLossRecords, type ReportParts } from "./_train_report.ts";
import { jobLossRecords, PKDGAN_STEPS } from "./_student_job.ts";

/** The Students table's columns: the on-disk ones of `results.csv`, and the errors. */
const STUDENT_TABLE_COLUMNS = [...RESULT_COLUMNS, ...BEST_EPOCH_COLUMNS, "errors"] as const;

/** The value of a reader, or a note naming what could not be read (the report goes on). */
async function orNote<T>(read: Promise<T>, notes: string[], what: string): Promise<T | undefined> {
  try {
    return await read;
  } catch (error) {
    notes.push(`${what} skipped: ${(error as Error).message}`);
    return undefined;
  }
}

/** Composes the report of the distill run in `runDir` whose manifest is `manifest`. */
export async function distillReport(
  runDir: string,
  manifest: DistillManifest,
): Promise<ReportParts> {
  const notes: string[] = [];
  const figures: Figure[] = [];
  const results = await orNote(readResults(runDir, manifest), notes, "the results");
  const data = manifest.data;
  const dataset = results?.dataset ?? data?.dataset ?? "?";
  const normal = results?.normalClass ?? data?.normalClass ?? "?";
  const title = `P-KDGAN distillation: ${dataset}, class ${normal} (${
    manifest.status ?? "unknown status"
  })`;
  const teacher = results?.teacher;
  const students = results?.students ?? [];

  if (!results) notes.push("no results.json yet: the experiment has no finished student");
  if (teacher && students.length > 0) {
    const rows: CompressionRow[] = students.filter((s) => s.ratio > 0).map((s) => ({
      ratio: s.ratio,
      aucScratch: s.aucScratch ?? undefined,
      aucOneStep: s.aucOneStep ?? undefined,
      aucPkdgan: s.aucPkdgan ?? undefined,
      label: `width ${s.width}, latent ${s.latent}`,
    }));
    figures.push(
      compressionVsAuc(rows, { auc: teacher.auc, label: `teacher (width ${teacher.width})` }),
    );
  }

  const curves: NamedRocCurve[] = [];
  const teacherFile: TeacherFile | undefined = await orNote(
    readTeacherFile(join(runDir, "teacher.json")),
    notes,
    "teacher.json",
  );
  // Per-image scores (experiments since they were kept): PR curves and teacher-vs-student plots.
  const labels = teacherFile?.labels;
  const teacherScores = teacherFile?.scores;
  const scored: NamedScores[] = [];
  const agreement: Figure[] = [];
  const studentLosses: Figure[] = [];
  if (labels && teacherScores?.length === labels.length) {
    scored.push({ name: `teacher (width ${teacherFile!.width})`, scores: teacherScores, labels });
  }
  if (teacherFile?.roc) {
    curves.push({
      name: `teacher (width ${teacherFile.width})`,
      ...teacherFile.roc,
      auc: teacherFile.auc,
    });
  } else notes.push("teacher ROC skipped: teacher.json has no roc");
  for (const s of students) {
    const name = `w${s.width}-l${s.latent}-pkdgan`;
    const job = await orNote(readJobFile(join(runDir, "jobs", `${name}.json`)), notes, name);
    if (job?.roc) {
      curves.push({
        name: `student width ${s.width} P-KDGAN (${s.ratio}x)`,
        ...job.roc,
        auc: job.auc,
      });
    } else notes.push(`ROC of ${name} skipped: no jobs/${name}.json with a roc`);
    const scores = job?.scores;
    if (labels && teacherScores && scores?.length === labels.length) {
      const studentName = `P-KDGAN w${s.width}`;
      scored.push({ name: `${studentName} (${s.ratio}x)`, scores, labels });
      try {
        agreement.push(scoreAgreement({
          x: teacherScores,
          y: scores,
          isAnomaly: labels,
          xName: `teacher w${teacherFile!.width}`,
          yName: studentName,
          log: [...teacherScores, ...scores].every((v) => v > 0),
        }));
      } catch (error) {
        notes.push(`scores of ${name} against the teacher skipped: ${(error as Error).message}`);
      }
    }
    const history = job?.history ?? [];
    if (history.length > 0) {
      try {
        studentLosses.push(lossPanels(
          jobLossRecords(history, PKDGAN_STEPS),
          { title: `Losses of the P-KDGAN student w${s.width} (epoch means)` },
        ));
      } catch (error) {
        notes.push(`losses of ${name} skipped: ${(error as Error).message}`);
      }
    }
  }
  if (curves.length > 0) {
    figures.push(rocFigure(curves, { title: "ROC: teacher and P-KDGAN students" }));
  }
  if (scored.length > 0) {
    figures.push(
      precisionRecallFigure(scored, { title: "Precision-recall: teacher and P-KDGAN students" }),
    );
  } else {notes.push(
      "precision-recall and score plots skipped: no per-image scores in teacher.json",
    );}
  figures.push(...agreement, ...studentLosses);

  const teacherRun = await exists(join(runDir, "teacher", "run.json"))
    ? await orNote(readReportedRun(join(runDir, "teacher")), notes, "the teacher's losses")
    : undefined;
  const teacherHistory = teacherRun?.kind === "train" ? teacherRun.history : [];
  if (teacherHistory.length > 0) {
    try {
      const records = epochLossRecords(teacherHistory);
      figures.push(lossPanels(records, { title: "Teacher losses (epoch means)" }));
    } catch (error) {
      notes.push(`teacher losses skipped: ${(error as Error).message}`);
    }
  }

  const html = [
    section("Run", runTable(manifest, results)),
    notesList(notes),
    teacher && students.length > 0
      ? section("What the numbers say", reading(teacher, students))
      : "",
    teacher ? section("Teacher", htmlTable([teacherRow(teacher)])) : "",
    students.length > 0 ? section("Students", studentsTable(results!)) : "",
    await jobsSection(runDir),
    section("Manifest", manifestDetails(manifest.raw, ["results"])),
  ].filter((s) => s !== "").join("\n");
  return { title, html, figures };
}

/** The teacher as `results.json` names its fields (the table shows the file's columns). */
function teacherRow(teacher: TeacherResult): Record<string, unknown> {
  return {
    width: teacher.width,
    params: teacher.params,
    mflops: teacher.mflops,
    auc: teacher.auc,
    score_images_per_s: teacher.scoreImagesPerSecond,
  };
}

/** One row per student under `results.csv`'s column names, with its errors. */
function studentsTable(results: DistillResults): string {
  const rows: Record<string, unknown>[] = results.students.map((s) => ({
    ...studentResultToRow(s),
    errors: s.errors.join("; "),
  }));
  const columns = STUDENT_TABLE_COLUMNS.filter((c) => rows.some((r) => r[c] !== undefined));
  return htmlTable(rows, columns) +
    (results.ratioDefinition ? `\n<p>ratio: ${results.ratioDefinition}</p>` : "");
}

function runTable(manifest: DistillManifest, results: DistillResults | undefined): string {
  const { backend, options } = manifest;
  return keyValueTable({
    kind: manifest.kind,
    status: manifest.status,
    written: manifest.written,
    backend: backend ? `${backend.name}${backend.device ? ` (${backend.device})` : ""}` : undefined,
    dataset: results?.dataset ?? manifest.data?.dataset,
    "normal class": results?.normalClass ?? manifest.data?.normalClass,
    protocol: results?.protocol ?? manifest.data?.protocol,
    seed: results?.seed ?? options?.seed,
    students: options?.students?.join(", "),
    "epochs (step 1, step 2)": options?.epochs
      ? `${options.epochs.step1}, ${options.epochs.step2}`
      : undefined,
    "batch size": options?.batchSize,
    limit: options?.limit,
    "test limit": options?.testLimit,
    edegan: manifest.edeganVersion,
  });
}

/** A table of every finished job in `jobs/`: name, AUC, seconds, epochs. */
async function jobsSection(runDir: string): Promise<string> {
  const dir = join(runDir, "jobs");
  if (!(await exists(dir))) return "";
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (entry.isFile && entry.name.endsWith(".json")) names.push(entry.name);
  }
  names.sort((a, b) => a.localeCompare(b, "en", { numeric: true }));
  const rows: Record<string, unknown>[] = [];
  for (const name of names) {
    try {
      const job = (await readJobFile(join(dir, name)))!;
      rows.push({
        job: name.replace(/\.json$/, ""),
        auc: job.auc,
        seconds: job.seconds,
        epochs: job.history.length,
      });
    } catch (error) {
      rows.push({ job: name, error: (error as Error).message });
    }
  }
  return rows.length > 0 ? section("Jobs", htmlTable(rows)) : "";
}

/**
 * A few sentences read off the tables: the order of the methods at each size, how often P-KDGAN
 * beats the student trained alone (the papers' claim), and whether students outscore their
 * teacher (a teacher too short-trained to be worth distilling).
 */
function reading(teacher: TeacherResult, students: StudentResult[]): string {
  const fmt = (
    v: number | null | undefined,
  ) => (v === null || v === undefined ? "n/a" : v.toFixed(3));
  const orders = students.map((s) => {
    const ranked = ([["scratch", s.aucScratch], ["one-step", s.aucOneStep], [
      "P-KDGAN",
      s.aucPkdgan,
    ]] as [string, number | null][])
      .filter((entry): entry is [string, number] => entry[1] !== null)
      .sort((a, b) => b[1] - a[1]);
    return `width ${s.width} (${fmt(s.ratio).replace(/\.?0+$/, "")}:1): ` +
      ranked.map(([m, v]) => `${m} ${fmt(v)}`).join(" &gt; ");
  });
  const compared = students.filter((s) => s.deltaVsScratch !== null);
  const wins = compared.filter((s) => s.deltaVsScratch! > 0).length;
  const above =
    students.filter((s) =>
      [s.aucScratch, s.aucOneStep, s.aucPkdgan].some((v) => (v ?? 0) > teacher.auc)
    ).length;
  // Which students: trained alone (scratch) above the teacher says something else than distilled.
  const aboveBy = ([
    ["trained alone", "aucScratch"],
    ["one-step KD", "aucOneStep"],
    ["P-KDGAN", "aucPkdgan"],
  ] as const).map(([what, key]) => {
    const widths = students.filter((s) => (s[key] ?? 0) > teacher.auc).map((s) => s.width);
    return widths.length ? `${what} at width ${widths.join(", ")}` : "";
  }).filter(Boolean);
  const sentences = [
    `Teacher (width ${teacher.width}) AUC ${fmt(teacher.auc)}. ${orders.join("; ")}.`,
    compared.length > 0
      ? `P-KDGAN beats the student trained alone at ${wins} of ${compared.length} sizes` +
        (wins === compared.length
          ? ", as the papers report."
          : ", unlike the papers (+1.77 points on MNIST at 311:1): distillation helps only " +
            "when the teacher is worth imitating.")
      : "",
    above > 0
      ? `At ${above} of ${students.length} sizes a student scores above its teacher ` +
        `(${aboveBy.join("; ")}): the teacher is under-trained (train it longer, or pass a ` +
        "longer-trained one with --model)."
      : "",
  ];
  return `<p>${sentences.filter(Boolean).join(" ")}</p>`;
}
