/**
 * The report of a training run: manifest, metrics, calibration and per-epoch tables; training
 * curves, ROC and score histogram; optionally latent views and reconstructions. Everything but
 * those views is drawn from what the run wrote (`run.json`'s history, steps, metrics and
 * calibration; `scores.csv`'s scores, labels and classes): no data is loaded and no model run.
 *
 * @module
 */

import type { Figure } from "../viz/figures.ts";
import { lossPanels, type LossRecord } from "../viz/analysis.ts";
import { htmlTable } from "../viz/html.ts";
import type { EpochRecord, StepRecord, TrainManifest } from "./_files.ts";
import { type ModelViewOptions, modelViews } from "./_model_views.ts";
import {
  className,
  dataTable,
  keyValueTable,
  manifestDetails,
  notesList,
  section,
} from "./_sections.ts";
import { readRunScores, testScoreViews } from "./_test_scores.ts";

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

  const rows = await readRunScores(runDir);
  const scored = testScoreViews(rows, { name: modelName, data, threshold });
  figures.push(...scored.figures);
  notes.push(...scored.notes);

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
    data ? section("Data", dataTable(data)) : "",
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
