/**
 * The report of a training run: manifest, metrics, calibration and per-epoch tables; training
 * curves, ROC and score histogram; optionally latent views and reconstructions. Everything but
 * those views is drawn from what the run wrote (`run.json`'s history, steps, metrics and
 * calibration; `scores.csv`'s scores, labels and classes): no data is loaded and no model run.
 *
 * @module
 */

import { join } from "@std/path";
import { rocAuc, rocCurve } from "../metrics/mod.ts";
import { exists } from "../util/atomic.ts";
import { type Figure, rocFigure, scoreHistogram } from "../viz/figures.ts";
import {
  aucPerAnomalousClass,
  classAucBars,
  lossPanels,
  type LossRecord,
  precisionRecallFigure,
  scoresByClass,
} from "../viz/analysis.ts";
import { htmlTable } from "../viz/html.ts";
import type { DataSummary, EpochRecord, StepRecord, TrainManifest } from "./_files.ts";
import { readScoresCsv, type ScoreRows } from "../score/csv.ts";
import { type ModelViewOptions, modelViews } from "./_model_views.ts";
import { keyValueTable, manifestDetails, notesList, section } from "./_sections.ts";

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
  manifest: TrainManifest,
  opts: TrainReportOptions,
): Promise<ReportParts> {
  const notes: string[] = [];
  const figures: Figure[] = [];
  const data = manifest.data;
  // The model the run trained, by the name run.json records (runs before names: EDE-GAN).
  const recorded = manifest.raw.model;
  const modelName = typeof recorded === "string" && recorded !== "ede-gan" ? recorded : "EDE-GAN";
  const title = `${modelName} training run: ${data?.dataset ?? "?"}, ` +
    `${data?.protocol === "leave-one-out" ? "anomalous" : "normal"} class ${className(data)} (${
      manifest.status ?? "unknown status"
    })`;

  const { history, steps, threshold } = manifest;
  if (manifest.status === "interrupted") {
    notes.push(
      "the run was interrupted (its run.json says running, but no process holds its run.lock): " +
        "what its last checkpoint holds is complete; --resume continues it",
    );
  }
  if (manifest.historyFrom) {
    notes.push(
      `training curves of the ${history.length} checkpointed epoch(s) from ` +
        `${manifest.historyFrom} (run.json gets the history when the run finishes)`,
    );
  }
  if (history.length > 0 || steps.length > 0) {
    figures.push(lossPanels(lossRecords(history, steps), { title: "Losses" }));
  } else {
    notes.push("training curves skipped: neither run.json nor a checkpoint has a history yet");
  }

  let rows: ScoreRows | undefined;
  const scoresPath = join(runDir, "scores.csv");
  if (await exists(scoresPath)) {
    rows = await readScoresCsv(scoresPath);
    if (rows.labels.length > 0) {
      try {
        const roc = rocCurve(rows.scores, rows.labels);
        const auc = rocAuc(rows.scores, rows.labels);
        figures.push(rocFigure([{ name: modelName, fpr: roc.fpr, tpr: roc.tpr, auc }], {
          title: `ROC on the test set (${rows.scores.length} images)`,
        }));
        figures.push(precisionRecallFigure([{
          name: modelName,
          scores: rows.scores,
          labels: rows.labels,
        }]));
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
      const named = data?.classNames?.some((name, c) => name !== String(c))
        ? data.classNames
        : undefined;
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
          [{ name: modelName, auc: aucPerAnomalousClass(rows.scores, classes, rows.labels) }],
          {
            title: "AUC of the normal class against each other class alone",
            xTitle: "class",
            ...(named ? { labels: named.map((name, c) => `${c} ${name}`) } : {}),
          },
        ));
      } catch (error) {
        notes.push(`AUC per class skipped: ${(error as Error).message}`);
      }
    } else {
      notes.push("scores and AUC per class skipped: scores.csv has no classes");
    }
  } else {
    notes.push("ROC and score histogram skipped: no scores.csv (the run has not finished)");
  }

  if (rows && opts.modelViews) {
    const views = await modelViews(runDir, manifest, rows, opts);
    figures.push(...views.figures);
    notes.push(...views.notes);
  }

  const scoring = manifest.scoring;
  if (scoring?.bnStats && scoring.bnStats !== "moving") {
    notes.push(
      `test metrics, threshold and scores use BatchNorm ${scoring.bnStats} statistics (` +
        (scoring.asked === "auto"
          ? "chosen on the validation normals"
          : `--bn-stats ${scoring.asked}`) +
        `); the epoch curve uses the moving averages` +
        (scoring.movingAuc !== undefined
          ? `, test AUC ${scoring.movingAuc.toFixed(4)} at the last epoch`
          : ""),
    );
  }
  const html = [
    section("Run", summaryTable(manifest)),
    notesList(notes),
    manifest.metrics ? section("Test metrics (last epoch)", htmlTable([manifest.metrics])) : "",
    manifest.calibration
      ? section("Calibration on validation normals", htmlTable([manifest.calibration]))
      : "",
    history.length > 0
      ? section(
        "Epochs",
        htmlTable(
          history,
          // Another model's history lacks EDE-GAN's losses: only the columns it has.
          modelName === "EDE-GAN"
            ? EPOCH_COLUMNS
            : EPOCH_COLUMNS.filter((c) => history.some((h) => h[c] !== undefined)),
        ),
      )
      : "",
    data ? section("Data", htmlTable([dataRow(data)])) : "",
    section("Manifest", manifestDetails(manifest.raw, ["steps"])),
  ].filter((s) => s !== "").join("\n");
  return { title, html, figures };
}

