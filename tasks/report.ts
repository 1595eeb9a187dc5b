/**
 * `deno task report --run DIR`: writes `DIR/report.html` for a train or distill run directory, or
 * for a distilled student (a job folder `OUT/jobs/<job>/` of `deno task distill`), and prints its
 * path: manifest, metrics tables and figures; self-contained, opens offline. A shipped model
 * (`--run shipped:NAME`, a teacher or a student) is reported into `runs/report-NAME/`, leaving its
 * committed folder as it is.
 *
 * @module
 */

import { join } from "@std/path";
import { parseFlags, runTask } from "../lib/cli/flags.ts";
import { writeRunReport } from "../lib/report/run_report.ts";
import { derivedOutputDir, SHIPPED_PREFIX, shippedRunDir } from "../lib/ship/shipped.ts";
import { type OutDir, prepareOutDir, removeMadeOutDir } from "../lib/util/out_dir.ts";

await runTask(async () => {
  const flags = parseFlags(
    "report",
    Deno.args,
    { run: undefined },
    "Write report.html into a train or distill run directory (the --out of those tasks) or a\n" +
      "student folder of a distillation (OUT/jobs/<job>/); for a shipped model, teacher or\n" +
      "student (--run shipped:NAME), into runs/report-NAME/.",
    [],
    {
      run: "required: a train or distill run directory, a student folder OUT/jobs/<job>/ of " +
        "deno task distill, or a shipped model (shipped:NAME)",
    },
  );
  if (flags === null) return;
  const run = flags.run as string | undefined;
  if (run === undefined) {
    throw new Error(
      "--run is required: the run directory (the --out of deno task train/distill), a student " +
        "folder OUT/jobs/<job>/ of deno task distill, or shipped:NAME",
    );
  }
  let runDir = run;
  let out: string | undefined;
  let outDir: OutDir | undefined;
  if (run.startsWith(SHIPPED_PREFIX)) {
    runDir = await shippedRunDir(run, undefined, "--run");
    out = derivedOutputDir(run, join(runDir, "model"), "report");
    outDir = await prepareOutDir(out, "--run");
  }
  try {
    console.log(await writeRunReport(runDir, out ? { path: join(out, "report.html") } : {}));
  } catch (error) {
    // A refused report leaves no new folder behind.
    if (outDir) await removeMadeOutDir(outDir);
    throw new Error(`--run: ${(error as Error).message}`);
  }
});
