/**
 * Where a campaign stands (`deno task sweep --spec FILE --status`): each job's state, read from
 * the files a campaign leaves (its result record `OUT/jobs/<id>.json`, its lock
 * `OUT/jobs/<id>.running`, its landed folder, its log `OUT/runs/<id>.log`), without running or
 * changing anything. A long campaign spans sessions and machines; this says what is done, what a
 * live process is running (and how far it got), what was left unfinished, and what is still to
 * run.
 *
 * @module
 */

import { join } from "@std/path";
import { exists } from "../util/atomic.ts";
import { lockHolder, lockIsStale } from "../util/run_lock.ts";
import { type CampaignJob, hasLanded } from "./campaign.ts";
import { readJobResult, settingsDifferences } from "./runner.ts";

/** A campaign job's state, in the order a campaign moves a job through them. */
export type JobState =
  | "to run"
  | "left unfinished"
  | "running"
  | "other flags"
  | "finished"
  | "landed";

/** One job's state and what the files say about it. */
export interface JobStatus {
  id: string;
  state: JobState;
  /** Who runs it (pid, host, since), why it counts as unfinished, or what it is a part of. */
  detail: string;
  /** For a running job: the last progress line of its log (`train 1119/1290 epoch 14/15 ...`). */
  progress?: string;
}

/**
 * The state of each of `jobs` (all of a spec's, in order) whose run folder is `out`:
 *
 * - `landed`: its files are in its landing folder (a part: the job that gathers it has landed or
 *   finished);
 * - `finished`: its record `out/jobs/<id>.json` exists (a job that does not land, or whose
 *   landing was removed);
 * - `other flags`: its record was made with other flags than the spec's of now (`sweep` fails
 *   the job until the record is moved aside or the flags restored); a record that cannot be read
 *   is `to run` (`sweep` runs the job again);
 * - `running`: a live process holds its lock `out/jobs/<id>.running` (`progress` is the last
 *   progress line of `out/runs/<id>.log`);
 * - `left unfinished`: a lock whose process is gone (the next run resumes it);
 * - `to run`: none of these.
 *
 * Reads only; a lock being written at the moment of reading counts as running.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { campaignStatus } from "./campaign_status.ts";
 * const out = await Deno.makeTempDir();
 * await Deno.mkdir(`${out}/jobs`);
 * const record = { id: "a", teacher: { auc: 0.9 }, students: [], settings: { epochs: 2 } };
 * await Deno.writeTextFile(`${out}/jobs/a.json`, JSON.stringify(record));
 * const job = (id: string, epochs = 2) =>
 *   ({ id, task: "train", flags: { epochs }, after: [], files: ["run.json"] }) as never;
 * const states = await campaignStatus([job("a"), job("b")], out);
 * assertEquals(states.map((s) => [s.id, s.state]), [["a", "finished"], ["b", "to run"]]);
 * // The spec edited since: the record no longer counts as finished.
 * const [edited] = await campaignStatus([job("a", 15)], out);
 * assertEquals([edited.state, edited.detail.includes("--epochs 2 -> 15")], ["other flags", true]);
 * ```
 */