const EPOCH_COLUMNS: (keyof EpochRecord)[] = [
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
 * Loss records for `lossPanels` per epoch: the generator's three terms, the discriminator's loss
 * and the test AUC (an epoch without an AUC, not evaluated, has none drawn, never a 0).
 */
export function epochLossRecords(history: EpochRecord[]): LossRecord[] {
  return history.map((h) => ({
    epoch: h.epoch,
    adversarial: h.adversarial,
    contextual: h.contextual,
    latent: h.latent,
    lossD: h.lossD,
    auc: h.auc,
  }));
}

/**
 * Loss records for `lossPanels`: the discriminator's loss from the step records (averages over a
 * few steps), the generator's three terms and the test AUC from the epoch records, placed at the
 * last step of their epoch. Without a step record in every epoch, everything is drawn per epoch.
 */
function lossRecords(history: EpochRecord[], steps: StepRecord[]): LossRecord[] {
  const epochs = epochLossRecords(history);
  const lastStep = (epoch: number) => steps.findLast((s) => s.epoch === epoch)?.step;
  if (steps.length === 0 || epochs.some((e) => lastStep(e.epoch) === undefined)) return epochs;
  const byStep = steps.map((s) => ({ step: s.step, epoch: s.epoch, lossD: s.lossD }));
  return [...byStep, ...epochs.map((e) => ({ ...e, lossD: undefined, step: lastStep(e.epoch) }))];
}

function summaryTable(manifest: TrainManifest): string {
  const { backend, config, training } = manifest;
  return keyValueTable({
    kind: manifest.kind,
    status: manifest.status,
    error: manifest.error,
    written: manifest.written,
    "seconds": manifest.seconds,
    backend: backend ? `${backend.name}${backend.device ? ` (${backend.device})` : ""}` : undefined,
    epochs: training?.epochs,
    "batch size": training?.batchSize,
    seed: training?.seed,
    width: config?.width,
    "latent size": config?.latentSize,
    "latent constraint": config?.latent,
    "image size": config ? `${config.imageSize}x${config.imageSize}x${config.channels}` : undefined,
    "score distance": config?.scoreDistance,
    edegan: manifest.edeganVersion,
  });
}

function dataRow(data: DataSummary): Record<string, unknown> {
  const counts = data.counts ?? {};
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

function className(data: DataSummary | undefined): string {
  const c = data?.normalClass;
  const name = c !== undefined ? data?.classNames?.[c] : undefined;
  return name !== undefined && name !== String(c) ? `${c} (${name})` : String(c ?? "?");
}
