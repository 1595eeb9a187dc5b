/**
 * `deno task train`: trains an EDE-GAN on one class, evaluates it on the test set after each
 * epoch, and writes the run (model, `run.json`, `scores.csv`, `report.html`) to `--out`.
 *
 * @module
 */

import { formatTable, parseFlags, runTask } from "../lib/cli/flags.ts";
import { preset, presetFromArgs } from "../lib/cli/presets.ts";
import type { BackendChoice } from "../lib/backend/select.ts";
import { startBackend, trainOptionsFromFlags } from "../lib/cli/run_flags.ts";
import { trainRun } from "../lib/train/run.ts";
import { terminalProgress } from "../lib/util/progress.ts";
import { writeRunReport } from "../lib/report/run_report.ts";

await runTask(async () => {
  const presetName = presetFromArgs(Deno.args);
  const p = preset(presetName);
  const flags = parseFlags("train", Deno.args, {
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
    preset: presetName,
    report: true,
    ema: undefined,
  }, "Train an EDE-GAN on one class (one-class protocol: that class is normal).");
  if (flags === null) return;
  const out = (flags.out as string | undefined) ??
    `runs/train-${flags.dataset}-${flags.normal}-w${flags.width}-s${flags.seed}`;
  const backend = await startBackend(
    flags.backend as BackendChoice,
    flags.threads as number | undefined,
  );
  const result = await trainRun({
    ...trainOptionsFromFlags(flags),
    out,
    resume: flags.resume as boolean,
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
  if (flags["batch-size"] === 1) {
    // results/README.md: a batch-1 net scored with its own per-image statistics can differ by
    // ten points or more from the moving averages these figures use.
    console.log(
      "note: these figures use the BatchNorm moving averages; a batch-1 net normalises each image " +
        `by itself in training: \`deno task score --model ${out}\` (--bn-stats auto) or ` +
        `\`deno task study score --model ${out}\` scores it with statistics chosen on validation`,
    );
  }
  if (flags.report) console.log(`report: ${await writeRunReport(out)}`);
  console.log(`run written to ${out}`);
  result.model.dispose();
});