export async function campaignStatus(
  jobs: readonly CampaignJob[],
  out: string,
): Promise<JobStatus[]> {
  const byId = new Map(jobs.map((j) => [j.id, j]));
  const record = (id: string) => exists(join(out, "jobs", `${id}.json`));
  const statuses: JobStatus[] = [];
  for (const job of jobs) {
    const whole = job.partOf ? byId.get(job.partOf) : undefined;
    if (await hasLanded(job)) {
      statuses.push({ id: job.id, state: "landed", detail: job.land ?? "" });
      continue;
    }
    if (whole && (await hasLanded(whole) || await record(whole.id))) {
      statuses.push({ id: job.id, state: "landed", detail: `gathered into ${whole.id}` });
      continue;
    }
    const lock = join(out, "jobs", `${job.id}.running`);
    const holder = await lockHolder(lock).catch(() => undefined);
    const locked = holder !== undefined || await exists(lock);
    // The lock read before the record: a job that finishes in between is found finished, not
    // "to run" (its runner writes the record, then releases the lock).
    // An unreadable record under a live lock: the runner that took the lock reruns the job.
    const torn = await record(job.id) && await readJobResult(out, job.id) === undefined;
    if (await record(job.id) && !(torn && locked)) {
      const file = join(out, "jobs", `${job.id}.json`);
      // Read as the runner reads it: a record it cannot parse is rerun, one made with other
      // flags fails the job, so neither is "finished".
      const done = await readJobResult(out, job.id);
      const differences = done ? settingsDifferences(done.settings, job.flags) : [];
      if (done === undefined || differences.length > 0) {
        statuses.push({
          id: job.id,
          state: done === undefined ? "to run" : "other flags",
          detail: done === undefined
            ? `${file} cannot be read: the job runs again`
            : `${file} was made with other flags (${differences.join(", ")}): sweep fails it ` +
              "until the record is moved aside or the spec's flags are restored",
        });
        continue;
      }
      statuses.push({
        id: job.id,
        state: "finished",
        detail: job.land ? `${file}; not in ${job.land}` : "",
      });
      continue;
    }
    if (!locked) {
      const detail = whole
        ? `part of ${whole.id}`
        : job.parts
        ? `gathers ${job.parts.join(", ")}`
        : "";
      statuses.push({ id: job.id, state: "to run", detail });
      continue;
    }
    const stale = holder ? await lockIsStale(lock).catch(() => undefined) : undefined;
    if (stale) {
      statuses.push({ id: job.id, state: "left unfinished", detail: stale });
      continue;
    }
    const known = holder !== undefined && holder.pid > 0;
    statuses.push({
      id: job.id,
      state: "running",
      detail: known
        ? `pid ${holder.pid} on ${holder.host} since ${holder.started_at}`
        : "its lock is being written",
      progress: await lastProgressLine(join(out, "runs", `${job.id}.log`)),
    });
  }
  return statuses;
}

/**
 * The last line of a job's log that reports progress (`... N/M ...`), or undefined: the log of a
 * campaign job is the task's own output, where a long loop prints its progress line by line.
 */
async function lastProgressLine(log: string): Promise<string | undefined> {
  let text: string;
  try {
    const file = await Deno.open(log);
    try {
      // The tail is enough: a log grows to megabytes over a long training.
      const size = (await file.stat()).size;
      const start = Math.max(0, size - 4096);
      await file.seek(start, Deno.SeekMode.Start);
      const buffer = new Uint8Array(size - start);
      let read = 0;
      while (read < buffer.length) {
        const n = await file.read(buffer.subarray(read));
        if (n === null) break;
        read += n;
      }
      text = new TextDecoder().decode(buffer.subarray(0, read));
    } finally {
      file.close();
    }
  } catch {
    return undefined;
  }
  // Each command of a job starts its part of the log with `== <time> <command>`: a resumed job's
  // progress is the lines after the last one, not the killed attempt's.
  const all = text.split(/[\r\n]+/).map((l) => l.trim());
  const start = all.findLastIndex((l) => l.startsWith("== "));
  return all.slice(start + 1).filter((l) => /\d+\/\d+/.test(l)).at(-1);
}

/**
 * How many jobs are in each state, in {@link JobState}'s order, e.g. `3 landed, 1 running, 12 to
 * run`; states with no job are left out.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { stateCounts } from "./campaign_status.ts";
 * assertEquals(
 *   stateCounts([{ id: "a", state: "to run", detail: "" }, { id: "b", state: "landed", detail: "" }]),
 *   "1 landed, 1 to run",
 * );
 * ```
 */
export function stateCounts(statuses: readonly JobStatus[]): string {
  const order: JobState[] = [
    "landed",
    "finished",
    "other flags",
    "running",
    "left unfinished",
    "to run",
  ];
  return order
    .map((state) => [state, statuses.filter((s) => s.state === state).length] as const)
    .filter(([, n]) => n > 0)
    .map(([state, n]) => `${n} ${state}`)
    .join(", ");
}
