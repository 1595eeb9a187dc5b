/**
 * `deno task study batch-size|latent`: the paper's two claims, measured. Trains the same class
 * under each setting and prints (and writes with `--json`) a table of test AUC and wall time.
 * `deno task study score --model RUN`: from a trained run, without retraining, the test AUC of
 * each score kind under each BatchNorm mode, thresholds calibrated on validation normals.
 *
 * @module
 */

import { join } from "@std/path";
import { formatTable, nearestName, parseFlags, runTask } from "../lib/cli/flags.ts";
import { preset, presetFromArgs } from "../lib/run/presets.ts";
import type { BackendChoice } from "../lib/backend/select.ts";
import { startBackend, trainOptionsFromFlags } from "../lib/cli/run_flags.ts";
import { runStudy, type StudyName } from "../lib/models/ede_gan/study.ts";
import { writeManifest } from "../lib/run/provenance.ts";
import { lockRunFolder } from "../lib/util/run_lock.ts";
import { prepareOutDir, prepareOutFile } from "../lib/util/out_dir.ts";
import { compareScoreKinds } from "../lib/models/ede_gan/compare_kinds.ts";
import { asEdeGan } from "../lib/models/ede_gan/mod.ts";
import {
  type BatchNormStatsFlag,
  loadScoringRun,
  resolveBatchNormStats,
} from "../lib/score/scoring_run.ts";
import { resolveModelDir } from "../lib/score/model_dir.ts";
import { derivedOutputDir } from "../lib/ship/mod.ts";

await runTask(async () => {
  if (Deno.args[0] === "score") return await studyScore(Deno.args);
  const presetName = presetFromArgs(Deno.args);
  const p = preset(presetName);
  const flags = parseFlags(
    "study",
    Deno.args,
    {
      dataset: "mnist",
      "data-dir": undefined,
      normal: 1,
      protocol: "one-class",
      epochs: 1,
      "batch-size": p.batchSize,
      seed: 0,
      width: p.width,
      latent: "tanh",
      limit: presetName === "quick" ? 512 : undefined,
      "test-limit": p.testLimit,
      backend: "auto",
      threads: undefined,
      out: undefined,
      resume: false,
      json: undefined,
      preset: presetName,
      ema: p.ema ?? "off",
    },
    "Studies: `batch-size` (batch 1, 8, 64 with equal images seen) or `latent` (tanh vs none).\n" +
      "Each setting is a run in OUT/<study>-<setting>; --resume continues a study that failed.\n" +
      "`deno task study score --model RUN` (see `deno task study score --help`): score kinds and\n" +
      "BatchNorm modes of a trained run, without retraining.",
    [],
    {
      out: "the study's folder, one run per setting in OUT/<study>-<setting> (default: " +
        "runs/study-STUDY-DATASET-NORMAL)",
    },
  );
  if (flags === null) return;
  const study = flags._[0];
  if (study !== "batch-size" && study !== "latent") {
    const near = study ? nearestName(study, ["batch-size", "latent", "score"]) : undefined;
    throw new Error(
      "study: expected 'batch-size', 'latent' or 'score' as the first argument, got " +
        `'${study ?? ""}'` + (near ? ` (did you mean ${near}?)` : ""),
    );
  }
  const out = (flags.out as string | undefined) ??
    `runs/study-${study}-${flags.dataset}-${flags.normal}`;
  await prepareOutDir(out, "--out");
  // One writer per run folder: a second process on this --out is refused, naming the first.
  await using _lock = await lockRunFolder(out, "--out");
  if (flags.json) await prepareOutFile(flags.json as string, "--json");
  const backend = await startBackend(
    flags.backend as BackendChoice,
    flags.threads as number | undefined,
  );
  const rows = await runStudy(study as StudyName, {
    ...trainOptionsFromFlags(flags),
    backend,
    out,
    resume: flags.resume as boolean,
  });
  console.log(formatTable(rows as unknown as Record<string, unknown>[]));
  const body = { kind: "study", study, flags, backend: backend.name, rows };
  await writeManifest(join(out, "study.json"), body);
  if (flags.json) await writeManifest(flags.json as string, body);
  console.log(`written to ${join(out, "study.json")}`);
});

