/**
 * The report of a distilled student: a job folder of `deno task distill` (`OUT/jobs/<job>/`) or a
 * shipped student (`models/*-pkdgan`, `*-scratch`, `*-one-step`). It names the student (the way
 * it was trained: trained alone, one-step KD or P-KDGAN; its width and latent size, compression
 * ratio and teacher; the epochs of its two stages, batch size, seed and the BatchNorm statistics
 * it is scored with) and shows its test metrics, calibration, ROC (beside its teacher's when the
 * teacher's scores are at hand), score histogram with the threshold and the model views, through
 * the same code as a training run's report. A student's `run.json` keeps no per-epoch history:
 * the losses and AUC of each epoch come from its distillation's `jobs/<job>.json` when the folder
 * is still beside it, and the report says so when it is not.
 *
 * @module
 */

import { basename } from "@std/path";
import type { Figure } from "../viz/figures.ts";
import { lossPanels } from "../viz/analysis.ts";
import { htmlTable } from "../viz/html.ts";
import type { JobFile, StudentManifest, StudentRecord } from "./_files.ts";
import { modelViews } from "./_model_views.ts";
import {
  className,
  dataTable,
  keyValueTable,
  manifestDetails,
  notesList,
  section,
} from "./_sections.ts";
import { readRunScores, testMetrics, testScoreViews } from "./_test_scores.ts";
import { JOB_EPOCH_COLUMNS, jobBeside, jobLossRecords, PKDGAN_STEPS } from "./_student_job.ts";
import { teacherViews } from "./_student_teacher.ts";
import type { ReportParts, TrainReportOptions } from "./_train_report.ts";

/** Each way of training a student, by its name in the papers. */
export const METHOD_NAMES: Record<string, string> = {
  scratch: "trained alone (scratch)",
  "one-step": "one-step KD",
  joint: "joint KD",
  pkdgan: "P-KDGAN",
};

/** A student by the way it was trained, as legends and the title name it. */
const STUDENT_NAMES: Record<string, string> = {
  scratch: "scratch student",
  "one-step": "one-step KD student",
  joint: "joint KD student",
  pkdgan: "P-KDGAN student",
};

/** Composes the report of the student run in `runDir` whose manifest is `manifest`. */
export async function studentReport(
  runDir: string,
  manifest: StudentManifest,
  opts: TrainReportOptions,
): Promise<ReportParts> {
  const notes: string[] = [];
  const figures: Figure[] = [];
  const { student, data, config } = manifest;
  const kind = STUDENT_NAMES[student.method ?? ""] ??
    (student.method ? `${student.method} student` : "distilled student");
  const name = `${kind} w${config?.width ?? "?"}`;
  const title = `${capitalised(kind)} (${size(manifest)}${
    student.ratio !== undefined ? `, ${ratioText(student.ratio)}` : ""
  }): ${data?.dataset ?? "?"}, normal class ${className(data)} (${
    manifest.status ?? "unknown status"
  })`;

  const job = await jobBeside(runDir, student.job).catch((error: Error) => {
    notes.push(`the job's epochs skipped: ${error.message}`);
    return undefined;
  });
  const history = job?.file.history ?? [];
  if (history.length > 0) {
    const phase = student.method === "pkdgan"
      ? PKDGAN_STEPS
      : (h: { stage?: number; structure?: string }) =>
        h.stage !== undefined
          ? `stage ${h.stage}${h.structure ? ` (${h.structure})` : ""}`
          : undefined;
    figures.push(lossPanels(jobLossRecords(history, phase), {
      title: `Losses and test AUC per epoch (${basename(job!.path)} of its distillation)`,
    }));
  } else if (job) {
    notes.push(`per-epoch losses and AUCs skipped: ${job.path} has no history`);
  } else {
    const file = `jobs/${student.job ?? "<job>"}.json`;
    notes.push(
      "per-epoch losses and AUCs skipped: a student's run.json keeps none; its distillation " +
        `writes them to ${file} beside the student's folder, and none is beside this one ` +
        "(a shipped student, or a folder moved out of its distillation)",
    );
  }

  const threshold = manifest.threshold;
  const rows = await readRunScores(runDir);
  const teacher = rows && rows.labels.length > 0
    ? await teacherViews(runDir, student.teacher, rows, name)
    : { otherRocs: [], figures: [], notes: [] };
  notes.push(...teacher.notes);
  const scored = testScoreViews(rows, { name, data, threshold, otherRocs: teacher.otherRocs });
  figures.push(...scored.figures, ...teacher.figures);
  notes.push(...scored.notes);
  if (rows && opts.modelViews) {
    // A student's limits are its data's (its training record has none).
    const views = await modelViews(runDir, { ...manifest, training: undefined }, rows, opts);
    figures.push(...views.figures);
    notes.push(...views.notes);
  }

  let metrics: Record<string, number> | undefined;
  if (rows) {
    try {
      metrics = testMetrics(rows, threshold);
    } catch (error) {
      notes.push(`test metrics skipped: ${(error as Error).message}`);
    }
  }
  const html = [
    section("Student", studentTable(manifest, teacher.auc)),
    notesList(notes),
    metrics ? section("Test metrics (from scores.csv)", htmlTable([metrics])) : "",
    manifest.calibration
      ? section("Calibration on validation normals", htmlTable([manifest.calibration]))
      : "",
    job ? section("Distillation job", jobTable(job.file)) : "",
    history.length > 0
      ? section(
        "Epochs",
        htmlTable(
          history,
          JOB_EPOCH_COLUMNS.filter((c) => history.some((h) => h[c] !== undefined)),
        ),
      )
      : "",
    data ? section("Data", dataTable(data)) : "",
    section("Manifest", manifestDetails(manifest.raw)),
  ].filter((s) => s !== "").join("\n");
  return { title, html, figures };
}

