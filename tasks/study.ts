/**
 * `deno task study batch-size|latent`: the paper's two claims, measured. Trains the same class
 * under each setting and prints (and writes with `--json`) a table of test AUC and wall time.
 *
 * @module
 */

import { join } from "@std/path";
import { formatTable, parseFlags, runTask } from "../lib/cli/flags.ts";
import { preset, presetFromArgs } from "../lib/cli/presets.ts";
import type { BackendChoice } from "../lib/backend/select.ts";
import { startBackend, trainOptionsFromFlags } from "../lib/cli/run_flags.ts";
import { runStudy, type StudyName } from "../lib/train/study.ts";
import { writeManifest } from "../lib/train/manifest.ts";
import { prepareOutDir, prepareOutFile } from "../lib/util/out_dir.ts";

await runTask(async () => {
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
    },
    "Studies: `batch-size` (batch 1, 8, 64 with equal images seen) or `latent` (tanh vs none).\n" +
      "Each setting is a run in OUT/<study>-<setting>; --resume continues a study that failed.",
  );
  if (flags === null) return;
  const study = flags._[0];
  if (study !== "batch-size" && study !== "latent") {
    throw new Error(
      `study: expected 'batch-size' or 'latent' as the first argument, got '${study ?? ""}'`,
    );
  }
  const out = (flags.out as string | undefined) ??
    `runs/study-${study}-${flags.dataset}-${flags.normal}`;
  await prepareOutDir(out, "--out");
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
