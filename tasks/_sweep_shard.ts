// Shared by `deno task sweep` and `deno task reproduce`: start the backend, run this shard's
// jobs with the real job function, print what happened.

import { join } from "@std/path";
import { exists } from "../lib/util/atomic.ts";
import type { EmaOption } from "../lib/train/ema.ts";
import type { BackendChoice } from "../lib/backend/select.ts";
import { startBackend } from "../lib/cli/run_flags.ts";
import type { PresetName } from "../lib/run/presets.ts";
import type { DistillJobSettings } from "../lib/sweep/runner.ts";
import { terminalProgress } from "../lib/util/progress.ts";
import type { SweepJob } from "../lib/sweep/grid.ts";
import { distillJob, jobSettings, runSweep, type SweepSummary } from "../lib/sweep/runner.ts";
import { type Shard, shardJobs } from "../lib/sweep/shard.ts";
import { selectJobs } from "../lib/sweep/select.ts";
import { parseIntList } from "../lib/sweep/grid.ts";
import {
  type CampaignJob,
  campaignJobFunction,
  campaignJobs,
  flagArgs,
  hasLanded,
  parseCampaignSpec,
  shardCampaign,
} from "../lib/sweep/campaign.ts";
import { checkTrainCommand } from "../lib/cli/train_flags.ts";
import { checkDistillCommand } from "../lib/cli/distill_flags.ts";
import { checkNormalClass } from "../lib/data/registry.ts";
import { namingFlags } from "../lib/data/options.ts";
import { rebuildResults } from "../lib/results/rebuild.ts";
import { campaignStatus, stateCounts } from "../lib/sweep/campaign_status.ts";
import { formatTable } from "../lib/cli/flags.ts";

/**
 * The seeds of a sweep: `--seed S` alone, or the `seeds=...` list (default 0); both is an error.
 */
export function seedList(seed: number | undefined, seedsText: string | undefined): number[] {
  if (seedsText !== undefined && seed !== undefined) {
    throw new Error("--seed: give either --seed or seeds=..., not both");
  }
  return seed !== undefined ? [seed] : parseIntList(seedsText ?? "0", "seeds");
}

/** Runs this shard's part of `jobs` (every job of the sweep) and prints a summary. */
export async function runShard(opts: {
  jobs: SweepJob[];
  shard: Shard;
  out: string;
  preset: PresetName;
  /** Sizes given explicitly, winning over the preset's. */
  sizes?: DistillJobSettings["sizes"];
  backend: BackendChoice;
  /** CPU threads of the onednn backend (`--threads`). */
  threads?: number;
  dataDir?: string;
  /** `--ema`: the teachers' generator average (see `DistillJobSettings.ema`). */
  ema?: EmaOption;
}): Promise<SweepSummary> {
  const jobs = shardJobs(opts.jobs, opts.shard);
  console.log(
    `shard ${opts.shard.index}/${opts.shard.count}: ${jobs.length} of ${opts.jobs.length} jobs, ` +
      `preset ${opts.preset}, out ${opts.out}`,
  );
  const backend = await startBackend(opts.backend, opts.threads);
  const summary = await runSweep({
    jobs,
    out: opts.out,
    settings: jobSettings(opts),
    run: distillJob({
      preset: opts.preset,
      sizes: opts.sizes,
      dataDir: opts.dataDir,
      ema: opts.ema,
      backend,
      progress: (label) => terminalProgress(label),
      log: (line) => console.log(`  ${line}`),
    }),
    log: (line) => console.log(line),
  });
  console.log(
    `done: ${summary.ran.length} ran, ${summary.skipped.length} finished before, ` +
      `${summary.rerunKilled.length} rerun after a kill, ${summary.failed.length} failed` +
      (summary.busy.length > 0 ? `, ${summary.busy.length} run by another process` : ""),
  );
  for (const f of summary.failed) console.log(`failed: ${f.id}: ${f.error}`);
  return summary;
}

/**
 * Checks every job of a campaign (every shard's) before any job starts, so that a bad job fails
 * the campaign at once instead of after the others' hours: each job's class against its
 * dataset's classes (`"normal": [1, 12]` for MNIST), and each job's flags as its task reads them
 * (train: `checkTrainCommand`, unknown flags, bad values, a flag the job's `--model-kind` refuses,
 * such as `--latent` or `--bn-stats per-image` for Deep SVDD; distill: `checkDistillCommand`,
 * unknown flags, bad values, `--students`, `--methods`, `--distill-epochs`, `--kd-weights`). Jobs
 * whose flags differ only in class and seed are checked once.
 *
 * @throws {Error} naming `file`, the first bad job and the task's message (the flag, what was
 *   expected, the model).
 */
