/**
 * `report.html` of a run directory: what `deno task report --run DIR` writes, and what `train`
 * and `distill` write at their end. The directory's `run.json` says which report: a training
 * run's, a distillation's, or a distilled student's (a job folder `OUT/jobs/<job>/` of
 * `deno task distill`, or a shipped student).
 *
 * @module
 */

import { join } from "@std/path";
import { toHtml, writeHtml } from "../viz/html.ts";
import { readReportedRun } from "./_files.ts";
import { distillReport } from "./_distill_report.ts";
import { studentReport } from "./_student_report.ts";
import { type ReportParts, trainReport, type TrainReportOptions } from "./_train_report.ts";

/** Options of {@link writeRunReport}; every field has a default. */
export interface RunReportOptions {
  /**
   * Reload a train or student run's model and data for the views the run's files cannot give
   * (scored with the BatchNorm statistics its scores used): latent views
   * (PCA of z and z_hat, which only the model computes), the most normal and most anomalous
   * test images with their reconstructions, and the false positives and negatives (the run keeps
   * no images). Default true. When that fails or the data is not at hand, the report says so
   * and goes on without them; every other part is drawn from the run's files alone.
   */
  modelViews?: boolean;
  /** Wall-clock budget of the model views in seconds (default 6). */
  budgetSeconds?: number;
  /** Test points in the latent views at most (default 1000). */
  maxPoints?: number;
  /** How many of the most normal and of the most anomalous images to show (default 6). */
  extremes?: number;
  /** Where to write (default `<runDir>/report.html`). */
  path?: string;
}

/**
 * Writes `report.html` into the train, distill or student run directory `runDir` (the kind is
 * read from its `run.json`) and returns the report's path. A train report holds the manifest, the
 * test metrics, calibration and per-epoch tables, training curves, ROC, the score histogram and,
 * when the model and data load within the time budget, latent views and reconstructions. A
 * distill report holds the teacher and student tables, AUC against compression and the ROC
 * curves of the teacher and of each P-KDGAN student. A student report names the student (method,
 * width and latent size, compression ratio, teacher, the epochs of its stages, batch size, seed,
 * BatchNorm statistics) and holds its test metrics computed from its `scores.csv`, calibration,
 * ROC (with its teacher's, where the teacher's scores are at hand), score histogram and the same
 * model views as a train report; its per-epoch losses and AUCs where its distillation's
 * `jobs/<job>.json` is beside it (a shipped student has none, and the report says so). The page is
 * self-contained (plotly inlined) and written atomically. Scores, labels, classes, losses,
 * metrics and calibration come from what the runs wrote (`scores.csv`, `run.json`,
 * `results.json`, `teacher.json`, `jobs/`); only the model views load the model and the data
 * again.
 *
 * @throws {Error} naming the folder when it is missing or holds no `run.json`, or naming the
 * file and the kinds the report takes when `run.json` is of another kind, or naming the file and
 * field of `run.json` that the report reads and finds mistyped. A distillation's other files that
 * cannot be read become notes in the report.
 *
 * @example
 * ```ts
 * import { writeRunReport } from "./run_report.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/run.json`, JSON.stringify({
 *   kind: "distill", status: "finished",
 *   results: { dataset: "mnist", normal_class: 1, protocol: "one-class", seed: 0, students: [],
 *     teacher: { width: 64, params: 1e6, mflops: 20, auc: 0.9, score_images_per_s: 100 } },
 * }));
 * const path = await writeRunReport(dir);
 * if (!(await Deno.readTextFile(path)).includes("P-KDGAN")) throw new Error();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function writeRunReport(
  runDir: string,
  opts: RunReportOptions = {},
): Promise<string> {
  const manifest = await readReportedRun(runDir);
  const views: TrainReportOptions = {
    modelViews: opts.modelViews ?? true,
    budgetSeconds: opts.budgetSeconds ?? 6,
    maxPoints: opts.maxPoints ?? 1000,
    extremes: opts.extremes ?? 6,
  };
  const parts: ReportParts = manifest.kind === "train"
    ? await trainReport(runDir, manifest, views)
    : manifest.kind === "student"
    ? await studentReport(runDir, manifest, views)
    : await distillReport(runDir, manifest);
  const path = opts.path ?? join(runDir, "report.html");
  await writeHtml(path, toHtml(parts.figures, parts.title, parts.html));
  return path;
}
