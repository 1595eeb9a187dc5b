/**
 * The test-score part of a run's report, drawn from its `scores.csv` alone (each test image's
 * score, label and class) and the threshold calibrated on the validation normals: the test
 * metrics at that threshold, the ROC and precision-recall curves, the score histogram with the
 * threshold, the scores by class and the AUC of the normal class against each other class. One
 * implementation for the reports of training runs and of distilled students; nothing is loaded or
 * run again.
 *
 * @module
 */

import { join } from "@std/path";
import { averagePrecision, f1AtThreshold, rocAuc, rocCurve } from "../metrics/mod.ts";
import { exists } from "../util/atomic.ts";
import { type Figure, type NamedRocCurve, rocFigure, scoreHistogram } from "../viz/figures.ts";
import {
  aucPerAnomalousClass,
  classAucBars,
  precisionRecallFigure,
  scoresByClass,
} from "../viz/analysis.ts";
import { readScoresCsv, type ScoreRows } from "../score/csv.ts";
import type { DataSummary } from "./_files.ts";

/** What {@link testScoreViews} draws with. */
export interface TestScoresInput {
  /** The model's name in the legends (`EDE-GAN`, `P-KDGAN student w3`). */
  name: string;
  /** The data the run was tested on (class names for the per-class views). */
  data?: DataSummary;
  /** The decision threshold (the calibration's), drawn on the histogram and the class view. */
  threshold?: number;
  /** More ROC curves on the same test set, drawn after the run's own (its teacher's). */
  otherRocs?: NamedRocCurve[];
}

/** The test-score part of a report: the figures, and what was skipped. */
export interface TestScoreViews {
  figures: Figure[];
  notes: string[];
}

/**
 * The test metrics of a run computed from its scores, as `deno task train` records them in
 * `run.json`: ROC AUC, average precision, and F1, precision and recall when every score at or
 * above `threshold` is called anomalous.
 *
 * @throws {RangeError} when `rows` has no labels or only one class (no AUC is defined).
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { testMetrics } from "./_test_scores.ts";
 * const rows = { items: ["a", "b", "c"], scores: [0.1, 0.7, 0.9], classes: [2, 3, 5],
 *   labels: [0, 1, 1], decisions: [] };
 * assertEquals(testMetrics(rows, 0.8),
 *   { auc: 1, averagePrecision: 1, f1: 2 / 3, precision: 1, recall: 0.5, threshold: 0.8 });
 * ```
 */
export function testMetrics(
  rows: ScoreRows,
  threshold: number | undefined,
): Record<string, number> {
  if (rows.labels.length === 0) throw new RangeError("scores.csv has no labels");
  const metrics: Record<string, number> = {
    auc: rocAuc(rows.scores, rows.labels),
    averagePrecision: averagePrecision(rows.scores, rows.labels),
  };
  if (threshold === undefined) return metrics;
  const { f1, precision, recall } = f1AtThreshold(rows.scores, rows.labels, threshold);
  return { ...metrics, f1, precision, recall, threshold };
}

/**
 * The rows of `scores.csv` of `runDir`; undefined when the run has none (not finished).
 *
 * @throws {Error} naming the file and line when `scores.csv` exists but cannot be read.
 */
export async function readRunScores(runDir: string): Promise<ScoreRows | undefined> {
  const path = join(runDir, "scores.csv");
  return await exists(path) ? await readScoresCsv(path) : undefined;
}

/**
 * The figures of a run's test scores `rows` (its `scores.csv`): ROC (the run's curve, then
 * `otherRocs`), precision-recall, the histogram with the threshold, scores by class and AUC per
 * class. Never throws on what the file lacks: no file (`rows` undefined), no labels or no classes
 * become notes.
 */
export function testScoreViews(
  rows: ScoreRows | undefined,
  input: TestScoresInput,
): TestScoreViews {
  const { name, data, threshold } = input;
  const notes: string[] = [];
  const figures: Figure[] = [];
  if (!rows) {
    notes.push("ROC and score histogram skipped: no scores.csv (the run has not finished)");
    return { figures, notes };
  }
  if (rows.labels.length > 0) {
    try {
      const roc = rocCurve(rows.scores, rows.labels);
      const auc = rocAuc(rows.scores, rows.labels);
      figures.push(
        rocFigure([{ name, fpr: roc.fpr, tpr: roc.tpr, auc }, ...(input.otherRocs ?? [])], {
          title: `ROC on the test set (${rows.scores.length} images)`,
        }),
      );
      figures.push(precisionRecallFigure([{ name, scores: rows.scores, labels: rows.labels }]));
    } catch (error) {
      notes.push(`ROC skipped: ${(error as Error).message}`);
    }
  } else {
    notes.push("ROC skipped: scores.csv has no labels");
  }
  figures.push(
    scoreHistogram(
      rows.scores,
      rows.labels.length > 0 ? rows.labels : rows.scores.map(() => 0),
      threshold,
      { title: "Test scores with the calibrated threshold" },
    ),
  );
  const classes = rows.classes;
  if (
    rows.labels.length > 0 && classes.length > 0 && Array.from(classes).every(Number.isFinite)
  ) {
    // Class names where the data has them (Fashion-MNIST's "2 Pullover"), else the indices.
    const named = data?.classNames?.some((n, c) => n !== String(c)) ? data.classNames : undefined;
    figures.push(scoresByClass({
      scores: rows.scores,
      classes,
      ...(named ? { classNames: named } : {}),
      isAnomaly: rows.labels,
      threshold,
      logScores: Array.from(rows.scores).every((s) => s > 0),
    }));
    try {
      figures.push(classAucBars(
        [{ name, auc: aucPerAnomalousClass(rows.scores, classes, rows.labels) }],
        {
          title: "AUC of the normal class against each other class alone",
          xTitle: "class",
          ...(named ? { labels: named.map((n, c) => `${c} ${n}`) } : {}),
        },
      ));
    } catch (error) {
      notes.push(`AUC per class skipped: ${(error as Error).message}`);
    }
  } else {
    notes.push("scores and AUC per class skipped: scores.csv has no classes");
  }
  return { figures, notes };
}
