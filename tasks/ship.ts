/**
 * `deno task ship --run RUN --name NAME`: packs a finished run (a `deno task train` run, or a
 * student job folder `RUN/jobs/<job>` of `deno task distill`) into `models/NAME/`, lists it in
 * `models/index.json`, checks that the packed copy reproduces the run's `scores.csv`, and rebuilds
 * the table of shipped models in the `README.md` beside `models/` (its `shipped-models` block;
 * skipped where that folder has no README, as under a test's `EDEGAN_MODELS`). Load the model
 * anywhere a run is expected as `--model shipped:NAME`. `deno task ship --list` prints the table
 * of shipped models and packs nothing.
 *
 * @module
 */

import { parseFlags, runTask } from "../lib/cli/flags.ts";
import type { BackendChoice } from "../lib/backend/select.ts";
import { startBackend } from "../lib/cli/run_flags.ts";
import { packRun, SCORE_TOLERANCE, type ShipStorage } from "../lib/ship/pack.ts";
import { readShippedIndex, shippedModelsDir } from "../lib/ship/shipped.ts";
import { shippedModelsTable, updateReadmeBesideModels } from "../lib/ship/catalogue.ts";

await runTask(async () => {
  const flags = parseFlags(
    "ship",
    Deno.args,
    {
      run: undefined,
      name: undefined,
      dtype: "auto",
      backend: "auto",
      threads: undefined,
      list: false,
    },
    "Pack a finished run into models/NAME (float16 where scores stay within 1e-4 of scores.csv, else mixed).\n" +
      "--list prints the shipped models instead (each loads as --model shipped:NAME).",
    [],
    {
      run: "required (but with --list): a finished run (train), or a distill job folder",
      name: "required (but with --list): the shipped model's name (models/NAME, shipped:NAME): " +
        "lower-case words joined by '-' (mnist-2)",
    },
  );
  if (flags === null) return;
  if (flags.list) {
    const dir = shippedModelsDir();
    console.log(shippedModelsTable(await readShippedIndex(dir)));
    console.log(`(${dir}; load one anywhere a run is expected as --model shipped:NAME)`);
    return;
  }
  if (!flags.run) throw new Error("--run: required (a finished run, or a distill job folder)");
  if (!flags.name) throw new Error("--name: required (lower-case words joined by '-': mnist-2)");
  await startBackend(flags.backend as BackendChoice, flags.threads as number | undefined);
  const shipped = await packRun(flags.run as string, flags.name as string, {
    dtype: flags.dtype as ShipStorage | "auto",
    log: (line) => console.log(line),
  });
  console.log(
    `shipped:${shipped.name}: ${shipped.role}, ${(shipped.bytes / 1e6).toFixed(2)} MB ` +
      `(${shipped.dtype}), AUC ${
        shipped.auc.toFixed(4)
      }, threshold ${shipped.threshold}, scores within ` +
      `${shipped.scoresMaxAbsDiff.toExponential(2)} of scores.csv (tolerance ${
        SCORE_TOLERANCE[shipped.dtype]
      })`,
  );
  // The model is shipped by now: a README that cannot be rebuilt is a warning, not a failure.
  const readme = await updateReadmeBesideModels(shippedModelsDir()).catch((error) => {
    console.warn(`warning: README.md's shipped-models table not rebuilt: ${error.message}`);
    return undefined;
  });
  if (readme) {
    console.log(
      `${readme.readme}: shipped-models table ${readme.changed ? "rebuilt" : "up to date"}`,
    );
  }
});
