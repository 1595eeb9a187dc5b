/**
 * `deno task train`: trains an EDE-GAN on one class, evaluates it on the test set after each
 * epoch, and writes the run (model, `run.json`, `scores.csv`, `report.html`) to `--out`.
 *
 * @module
 */

import { formatTable, parseFlags, runTask } from "../lib/cli/flags.ts";
import { preset, presetFromArgs } from "../lib/cli/presets.ts";
import { type BackendChoice, selectBackend } from "../lib/backend/select.ts";
import { trainRun } from "../lib/train/run.ts";
import { terminalProgress } from "../lib/util/progress.ts";
import type { DatasetName, Protocol } from "../lib/data/types.ts";
import type { LatentConstraint } from "../lib/models/config.ts";
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
    out: undefined,
    resume: false,
    preset: presetName,
    report: true,
  }, "Train an EDE-GAN on one class (one-class protocol: that class is normal).");
  if (flags === null) return;
  const out = (flags.out as string | undefined) ??
    `runs/train-${flags.dataset}-${flags.normal}-w${flags.width}-s${flags.seed}`;
  const backend = await selectBackend(flags.backend as BackendChoice);
  console.log(`backend: ${backend.backend} (${backend.device})`);
  for (const line of backend.skipped) console.log(`  skipped ${line}`);
  const result = await trainRun({
    dataset: flags.dataset as DatasetName,
    dataDir: flags["data-dir"] as string | undefined,
    normal: flags.normal as number,
    protocol: flags.protocol as Protocol,
    epochs: flags.epochs as number,
    batchSize: flags["batch-size"] as number,
    seed: flags.seed as number,
    model: { width: flags.width as number, latent: flags.latent as LatentConstraint },
    limit: flags.limit as number | undefined,
    testLimit: flags["test-limit"] as number | undefined,
    out,
    resume: flags.resume as boolean,
    backend: { name: backend.backend, device: backend.device, skipped: backend.skipped },
    progress: terminalProgress("train"),
  });
  console.log(
    formatTable(result.history.map((h) => ({
      epoch: h.epoch,
      lossG: h.lossG,
      lossD: h.lossD,
      "test AUC": h.auc,
      "img/s": Number(h.imagesPerSecond.toFixed(1)),
    }))),
  );
  console.log(formatTable([{ ...result.metrics, seconds: Number(result.seconds.toFixed(1)) }]));
  if (flags.report) console.log(`report: ${await writeRunReport(out)}`);
  console.log(`run written to ${out}`);
  result.model.dispose();
});
