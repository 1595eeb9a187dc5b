/**
 * `deno task train`: trains a model (`--model-kind`, default EDE-GAN) on one class, evaluates it
 * on the test set after each epoch, and writes the run (model, `run.json`, `scores.csv`,
 * `report.html`) to `--out`.
 *
 * @module
 */

import { formatTable, parseFlags, runTask } from "../lib/cli/flags.ts";
import { preset, presetFromArgs } from "../lib/run/presets.ts";
import type { BackendChoice } from "../lib/backend/select.ts";
import { startBackend, trainOptionsFromFlags } from "../lib/cli/run_flags.ts";
import { trainRun } from "../lib/train/run.ts";
import { defaultFinalBatchNorm } from "../lib/models/ede_gan/final_batch_norm.ts";
import { terminalProgress } from "../lib/util/progress.ts";
import { checkFinalScoring, checkModelKind, DEFAULT_MODEL } from "../lib/models/registry.ts";
import { writeRunReport } from "../lib/report/run_report.ts";

await runTask(async () => {
  const presetName = presetFromArgs(Deno.args);
  const p = preset(presetName);
  const flags = parseFlags(
    "train",
    Deno.args,
    {
      dataset: "mnist",
      "data-dir": undefined,
      normal: 1,
      protocol: "one-class",
      epochs: p.epochs,
      "batch-size": p.batchSize,
      seed: 0,
      "model-kind": DEFAULT_MODEL,
      width: undefined,
      latent: undefined,
      limit: p.limit,
      "test-limit": p.testLimit,
      backend: "auto",
      threads: undefined,
      out: undefined,
      resume: false,
      restart: false,
      preset: presetName,
      report: true,
      ema: p.ema ?? "off",
      "bn-stats": undefined,
    },
    "Train a model on one class (one-class protocol: that class is normal): --model-kind\n" +
      "ede-gan (default) or another registered model; --width and --preset sizes are EDE-GAN's.\n" +
      "--bn-stats: how the final metrics normalise (default auto at --batch-size 1, moving above);\n" +
      "`deno task score` scores the run with the same statistics unless given --bn-stats.",
  );
  if (flags === null) return;
  const modelKind = checkModelKind(flags["model-kind"] as string);
  // The presets' widths and latent constraint are EDE-GAN's; another model takes only the flags.
  if (modelKind === DEFAULT_MODEL) {
    flags.width ??= p.width;
    flags.latent ??= "tanh";
  }
  const out = (flags.out as string | undefined) ??
    (modelKind === DEFAULT_MODEL
      ? `runs/train-${flags.dataset}-${flags.normal}-w${flags.width}-s${flags.seed}`
      : `runs/train-${modelKind}-${flags.dataset}-${flags.normal}-s${flags.seed}`);
  const asked = flags["bn-stats"] as string | undefined;
  if (asked !== undefined) checkFinalScoring(modelKind, asked);
  // A model without BatchNorm modes of its own (not EDE-GAN) scores with its moving statistics.
  const bnStats = asked ??
    (modelKind === DEFAULT_MODEL ? defaultFinalBatchNorm(flags["batch-size"] as number) : "moving");
  const backend = await startBackend(
    flags.backend as BackendChoice,
    flags.threads as number | undefined,
  );
  const result = await trainRun({
    ...trainOptionsFromFlags(flags),
    modelKind,
    bnStats,
    out,
    resume: flags.resume as boolean,
    restart: flags.restart as boolean,
    backend,
    progress: terminalProgress("train"),
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