export function checkCampaignFlags(jobs: CampaignJob[], file: string): void {
  const refuse = (job: CampaignJob, error: unknown) => {
    throw new Error(`${file}: job ${job.id}: ${(error as Error).message}; no job was run`);
  };
  for (const job of jobs) {
    try {
      checkNormalClass(job.dataset, job.normal);
    } catch (error) {
      refuse(job, namingFlags(error as Error));
    }
  }
  const checked = new Set<string>();
  for (const job of jobs) {
    const { normal: _normal, seed: _seed, ...rest } = job.flags;
    const key = JSON.stringify([job.task, rest]);
    if (checked.has(key)) continue;
    checked.add(key);
    try {
      if (job.task === "train") checkTrainCommand(flagArgs(job.flags));
      else checkDistillCommand(flagArgs(job.flags));
    } catch (error) {
      refuse(job, error);
    }
  }
}

/** The spec `file`, read and checked, and its run folder (`out`, else the spec's). */
async function readCampaign(file: string, outFlag?: string) {
  const spec = parseCampaignSpec(
    await Deno.readTextFile(file).catch((error) => {
      throw new Error(`--spec: cannot read ${file} (${error.message})`);
    }),
    file,
  );
  const out = outFlag ?? spec.out;
  if (!out) throw new Error(`--out: required (${file} names no "out")`);
  return { spec, out, listed: campaignJobs(spec, file) };
}

/**
 * `deno task sweep --spec FILE --status`: prints where each job of the spec stands (a table, then
 * the count in each state), reading the campaign's files only (lib/sweep/campaign_status.ts).
 */
export async function printCampaignStatus(opts: {
  file: string;
  out?: string;
  only?: readonly string[];
}): Promise<void> {
  const { out, listed } = await readCampaign(opts.file, opts.out);
  const jobs = opts.only ? selectJobs(listed, opts.only) : listed;
  const statuses = (await campaignStatus(listed, out)).filter((s) =>
    jobs.some((j) => j.id === s.id)
  );
  console.log(
    formatTable(statuses.map((s) => ({
      job: s.id,
      state: s.state,
      detail: [s.detail, s.progress].filter(Boolean).join("; "),
    }))),
  );
  console.log(`${opts.file} (out ${out}): ${stateCounts(statuses)}`);
  if (!await exists(join(out, "jobs"))) {
    console.log(`note: ${join(out, "jobs")} does not exist: no job of this spec has run in ${out}`);
  }
}

/**
 * Runs this shard's jobs of the campaign spec `file` (`deno task sweep --spec FILE`), then, when
 * a job landed files and the spec names its results folder, rebuilds that folder's tables.
 */
export async function runCampaign(opts: {
  file: string;
  out?: string;
  shard: Shard;
  /** `--only`: the patterns a job id must match one of (lib/sweep/select.ts); all jobs if unset. */
  only?: readonly string[];
}): Promise<SweepSummary> {
  const { spec, out, listed } = await readCampaign(opts.file, opts.out);
  checkCampaignFlags(listed, opts.file);
  const all = opts.only ? selectJobs(listed, opts.only) : listed;
  const part = shardCampaign(all, opts.shard);
  // A job with no record here (a fresh machine: runs/ is not committed) whose files have landed
  // is done, and so are its parts; one with a record goes through the runner, which checks its
  // flags.
  const byId = new Map(listed.map((j) => [j.id, j]));
  const record = (id: string) => exists(join(out, "jobs", `${id}.json`));
  const landedBefore = await Promise.all(
    part.map(async (job) => {
      if (await record(job.id)) return false;
      if (!job.partOf) return await hasLanded(job);
      // A part of a job that is done (here, or landed before) is done too.
      const whole = byId.get(job.partOf)!;
      return await record(whole.id) || await hasLanded(whole);
    }),
  );
  const jobs = part.filter((_, k) => !landedBefore[k]);
  console.log(
    `shard ${opts.shard.index}/${opts.shard.count}: ${part.length} of ${all.length} jobs of ` +
      `${opts.file}, out ${out}` +
      (jobs.length < part.length
        ? `; ${part.length - jobs.length} landed before (remove a landed folder to run it again)`
        : ""),
  );
  const summary = await runSweep({
    jobs,
    out,
    // Every job of the spec, so that a job gathers its parts when they were not selected.
    run: campaignJobFunction(listed, { log: (line) => console.log(line) }),
    // A finished job is taken as done only with the flags it ran with.
    settings: (job) => jobs.find((j) => j.id === job.id)!.flags,
    log: (line) => console.log(line),
  });
  console.log(
    `done: ${summary.ran.length} ran, ${summary.skipped.length} finished before, ` +
      `${summary.rerunKilled.length} rerun after a kill, ${summary.failed.length} failed` +
      (summary.busy.length > 0 ? `, ${summary.busy.length} run by another process` : ""),
  );
  for (const f of summary.failed) console.log(`failed: ${f.id}: ${f.error}`);
  const landed = jobs.some((j) => j.land && summary.ran.includes(j.id));
  if (landed && spec.results) {
    const { stale } = await rebuildResults(spec.results, {
      onWait: (h) =>
        console.log(
          `tables: waiting for ${h.pid > 0 ? `the rebuild of pid ${h.pid}` : "a rebuild"} to end`,
        ),
    });
    for (const path of stale) console.log(`${path}: rebuilt`);
  }
  return summary;
}
