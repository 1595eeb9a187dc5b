/**
 * The teacher a distilled student came from, as the student's report compares them: the
 * teacher's test scores on the student's test set, read from what was written, never computed
 * again. They come from the teacher's run folder (`shipped:NAME`, or the folder its `run.json`
 * names) when its `scores.csv` is there, else from the distillation's `teacher.json` when the
 * student is a job folder of it (`OUT/jobs/<job>/`). Scores of another test set (other labels) are
 * refused, so that the two curves always describe the same images.
 *
 * @module
 */

import { basename, dirname, join } from "@std/path";
import { rocAuc, rocCurve } from "../metrics/mod.ts";
import { readScoresCsv, type ScoreRows } from "../score/csv.ts";
import type { Figure, NamedRocCurve } from "../viz/figures.ts";
import { scoreAgreement } from "../viz/analysis.ts";
import { SHIPPED_PREFIX, shippedRunDir } from "../ship/shipped.ts";
import { exists } from "../util/atomic.ts";
import { readTeacherFile, type Roc } from "./_files.ts";

/** The teacher's results on the student's test set. */
export interface TeacherScores {
  /** Its name in legends: `teacher mnist-2`, `teacher (width 64)`. */
  name: string;
  /** The file its scores were read from. */
  from: string;
  auc: number;
  roc: Roc;
  /** Its score of every test image, in the student's test-set order, when the file keeps them. */
  scores?: number[];
}

/**
 * The test scores of `teacher` (as the student's `run.json` records it) on the test set of
 * `student` (the student's `scores.csv` rows), or the reason there are none here, for a note.
 * `runDir` is the student's folder.
 */
export async function teacherScores(
  runDir: string,
  teacher: string | undefined,
  student: ScoreRows,
): Promise<TeacherScores | { missing: string }> {
  const refused: string[] = [];
  const runFolder = teacher === undefined ? undefined : await teacherRunDir(teacher);
  const csv = runFolder && join(runFolder, "scores.csv");
  if (csv && await exists(csv)) {
    const rows = await readScoresCsv(csv);
    const other = sameTestSet(rows.scores.length, rows.labels, student);
    if (other) refused.push(`${csv} ${other}`);
    else {
      const name = teacher!.startsWith(SHIPPED_PREFIX)
        ? `teacher ${teacher!.slice(SHIPPED_PREFIX.length)}`
        : basename(runFolder) === "teacher"
        ? "teacher"
        : `teacher ${basename(runFolder)}`;
      return { name, from: csv, ...curve(rows.scores, rows.labels), scores: rows.scores };
    }
  }
  // A job folder of a distillation: the teacher the distillation recorded.
  const jobs = dirname(runDir);
  const json = join(dirname(jobs), "teacher.json");
  if (basename(jobs) === "jobs" && await exists(json)) {
    const file = (await readTeacherFile(json))!;
    const name = `teacher (width ${file.width})`;
    const { scores, labels } = file;
    if (scores && labels && scores.length === labels.length) {
      const other = sameTestSet(scores.length, labels, student);
      if (!other) return { name, from: json, ...curve(scores, labels), scores };
      refused.push(`${json} ${other}`);
    } else if (file.roc) {
      // Files before the scores were kept: the curve and AUC as written, on the same split.
      return { name, from: json, auc: file.auc, roc: file.roc };
    }
  }
  return {
    missing: refused.length > 0
      ? `the teacher's scores are of another test set: ${refused.join("; ")}`
      : `no test scores of the teacher ${teacher ?? "(run.json names none)"} here` +
        (runFolder ? ` (no ${join(runFolder, "scores.csv")})` : ""),
  };
}

/** The folder of the teacher's run: a shipped model's, or the folder as recorded if it is here. */
async function teacherRunDir(teacher: string): Promise<string | undefined> {
  if (teacher.startsWith(SHIPPED_PREFIX)) {
    return await shippedRunDir(teacher).catch(() => undefined);
  }
  return await exists(teacher) ? teacher : undefined;
}

/** Why scores of `count` images labelled `labels` are not of the student's test set, if they are not. */
function sameTestSet(count: number, labels: number[], student: ScoreRows): string | undefined {
  if (count !== student.scores.length) {
    return `holds ${count} test scores, the student's scores.csv ${student.scores.length}`;
  }
  const i = labels.findIndex((label, i) => label !== student.labels[i]);
  return i >= 0 ? `labels test image ${i} otherwise than the student's scores.csv` : undefined;
}

function curve(scores: number[], labels: number[]): { auc: number; roc: Roc } {
  const { fpr, tpr } = rocCurve(scores, labels);
  return { auc: rocAuc(scores, labels), roc: { fpr, tpr } };
}

/** What the comparison with the teacher adds to a student's report. */
export interface TeacherViews {
  /** The teacher's test AUC, when its scores are at hand. */
  auc?: number;
  /** The teacher's ROC curve, for the student's ROC figure. */
  otherRocs: NamedRocCurve[];
  /** The student's scores against the teacher's, image by image. */
  figures: Figure[];
  notes: string[];
}

/**
 * The teacher beside the student named `name` in legends: its ROC curve and AUC and, where its
 * per-image scores are kept, the student's scores against them; what is missing becomes a note.
 */
export async function teacherViews(
  runDir: string,
  teacher: string | undefined,
  student: ScoreRows,
  name: string,
): Promise<TeacherViews> {
  const found = await teacherScores(runDir, teacher, student)
    .catch((error: Error) => ({ missing: error.message }));
  if ("missing" in found) {
    return { otherRocs: [], figures: [], notes: [`the teacher's ROC skipped: ${found.missing}`] };
  }
  const views: TeacherViews = {
    auc: found.auc,
    otherRocs: [{ name: found.name, ...found.roc, auc: found.auc }],
    figures: [],
    notes: [],
  };
  if (found.scores) {
    try {
      views.figures.push(scoreAgreement({
        x: found.scores,
        y: student.scores,
        isAnomaly: student.labels,
        xName: found.name,
        yName: name,
        log: [...found.scores, ...student.scores].every((v) => v > 0),
      }));
    } catch (error) {
      views.notes.push(
        `the student's scores against the teacher's skipped: ${(error as Error).message}`,
      );
    }
  }
  return views;
}