function studentTable(manifest: StudentManifest, teacherAuc: number | undefined): string {
  const { student, backend, training, scoring } = manifest;
  return keyValueTable({
    kind: manifest.kind,
    status: manifest.status,
    error: manifest.error,
    method: student.method !== undefined
      ? `${METHOD_NAMES[student.method] ?? student.method}${
        student.init === "teacher" ? ", initialised from the teacher's weights" : ""
      }`
      : undefined,
    job: student.job,
    "width x latent": `${manifest.config?.width ?? "?"} x ${manifest.config?.latentSize ?? "?"}`,
    "compression (teacher FLOPs / student FLOPs)": student.ratio !== undefined
      ? ratioText(student.ratio)
      : undefined,
    teacher: student.teacher,
    "teacher test AUC": teacherAuc?.toFixed(4),
    ...stageEpochs(student),
    "batch size": training.batchSize,
    seed: training.seed,
    "BatchNorm statistics at scoring": scoring?.bnStats ?? student.bnStats,
    "false-positive rate of the threshold (validation normals)": student.fpr,
    backend: backend ? `${backend.name}${backend.device ? ` (${backend.device})` : ""}` : undefined,
    written: manifest.written,
    edegan: manifest.edeganVersion,
  });
}

/** The epochs of the two stages, as the method uses them. */
function stageEpochs(student: StudentRecord): Record<string, string | undefined> {
  const { step1, step2 } = student.epochs ?? {};
  if (step1 === undefined || step2 === undefined) return {};
  if (student.method === "pkdgan") return { "epochs (step 1, step 2)": `${step1}, ${step2}` };
  return { "epochs (stage 1 + stage 2)": `${step1 + step2} (${step1} + ${step2})` };
}

/** The job file's figures beyond the curves: final and best-epoch AUCs, agreement, time. */
function jobTable(job: JobFile): string {
  const best = job.bestTestEpoch;
  return keyValueTable({
    "test AUC (last epoch, as scored)": job.auc.toFixed(4),
    "test AUC with moving statistics (last epoch)": job.movingAuc?.toFixed(4),
    "best epoch's test AUC (reference code's protocol, comparison only)": best
      ? `${best.auc.toFixed(4)} (epoch ${best.epoch}${
        best.stage !== undefined ? ` of stage ${best.stage}` : ""
      })`
      : undefined,
    "Spearman with the teacher on validation normals": job.validationSpearman?.toFixed(4),
    seconds: job.seconds,
    epochs: job.history.length,
  });
}

function size(manifest: StudentManifest): string {
  return `width ${manifest.config?.width ?? "?"}, latent ${manifest.config?.latentSize ?? "?"}`;
}

function ratioText(ratio: number): string {
  return `${Number(ratio.toFixed(1))}:1`;
}

function capitalised(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
