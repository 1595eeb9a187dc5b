/**
 * `deno task report --run DIR`: writes `DIR/report.html` for a train or distill run directory
 * (manifest, metrics tables and figures; self-contained, opens offline) and prints its path.
 *
 * @module
 */

import { parseFlags, runTask } from "../lib/cli/flags.ts";
import { writeRunReport } from "../lib/report/run_report.ts";

await runTask(async () => {
  const flags = parseFlags(
    "report",
    Deno.args,
    { run: undefined },
    "Write report.html into a train or distill run directory (the --out of those tasks).",
  );
  if (flags === null) return;
  const run = flags.run as string | undefined;
  if (run === undefined) {
    throw new Error("--run is required: the run directory (the --out of deno task train/distill)");
  }
  try {
    console.log(await writeRunReport(run));
  } catch (error) {
    throw new Error(`--run: ${(error as Error).message}`);
  }
});
