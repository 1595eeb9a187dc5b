// Shared by `deno task sweep` and `deno task reproduce`: start the backend, run this shard's
// jobs with the real job function, print what happened.

import type { BackendChoice } from "../backend/select.ts";
import { startBackend } from "../cli/run_flags.ts";
import type { PresetName } from "../cli/presets.ts";
import { terminalProgress } from "../util/progress.ts";
import type { SweepJob } from "./grid.ts";
import { distillJob, runSweep, type SweepSummary } from "./runner.ts";
import type { Shard } from "./shard.ts";

export async function runShard(opts: {
  jobs: SweepJob[];
  all: number;
  shard: Shard;
  out: string;
  preset: PresetName;
  backend: BackendChoice;
  dataDir?: string;
}): Promise<SweepSummary> {
  console.log(
    `shard ${opts.shard.index}/${opts.shard.count}: ${opts.jobs.length} of ${opts.all} jobs, ` +
      `preset ${opts.preset}, out ${opts.out}`,
  );
  const backend = await startBackend(opts.backend);
  const summary = await runSweep({
    jobs: opts.jobs,
    out: opts.out,
    run: distillJob({
      preset: opts.preset,
      dataDir: opts.dataDir,
      backend,
      progress: (label) => terminalProgress(label),
      log: (line) => console.log(`  ${line}`),
    }),
    log: (line) => console.log(line),
  });
  console.log(
    `done: ${summary.ran.length} ran, ${summary.skipped.length} finished before, ` +
      `${summary.rerunKilled.length} rerun after a kill, ${summary.failed.length} failed`,
  );
  for (const f of summary.failed) console.log(`failed: ${f.id}: ${f.error}`);
  return summary;
}
