/**
 * `deno task train`: trains a model (`--model-kind`, default EDE-GAN) on one class, evaluates it
 * on the test set after each epoch, and writes the run (model, `run.json`, `scores.csv`,
 * `report.html`) to `--out`.
 *
 * @module
 */

import { formatTable, runTask } from "../lib/cli/flags.ts";
import type { BackendChoice } from "../lib/backend/select.ts";
import { startBackend } from "../lib/cli/run_flags.ts";
import { parseTrainCommand } from "../lib/cli/train_flags.ts";
import { trainRun } from "../lib/train/run.ts";
import { namingFlags } from "../lib/data/options.ts";
import { terminalProgress } from "../lib/util/progress.ts";
import { DEFAULT_MODEL } from "../lib/models/registry.ts";
import { writeRunReport } from "../lib/report/run_report.ts";

await runTask(async () => {
  const command = parseTrainCommand(Deno.args);
  if (command === null) return;
  const { flags, modelKind, out, options } = command;
  const backend = await startBackend(
    flags.backend as BackendChoice,
    flags.threads as number | undefined,
  );
  const result = await trainRun({
    ...options,
    backend,
    progress: terminalProgress("train"),
  }).catch((error: Error) => {
    // The data options' errors name the flags typed (`--normal`, not `normal`).
    throw namingFlags(error);
  });
  const losses = Object.keys(result.model.curveLosses);
  console.log(
    formatTable(result.history.map((h) => ({
      epoch: h.epoch,
      ...Object.fromEntries(losses.map((name) => [name, (h as Record<string, unknown>)[name]])),
      "test AUC": h.auc,
      ...(h.liveAuc !== undefined ? { "live AUC (no --ema)": h.liveAuc } : {}),
      "img/s": Number(h.imagesPerSecond.toFixed(1)),
    }))),
  );
  console.log(formatTable([{ ...result.metrics, seconds: Number(result.seconds.toFixed(1)) }]));
  const { scoring } = result;
  // results/README.md: a batch-1 net scored with its own per-image statistics can differ by ten
  // points or more from the moving averages; both are printed so that neither surprises.
  const reason = scoring.asked === "auto"
    ? "--bn-stats auto: lowest generator objective on the validation normals, " +
      Object.entries(
        (scoring.choice as { validationObjective?: Record<string, number> } | undefined)
          ?.validationObjective ?? {},
      ).map(([mode, v]) => `${mode} ${v.toFixed(4)}`).join(", ")
    : flags["bn-stats"] === undefined && modelKind !== DEFAULT_MODEL
    ? `a '${modelKind}' model's only statistics`
    : flags["bn-stats"] === undefined
    ? `the default at --batch-size ${flags["batch-size"]}`
    : `--bn-stats ${scoring.asked}`;
  console.log(
    `BatchNorm at scoring: ${scoring.bnStats} (${reason}); test AUC ` +
      `${result.metrics.auc.toFixed(4)} with them` +
      (scoring.other
        ? `, ${scoring.other.auc.toFixed(4)} with ${scoring.other.bnStats} statistics` +
          (scoring.other.bnStats === "moving" ? " (the epoch table's)" : "")
        : "") +
      `. \`deno task score --model ${out}\` scores with the same statistics`,
  );
  if (flags.report) console.log(`report: ${await writeRunReport(out)}`);
  console.log(`run written to ${out}`);
  result.model.dispose();
});