/** `study score`: every score kind under the asked BatchNorm modes, from a trained run. */
async function studyScore(args: string[]): Promise<void> {
  const flags = parseFlags(
    "study score",
    args,
    {
      model: undefined,
      "bn-stats": "all",
      weights: "averaged",
      backend: "auto",
      threads: undefined,
      json: undefined,
    },
    "From a trained run (--model), without retraining: the test AUC of the latent distance, the\n" +
      "image reconstruction error (L1) and the discriminator-feature distance, under each\n" +
      "--bn-stats mode (all: moving, recomputed, per-image); each kind's threshold is calibrated\n" +
      "on the validation normals. Writes RUN/study-score.json (and --json); --weights live\n" +
      "scores a --ema run's live weights instead of its average, into RUN/study-score-live.json.\n" +
      "For --model shipped:NAME those files go to runs/study-NAME/ (models/ stays as committed).",
    [],
    { model: "required: a run folder written by train, or a shipped model (shipped:NAME)" },
  );
  if (flags === null) return;
  if (!flags.model) throw new Error("--model: required (a run directory written by train)");
  if (flags.json) await prepareOutFile(flags.json as string, "--json");
  // A folder that is no run (a missing one, an export) is refused before the backend starts.
  await resolveModelDir(flags.model as string);
  const backend = await startBackend(
    flags.backend as BackendChoice,
    flags.threads as number | undefined,
  );
  const weights = flags.weights as "averaged" | "live";
  const run = await loadScoringRun(flags.model as string, { weights });
  try {
    const bn = await resolveBatchNormStats(run, flags["bn-stats"] as BatchNormStatsFlag);
    const fpr = (run.run.kind === "train" ? run.run.training.fpr : null) ?? 0.05;
    const rows = await compareScoreKinds(asEdeGan(run.model, "study score"), run.data, {
      modes: bn.modes,
      recomputedStats: bn.recomputedStats,
      fpr,
    });
    const round = (v: number) => Math.round(v * 10000) / 10000;
    console.log(formatTable(rows.map((r) => ({
      bnStats: r.bnStats + (bn.choice?.mode === r.bnStats ? " *" : ""),
      kind: r.kind,
      auc: round(r.auc),
      averagePrecision: round(r.averagePrecision),
      f1: round(r.f1),
      threshold: Number(r.calibration.threshold.toPrecision(5)),
    }))));
    if (bn.choice) {
      const objective = Object.entries(bn.choice.validationObjective)
        .map(([mode, v]) => `${mode} ${v!.toPrecision(5)}`).join(", ");
      console.log(
        `* chosen on the validation normals (${run.data.val.count}): ${bn.choice.mode}; ` +
          `generator objective ${objective}`,
      );
    }
    // Beside the run; for a shipped model (committed under models/), under runs/study-NAME.
    const dir = derivedOutputDir(String(flags.model), run.modelDir, "study");
    await Deno.mkdir(dir, { recursive: true });
    const path = join(dir, weights === "live" ? "study-score-live.json" : "study-score.json");
    const body = {
      kind: "study-score",
      model: run.modelDir,
      flags,
      backend: backend.name,
      data: run.data.manifest,
      fpr,
      weights,
      bnStats: {
        asked: flags["bn-stats"],
        modes: bn.modes,
        choice: bn.choice ?? null,
        recomputed: bn.recomputedStats
          ? {
            path: bn.recomputedPath,
            batchSize: bn.recomputedStats.batchSize,
            images: bn.recomputedStats.images,
          }
          : null,
      },
      scoreKinds: {
        latent: `z vs z_hat, ${asEdeGan(run.model, "study score").config.scoreDistance}`,
        reconstruction: "mean |x - x_hat| (L1)",
        features: "mean squared difference of D's last feature maps of x and x_hat",
      },
      rows,
    };
    await writeManifest(path, body);
    if (flags.json) await writeManifest(flags.json as string, body);
    console.log(`written to ${path}`);
  } finally {
    run.model.dispose();
  }
}
