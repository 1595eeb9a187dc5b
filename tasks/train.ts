/**
 * `deno task train`: trains an EDE-GAN on one class, evaluates it on the test set after each
 * epoch, and writes the run (model, `run.json`, `scores.csv`, `report.html`) to `--out`.
 *
 * @module
 */

import { formatTable, parseFlags, runTask } from "../lib/cli/flags.ts";
import { preset, presetFromArgs } from "../lib/run/presets.ts";
import type { BackendChoice } from "../lib/backend/select.ts";
import { startBackend, trainOptionsFromFlags } from "../lib/cli/run_flags.ts";
import { trainRun } from "../lib/train/run.ts";
import { checkFinalBatchNorm, defaultFinalBatchNorm } from "../lib/score/final_batch_norm.ts";
import { terminalProgress } from "../lib/util/progress.ts";
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
      width: p.width,
      latent: "tanh",
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
    "Train an EDE-GAN on one class (one-class protocol: that class is normal).\n" +
      "--bn-stats: how the final metrics normalise (default auto at --batch-size 1, moving above);\n" +
      "`deno task score` scores the run with the same statistics unless given --bn-stats.",
  );
  if (flags === null) return;
  const out = (flags.out as string | undefined) ??
    `runs/train-${flags.dataset}-${flags.normal}-w${flags.width}-s${flags.seed}`;
  const bnStats = flags["bn-stats"] === undefined
    ? defaultFinalBatchNorm(flags["batch-size"] as number)
    : checkFinalBatchNorm(flags["bn-stats"] as string);
  const backend = await startBackend(
    flags.backend as BackendChoice,
    flags.threads as number | undefined,
  );
  const result = await trainRun({
    ...trainOptionsFromFlags(flags),
    bnStats,
    out,
    resume: flags.resume as boolean,
    restart: flags.restart as boolean,
    backend,
    progress: terminalProgress("train"),
  });
  console.log(
    formatTable(result.history.map((h) => ({
      epoch: h.epoch,
      lossG: h.lossG,
      lossD: h.lossD,
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
      Object.entries(scoring.choice?.validationObjective ?? {})
        .map(([mode, v]) => `${mode} ${v.toFixed(4)}`).join(", ")
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
