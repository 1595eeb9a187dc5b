/**
 * The report of a training run: manifest, metrics, calibration and per-epoch tables; training
 * curves, ROC and score histogram; optionally latent views and reconstructions.
 *
 * @module
 */

import { join } from "@std/path";
import { rocAuc, rocCurve } from "../metrics/mod.ts";
import { exists } from "../util/atomic.ts";
import {
  type Figure,
  rocFigure,
  scoreHistogram,
  trainingCurves,
  type TrainingRecord,
} from "../viz/figures.ts";
import { htmlTable } from "../viz/html.ts";
import type { RunManifest } from "./_files.ts";
import { readScoresCsv, type ScoreRows } from "../score/csv.ts";
import { type ModelViewOptions, modelViews } from "./_model_views.ts";
import { field, keyValueTable, manifestDetails, notesList, num, section } from "./_sections.ts";

/** A report's parts, for `toHtml`. */
export interface ReportParts {
  title: string;
  html: string;
  figures: Figure[];
}

/** Options of the training report. */
export interface TrainReportOptions extends ModelViewOptions {
  /** Reload the model and data for latent views and reconstructions (default true). */
  modelViews: boolean;
}

/** Composes the report of the train run in `runDir` whose manifest is `manifest`. */
export async function trainReport(
  runDir: string,
  manifest: RunManifest,
  opts: TrainReportOptions,
): Promise<ReportParts> {
  const notes: string[] = [];
  const figures: Figure[] = [];
  const data = field(manifest, "data") as Record<string, unknown> | undefined;
  const title = `EDE-GAN training run: ${data?.dataset ?? "?"}, ` +
    `${data?.protocol === "leave-one-out" ? "anomalous" : "normal"} class ${className(data)} (${
      manifest.status ?? "unknown status"
    })`;

  const history = arrayOf(field(manifest, "history"));
  const steps = arrayOf(field(manifest, "steps"));
  if (history.length > 0 || steps.length > 0) {
    figures.push(trainingCurves(curveRecords(history, steps), { title: "Training curves" }));
  } else {
    notes.push("training curves skipped: run.json has no history yet");
  }

  let rows: ScoreRows | undefined;
  const scoresPath = join(runDir, "scores.csv");
  if (await exists(scoresPath)) {
    rows = await readScoresCsv(scoresPath);
    const threshold = num(field(manifest, "calibration", "threshold")) ??
      num(field(manifest, "metrics", "threshold"));
    if (rows.labels.length > 0) {
      try {
        const roc = rocCurve(rows.scores, rows.labels);
        const auc = rocAuc(rows.scores, rows.labels);
        figures.push(rocFigure([{ name: "EDE-GAN", fpr: roc.fpr, tpr: roc.tpr, auc }], {
          title: `ROC on the test set (${rows.scores.length} images)`,
        }));
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
  } else {
    notes.push("ROC and score histogram skipped: no scores.csv (the run has not finished)");
  }

  if (rows && opts.modelViews) {
    const views = await modelViews(runDir, manifest, rows, opts);
    figures.push(...views.figures);
    notes.push(...views.notes);
  }

  const html = [
    section("Run", summaryTable(manifest)),
    notesList(notes),
    field(manifest, "metrics")
      ? section("Test metrics (last epoch)", htmlTable([field(manifest, "metrics") as never]))
      : "",
    field(manifest, "calibration")
      ? section(
        "Calibration on validation normals",
        htmlTable([field(manifest, "calibration") as never]),
      )
      : "",
    history.length > 0
      ? section("Epochs", htmlTable(history as Record<string, unknown>[], EPOCH_COLUMNS))
      : "",
    data ? section("Data", htmlTable([dataRow(data)])) : "",
    section("Manifest", manifestDetails(manifest as Record<string, unknown>, ["steps"])),
  ].filter((s) => s !== "").join("\n");
  return { title, html, figures };
}

const EPOCH_COLUMNS = [
  "epoch",
  "lossG",
  "lossD",
  "adversarial",
  "contextual",
  "latent",
  "auc",
  "seconds",
  "imagesPerSecond",
];

/**
 * Step records carry only lossG and lossD; each epoch's test AUC is put on the last step of that
 * epoch. Without a step record for every epoch, the per-epoch records are drawn instead.
 */
function curveRecords(
  history: Record<string, unknown>[],
  steps: Record<string, unknown>[],
): TrainingRecord[] {
  const epochs: TrainingRecord[] = history.map((h) => ({
    epoch: num(h.epoch) ?? NaN,
    lossG: num(h.lossG) ?? NaN,
    lossD: num(h.lossD) ?? NaN,
    lossAdv: num(h.adversarial),
    lossCon: num(h.contextual),
    lossLat: num(h.latent),
    auc: num(h.auc),
  }));
  const byStep: TrainingRecord[] = steps.map((s) => ({
    step: num(s.step) ?? NaN,
    epoch: num(s.epoch) ?? NaN,
    lossG: num(s.lossG) ?? NaN,
    lossD: num(s.lossD) ?? NaN,
  }));
  if (byStep.length === 0) return epochs;
  for (const e of epochs) {
    if (e.auc === undefined) continue;
    const last = byStep.findLast((s) => s.epoch === e.epoch);
    if (!last) return epochs;
    last.auc = e.auc;
  }
  return byStep;
}

function summaryTable(manifest: RunManifest): string {
  const backend = field(manifest, "backend") as Record<string, unknown> | null | undefined;
  const config = field(manifest, "config") as Record<string, unknown> | undefined;
  return keyValueTable({
    kind: manifest.kind,
    status: manifest.status,
    error: field(manifest, "error"),
    written: field(manifest, "written"),
    "seconds": num(field(manifest, "seconds")),
    backend: backend ? `${backend.name}${backend.device ? ` (${backend.device})` : ""}` : undefined,
    epochs: field(manifest, "training", "epochs"),
    "batch size": field(manifest, "training", "batchSize"),
    seed: field(manifest, "training", "seed"),
    width: config?.width,
    "latent size": config?.latentSize,
    "latent constraint": config?.latent,
    "image size": config ? `${config.imageSize}x${config.imageSize}x${config.channels}` : undefined,
    "score distance": config?.scoreDistance,
    edegan: field(manifest, "versions", "edegan"),
  });
}

function dataRow(data: Record<string, unknown>): Record<string, unknown> {
  const counts = (data.counts ?? {}) as Record<string, unknown>;
  return {
    dataset: data.dataset,
    source: data.source,
    protocol: data.protocol,
    class: className(data),
    "split seed": data.splitSeed,
    train: counts.train,
    val: counts.val,
    test: counts.test,
    "test anomalous": counts.testAnomalous,
    limit: data.limit,
    "test limit": data.testLimit,
  };
}

function className(data: Record<string, unknown> | undefined): string {
  const c = data?.normalClass;
  const names = data?.classNames;
  const name = Array.isArray(names) && typeof c === "number" ? names[c] : undefined;
  return name !== undefined && name !== String(c) ? `${c} (${name})` : String(c ?? "?");
}

function arrayOf(value: unknown): Record<string, unknown>[] {
  return Array.isArray(value) ? value.filter((v) => typeof v === "object" && v !== null) : [];
}
