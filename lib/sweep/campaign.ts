/**
 * Campaigns: the long runs behind results/ (the full-length teachers, their students, the
 * distillation design study) as sweep jobs, read from a spec file (`results/teachers/campaign.json`
 * ...) and run by {@link runSweep}: one result file per job (`OUT/jobs/<id>.json`), a finished job
 * skipped, a killed one run again, each job locked while it runs, `--shard i/n` across machines.
 *
 * A job runs `deno task <task>` (train or distill) with the spec's flags into its run folder
 * `OUT/runs/<id>/` (log: `OUT/runs/<id>.log`), resuming a killed training with `--resume` when it
 * left a checkpoint (a distillation reuses every finished student by itself); then the spec's
 * `after` steps (e.g. `deno task study score --model {out}`), each skipped once the file it
 * `creates` exists; then copies the spec's `files` into the job's `land` folder under results/.
 *
 * A spec (JSON):
 *
 * ```json
 * { "about": "what the campaign is", "task": "train",
 *   "flags": { "preset": "paper", "backend": "onednn", "threads": 1, "report": false },
 *   "datasetFlags": { "mnist": { "students": "24.45:1,311.11:1" } },
 *   "after": [{ "task": "study", "args": ["score"], "flags": { "model": "{out}" },
 *     "creates": "study-score.json" }],
 *   "files": ["run.json", "study-score.json", "study-score-live.json?", "jobs/*.json"],
 *   "groups": [{ "id": "{dataset}-{normal}-b64-s{seed}-ema",
 *     "grid": { "dataset": ["mnist"], "normal": [0, 1], "seed": [0] },
 *     "flags": { "batch-size": 64, "ema": 0.99 },
 *     "land": "results/teachers/{dataset}-{normal}-b64-s{seed}" }] }
 * ```
 *
 * A distillation group may split each job into `parts` (`{ "pkdgan": { "methods": "pkdgan" },
 * "alone": { "methods": "scratch,one-step" } }`): each part is a job of its own (`<id>.<part>`,
 * its own run folder and lock, the part's flags over the job's, landing nowhere), so that two
 * cores can run one class's methods side by side; the job itself (`<id>`) then gathers what its
 * parts finished into its run folder, distils only what is missing, and lands as before. It
 * refuses to start while a part runs in another process.
 *
 * Flags: `true` is `--flag`, `false` is `--no-flag`; later levels win (spec, dataset, group).
 * Templates `{dataset}`, `{normal}`, `{seed}`, `{<flag>}` and `{out}` (the run folder) are filled
 * per job. A file ending in `?` is optional; `DIR/*.json` is every JSON file of `DIR`.
 *
 * @module
 */

import { readRunManifest } from "../run/manifest.ts";
import { readJson, readJsonIfPresent } from "../util/json.ts";
import { basename, dirname, fromFileUrl, join } from "@std/path";
import { lockHolder, lockIsStale, processAlive } from "../util/run_lock.ts";
import { DATASET_NAMES, type DatasetName } from "../data/registry.ts";
import { exists, writeFileAtomic } from "../util/atomic.ts";
import type { SweepJob } from "./grid.ts";
import { type JobFunction, type JobOutcome, settingsDifferences } from "./runner.ts";
import { type Shard, shardJobs } from "./shard.ts";

/** A flag's value in a spec: `true` is `--flag`, `false` is `--no-flag`. */
export type FlagValue = string | number | boolean;

/** A command a job runs after its main one. */
export interface CampaignStep {
  /** The task (`study`, ...): `deno task <task>`. */
  task: string;
  /** Positional arguments first (`["score"]`). */
  args?: string[];
  flags?: Record<string, FlagValue>;
  /** A file of the run folder this step writes: when it exists, the step is skipped. */
  creates?: string;
}

/** A group of jobs: one per (dataset, class, seed) of its grid. */
export interface CampaignGroup {
  /** The job id's template, e.g. `{dataset}-{normal}-b64-s{seed}-ema`. */
  id: string;
  grid: { dataset: string[]; normal: number[]; seed: number[] };
  /** Flags of this group's jobs (winning over the spec's). */
  flags?: Record<string, FlagValue>;
  /** Steps after the main command (replacing the spec's `after`). */
  after?: CampaignStep[];
  /** The folder (template) each finished job's `files` are copied into; none: nothing lands. */
  land?: string;
  /**
   * Distillation only: each job also as parts, by name, each with the flags that differ (e.g.
   * `methods`), run as jobs `<id>.<name>` whose finished students the job `<id>` gathers.
   */
  parts?: Record<string, Record<string, FlagValue>>;
}

/** A campaign spec file. */
export interface CampaignSpec {
  /** What the campaign is, in words. */
  about?: string;
  /** The sweep's output folder (job files, run folders), unless `--out` is given. */
  out?: string;
  /** The results folder whose tables `deno task results` rebuilds once a job has landed. */
  results?: string;
  /** The main command of every job. */
  task: "train" | "distill";
  flags?: Record<string, FlagValue>;
  /** Flags by dataset (e.g. each dataset's compression ratios). */
  datasetFlags?: Record<string, Record<string, FlagValue>>;
  after?: CampaignStep[];
  /** The files of a run folder that land (`NAME?`: optional; `DIR/*.json`: a folder's JSON). */
  files?: string[];
  groups: CampaignGroup[];
}

/** One job of a campaign: a sweep job with its commands filled in (but `{out}`). */
export interface CampaignJob extends SweepJob {
  task: CampaignSpec["task"];
  /** The main command's flags, templates filled but `{out}`. */
  flags: Record<string, FlagValue>;
  after: CampaignStep[];
  /** Where the files land (filled), if anywhere. */
  land?: string;
  files: string[];
  /** A part's job: the id of the job that gathers it. */
  partOf?: string;
  /** A job split into parts: its parts' ids, gathered before it runs. */
  parts?: string[];
}

/**
 * Reads and checks a spec; every error names the file and the field.
 *
 * @throws {Error} naming `file` when the text is not JSON or a field is missing or of a wrong type.
 *
 * @example
 * ```ts
 * import { assertThrows } from "@std/assert";
 * import { parseCampaignSpec } from "./campaign.ts";
 * assertThrows(() => parseCampaignSpec('{"task": "train"}', "c.json"), Error,
 *   'c.json: expected "groups": a list of job groups');
 * ```
 */
export function parseCampaignSpec(text: string, file: string): CampaignSpec {
  let spec: CampaignSpec;
  try {
    spec = JSON.parse(text);
  } catch (error) {
    throw new Error(`${file}: not JSON (${(error as Error).message})`);
  }
  const fail = (what: string) => {
    throw new Error(`${file}: expected ${what}`);
  };
  const isObject = (v: unknown) => typeof v === "object" && v !== null && !Array.isArray(v);
  const checkFlags = (flags: unknown, where: string) => {
    if (flags === undefined) return;
    if (!isObject(flags)) fail(`${where}: an object of flags`);
    for (const [k, v] of Object.entries(flags as object)) {
      if (!["string", "number", "boolean"].includes(typeof v)) {
        fail(`${where}."${k}": a string, number or boolean`);
      }
    }
  };
  const checkSteps = (steps: unknown, where: string) => {
    if (steps === undefined) return;
    if (!Array.isArray(steps)) fail(`"${where}": a list of steps`);
    (steps as CampaignStep[]).forEach((s, i) => {
      if (typeof s?.task !== "string") fail(`"${where}"[${i}].task: a task name`);
      checkFlags(s.flags, `"${where}"[${i}].flags`);
    });
  };
  if (!isObject(spec)) fail("an object");
  if (spec.task !== "train" && spec.task !== "distill") fail(`"task": "train" or "distill"`);
  for (const key of ["about", "out", "results"] as const) {
    if (spec[key] !== undefined && typeof spec[key] !== "string") fail(`"${key}": a string`);
  }
  checkFlags(spec.flags, '"flags"');
  for (const [d, flags] of Object.entries(spec.datasetFlags ?? {})) {
    checkFlags(flags, `"datasetFlags"."${d}"`);
  }
  checkSteps(spec.after, "after");
  if (spec.files !== undefined && !Array.isArray(spec.files)) fail('"files": a list of names');
  if (!Array.isArray(spec.groups) || spec.groups.length === 0) {
    fail('"groups": a list of job groups');
  }
  spec.groups.forEach((g, i) => {
    const where = `"groups"[${i}]`;
    if (typeof g?.id !== "string") fail(`${where}.id: a job id template`);
    for (const axis of ["dataset", "normal", "seed"] as const) {
      const values = g.grid?.[axis];
      if (!Array.isArray(values) || values.length === 0) {
        fail(`${where}.grid.${axis}: a non-empty list`);
      }
    }
    for (const d of g.grid.dataset) {
      if (!(DATASET_NAMES as readonly string[]).includes(d)) {
        fail(`${where}.grid.dataset: one of ${DATASET_NAMES.join(", ")}, got '${d}'`);
      }
    }
    for (const axis of ["normal", "seed"] as const) {
      if (!g.grid[axis].every((v) => Number.isInteger(v) && v >= 0)) {
        fail(`${where}.grid.${axis}: integers >= 0`);
      }
    }
    checkFlags(g.flags, `${where}.flags`);
    checkSteps(g.after, `${where}.after`);
    if (g.land !== undefined && typeof g.land !== "string") fail(`${where}.land: a folder`);
    if (g.parts !== undefined) {
      if (spec.task !== "distill") {
        fail(`${where}.parts: only in a distill spec ("task": "distill")`);
      }
      if (!isObject(g.parts) || Object.keys(g.parts).length < 2) {
        fail(`${where}.parts: an object of two or more parts, each a name and its flags`);
      }
      const all = String(g.flags?.methods ?? spec.flags?.methods ?? "").split(",").sort();
      const covered: string[] = [];
      for (const [name, flags] of Object.entries(g.parts)) {
        if (!/^[a-z0-9-]+$/.test(name)) {
          fail(`${where}.parts: names of a-z, 0-9 and -, got '${name}'`);
        }
        checkFlags(flags, `${where}.parts."${name}"`);
        // A part differs from its job in the methods it distils, nothing else (what it finishes
        // is gathered as the job's own).
        if (Object.keys(flags).join() !== "methods") {
          fail(
            `${where}.parts."${name}": only "methods" (a part distils some of its job's methods)`,
          );
        }
        covered.push(...String(flags.methods).split(","));
      }
      if (covered.sort().join() !== all.join()) {
        fail(
          `${where}.parts: methods that together are the job's "methods" (${all.join(",")}), ` +
            `each in one part; got ${covered.join(",")}`,
        );
      }
    }
  });
  return spec;
}

/**
 * `template` with each `{name}` replaced by `values[name]`; `{out}` is kept unless given.
 *
 * @throws {Error} naming the placeholder when it has no value.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { fillTemplate } from "./campaign.ts";
 * assertEquals(fillTemplate("{dataset}-{normal}-b{batch-size}", { dataset: "mnist", normal: 2,
 *   "batch-size": 64 }), "mnist-2-b64");
 * assertEquals(fillTemplate("{out}/model", {}), "{out}/model");
 * ```
 */
export function fillTemplate(template: string, values: Record<string, FlagValue>): string {
  return template.replace(/\{([a-z0-9-]+)\}/g, (whole, name: string) => {
    if (name in values) return String(values[name]);
    if (name === "out") return whole;
    throw new Error(
      `{${name}} in '${template}': no such field (dataset, normal, seed, a flag, out)`,
    );
  });
}

/** Every value of a flags object templated. */
const fillFlags = (flags: Record<string, FlagValue>, values: Record<string, FlagValue>) =>
  Object.fromEntries(
    Object.entries(flags).map(([k, v]) => [k, typeof v === "string" ? fillTemplate(v, values) : v]),
  );

/**
 * The jobs of a spec in order: group by group, each grid by dataset, class, seed (a job split
 * into parts after its parts).
 *
 * @throws {Error} naming `file` when two jobs have the same id or a template has no value.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { campaignJobs } from "./campaign.ts";
 * const jobs = campaignJobs({ task: "train", flags: { preset: "paper" }, groups: [{
 *   id: "{dataset}-{normal}-b{batch-size}-s{seed}", grid: { dataset: ["mnist"], normal: [2, 5],
 *   seed: [0] }, flags: { "batch-size": 64 }, land: "results/teachers/{dataset}-{normal}" }] },
 *   "c.json");
 * assertEquals(jobs.map((j) => [j.id, j.land]), [["mnist-2-b64-s0", "results/teachers/mnist-2"],
 *   ["mnist-5-b64-s0", "results/teachers/mnist-5"]]);
 * ```
 */
export function campaignJobs(spec: CampaignSpec, file: string): CampaignJob[] {
  const jobs: CampaignJob[] = [];
  for (const group of spec.groups) {
    for (const dataset of group.grid.dataset) {
      for (const normal of group.grid.normal) {
        for (const seed of group.grid.seed) {
          const flags: Record<string, FlagValue> = {
            ...spec.flags,
            ...spec.datasetFlags?.[dataset],
            ...group.flags,
            dataset,
            normal,
            seed,
          };
          const values = { ...flags };
          try {
            const id = fillTemplate(group.id, values);
            const base = {
              dataset: dataset as DatasetName,
              normal,
              seed,
              widths: [],
              methods: [],
              task: spec.task,
            };
            const parts = Object.entries(group.parts ?? {}).map(([name, partFlags]) => ({
              ...base,
              id: `${id}.${name}`,
              flags: fillFlags({ ...flags, ...partFlags }, values),
              after: [],
              files: [],
              partOf: id,
            }));
            jobs.push(...parts);
            jobs.push({
              ...base,
              id,
              flags: fillFlags(flags, values),
              after: (group.after ?? spec.after ?? []).map((s) => ({
                ...s,
                flags: fillFlags(s.flags ?? {}, values),
              })),
              ...(group.land ? { land: fillTemplate(group.land, values) } : {}),
              files: spec.files ?? [],
              ...(parts.length > 0 ? { parts: parts.map((p) => p.id) } : {}),
            });
          } catch (error) {
            throw new Error(`${file}: ${(error as Error).message}`);
          }
        }
      }
    }
  }
  const seen = new Set<string>();
  for (const job of jobs) {
    if (seen.has(job.id)) throw new Error(`${file}: two jobs have the id ${job.id}`);
    seen.add(job.id);
  }
  return jobs;
}

/**
 * This shard's jobs of a campaign (`--shard i/n`): every n-th job, a job split into parts counted
 * once and taken with its parts, which it gathers from the same OUT.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { shardCampaign } from "./campaign.ts";
 * const jobs = [{ id: "a.p", partOf: "a" }, { id: "a.q", partOf: "a" }, { id: "a" }, { id: "b" }];
 * assertEquals(shardCampaign(jobs, { index: 1, count: 2 }).map((j) => j.id), ["a.p", "a.q", "a"]);
 * assertEquals(shardCampaign(jobs, { index: 2, count: 2 }).map((j) => j.id), ["b"]);
 * ```
 */
export function shardCampaign<T extends { id: string; partOf?: string }>(
  jobs: readonly T[],
  shard: Shard,
): T[] {
  const unitOf = (job: T) => job.partOf ?? job.id;
  const units = new Set(shardJobs([...new Set(jobs.map(unitOf))], shard));
  return jobs.filter((job) => units.has(unitOf(job)));
}

/**
 * The arguments of `deno task <task>` for a flags object: `--name value`, `--name` for true,
 * `--no-name` for false, in the object's order.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { flagArgs } from "./campaign.ts";
 * assertEquals(flagArgs({ preset: "paper", "batch-size": 64, report: false, resume: true }),
 *   ["--preset", "paper", "--batch-size", "64", "--no-report", "--resume"]);
 * ```
 */
export function flagArgs(flags: Record<string, FlagValue>): string[] {
  return Object.entries(flags).flatMap(([k, v]) =>
    v === true ? [`--${k}`] : v === false ? [`--no-${k}`] : [`--${k}`, String(v)]
  );
}

/** Runs a task with arguments, its output appended to `logFile`; returns the exit code. */
export type TaskRunner = (task: string, args: string[], logFile: string) => Promise<number>;

/** The repository's tasks (`tasks/<task>.ts`), run as `deno task <task>` runs them. */
const ROOT = fromFileUrl(new URL("../../", import.meta.url));

/**
 * Runs `deno run -A tasks/<task>.ts ARGS` (what `deno task <task>` runs), its stdout and stderr
 * appended to the log as they come, after a header line: a long job's progress can be read while
 * it runs. (Each chunk written by hand: in Deno 2.9 a file's `writable` held everything until it
 * closed, and lost it all when piped with `preventClose`.)
 */
export const runTaskProcess: TaskRunner = async (task, args, logFile) => {
  await Deno.writeTextFile(logFile, `== ${new Date().toISOString()} ${task} ${args.join(" ")}\n`, {
    append: true,
  });
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", join(ROOT, "tasks", `${task}.ts`), ...args],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const copy = async (stream: ReadableStream<Uint8Array>) => {
    using file = await Deno.open(logFile, { append: true });
    for await (const chunk of stream) {
      for (let done = 0; done < chunk.length;) done += await file.write(chunk.subarray(done));
    }
  };
  await Promise.all([copy(child.stdout), copy(child.stderr)]);
  return (await child.status).code;
};

/**
 * The job function of a campaign: main command (resumed where it left a checkpoint), `after`
 * steps, landing, and the job's outcome read from the run folder (train: `run.json`; distill:
 * `results.json`). A command that exits non-zero fails the job, naming its log.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { campaignJobFunction } from "./campaign.ts";
 * import { runSweep } from "./runner.ts";
 * const out = await Deno.makeTempDir();
 * const job = { id: "mnist-2", dataset: "mnist" as const, normal: 2, seed: 0, widths: [],
 *   methods: [], task: "train" as const, flags: { epochs: 1 }, after: [], files: [] };
 * const calls: string[][] = [];
 * // A fake `deno task train` that writes a finished run.json.
 * const fake = async (task: string, args: string[]) => {
 *   calls.push([task, ...args]);
 *   await Deno.writeTextFile(`${out}/runs/mnist-2/run.json`, JSON.stringify({ kind: "train",
 *     status: "finished", training: { epochs: 1, batchSize: 64, seed: 0 }, config: { width: 64 },
 *     history: [{ epoch: 1, auc: 0.9 }] }));
 *   return 0;
 * };
 * const run = campaignJobFunction([job], { runTask: fake });
 * assertEquals((await runSweep({ jobs: [job], out, run })).ran, ["mnist-2"]);
 * assertEquals((await runSweep({ jobs: [job], out, run })).skipped, ["mnist-2"]);
 * assertEquals(calls, [["train", "--epochs", "1", "--out", `${out}/runs/mnist-2`]]);
 * ```
 */
export function campaignJobFunction(
  jobs: CampaignJob[],
  opts: { runTask?: TaskRunner; log?: (line: string) => void } = {},
): JobFunction {
  const byId = new Map(jobs.map((j) => [j.id, j]));
  const runTask = opts.runTask ?? runTaskProcess;
  const log = opts.log ?? (() => {});
  return async (sweepJob, runDir) => {
    const job = byId.get(sweepJob.id);
    if (!job) throw new Error(`job ${sweepJob.id} is not in the campaign`);
    await Deno.mkdir(runDir, { recursive: true });
    const logFile = `${runDir}.log`;
    const run = async (task: string, args: string[]) => {
      log(`  ${task} ${args.join(" ")}`);
      const code = await runTask(task, args, logFile);
      if (code !== 0) throw new Error(`deno task ${task} exited with ${code}; see ${logFile}`);
    };
    if (job.parts) await gatherParts(job.parts.map((p) => byId.get(p)!), runDir, job.id);
    const out = { out: runDir };
    // A damaged run.json is not taken for finished: the job runs, and training names the damage.
    const finished = job.task === "train" &&
      (await readRunManifest(join(runDir, "run.json")).catch(() => undefined))?.status ===
        "finished";
    if (!finished) {
      // A killed training continues from its last finished epoch; a distillation reuses every
      // finished student of its folder by itself.
      const resume = job.task === "train" && await exists(join(runDir, "model", "trainer.json"));
      await run(job.task, [...flagArgs({ ...job.flags, ...out }), ...(resume ? ["--resume"] : [])]);
    }
    for (const step of job.after) {
      if (step.creates && await exists(join(runDir, step.creates))) continue;
      await run(step.task, [...step.args ?? [], ...flagArgs(fillFlags(step.flags ?? {}, out))]);
    }
    if (job.land) await land(runDir, job.land, job.files);
    return await outcome(job, runDir);
  };
}

/**
 * Copies into a job's run folder (`OUT/runs/<id>`) every student its parts finished
 * (`OUT/runs/<id>.<part>/jobs/<name>.json` and the student's run folder `<name>/`, the file last:
 * it marks the student done), where the job has none of that name; the distillation then skips
 * them. Only parts with a record (`OUT/jobs/<part>.json`) made with the part's flags of now are
 * gathered; what the others left (checkpoints, students of a part killed before its record) stays
 * behind, and the job distils it itself.
 *
 * @throws {Error} naming the part, when a live process holds its sweep lock
 * (`OUT/jobs/<part>.running`) or its run folder (`run.lock`): the job would train the same students
 * beside it; or when a part's record was made with other flags (a spec edited since).
 */
async function gatherParts(parts: CampaignJob[], runDir: string, id: string): Promise<void> {
  const runs = dirname(runDir);
  const records = join(dirname(runs), "jobs");
  for (const part of parts) {
    for (const lock of [join(records, `${part.id}.running`), join(runs, part.id, "run.lock")]) {
      const holder = await lockHolder(lock);
      if (holder !== undefined && await lockIsStale(lock) === undefined) {
        throw new Error(
          `job ${id}: its part ${part.id} is being run by pid ${holder.pid} on ${holder.host} ` +
            `(${lock}); run ${id} once it has finished`,
        );
      }
    }
  }
  await Deno.mkdir(join(runDir, "jobs"), { recursive: true });
  for (const part of parts) {
    // A part without a record is not gathered; a damaged record is an error naming it.
    const record = await readJsonIfPresent(join(records, `${part.id}.json`)) as
      | { settings?: Record<string, unknown> }
      | undefined;
    if (record === undefined) continue;
    const differences = settingsDifferences(record.settings ?? {}, part.flags);
    if (differences.length > 0) {
      throw new Error(
        `job ${id}: its part ${part.id} finished with other flags (${differences.join(", ")}); ` +
          `remove ${join(records, `${part.id}.json`)} and ${join(runs, part.id)} to run it again`,
      );
    }
    const from = join(runs, part.id, "jobs");
    if (!await exists(from)) continue;
    for await (const entry of Deno.readDir(from)) {
      if (!entry.isFile || !entry.name.endsWith(".json")) continue;
      const name = entry.name.slice(0, -5);
      if (await exists(join(runDir, "jobs", entry.name))) continue;
      if (await exists(join(from, name))) {
        await copyTree(join(from, name), join(runDir, "jobs", name));
      }
      await writeFileAtomic(
        join(runDir, "jobs", entry.name),
        await Deno.readFile(join(from, entry.name)),
      );
    }
  }
}

/** Copies a folder's files and folders into `to` (made as needed). */
async function copyTree(from: string, to: string): Promise<void> {
  await Deno.mkdir(to, { recursive: true });
  for await (const entry of Deno.readDir(from)) {
    if (entry.isDirectory) await copyTree(join(from, entry.name), join(to, entry.name));
    else if (entry.isFile) {
      await writeFileAtomic(join(to, entry.name), await Deno.readFile(join(from, entry.name)));
    }
  }
}

/**
 * Whether a job's results have landed already: it names a `land` folder, its spec requires at
 * least one file (`files` without `?`), and every required file is there (a `DIR/*.json` entry
 * counts when DIR holds one). The runner skips such a job, so that a machine without the run
 * folders (`runs/` is not committed) does not train it again over the committed files; remove the
 * folder to run it again, or run the jobs from a spec that lands nowhere (as
 * `results/design/teachers.json` retrains teachers that `results/teachers/campaign.json` landed).
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { hasLanded } from "./campaign.ts";
 * const dir = await Deno.makeTempDir();
 * const job = { land: dir, files: ["run.json", "scores.csv", "study-score-live.json?"] };
 * assertEquals(await hasLanded(job), false);
 * await Deno.writeTextFile(`${dir}/run.json`, "{}");
 * await Deno.writeTextFile(`${dir}/scores.csv`, "");
 * assertEquals(await hasLanded(job), true);
 * assertEquals(await hasLanded({ files: ["run.json"] }), false);
 * assertEquals(await hasLanded({ land: dir, files: ["study-score-live.json?"] }), false);
 * ```
 */
export async function hasLanded(job: { land?: string; files: string[] }): Promise<boolean> {
  if (!job.land) return false;
  // Nothing required names nothing that could have landed.
  if (job.files.every((entry) => entry.endsWith("?"))) return false;
  for (const entry of job.files) {
    if (entry.endsWith("?")) continue;
    // A `DIR/*.json` entry whose DIR is missing names nothing: not landed.
    const { names } = await entryFiles(job.land, entry).catch(() => ({ names: [] }));
    if (names.length === 0) return false;
    for (const n of names) if (!await exists(join(job.land, n))) return false;
  }
  return true;
}

/**
 * What an entry of a spec's `files` names in `dir`: `NAME` (optional with a trailing `?`) or
 * `SUB/*.json`, every JSON file of `dir/SUB` (sorted; throws when `dir/SUB` cannot be read).
 */
async function entryFiles(
  dir: string,
  entry: string,
): Promise<{ optional: boolean; names: string[] }> {
  const optional = entry.endsWith("?");
  const name = optional ? entry.slice(0, -1) : entry;
  if (!name.endsWith("/*.json")) return { optional, names: [name] };
  const sub = name.slice(0, -7);
  const names = (await Array.fromAsync(Deno.readDir(join(dir, sub))))
    .filter((e) => e.isFile && e.name.endsWith(".json"))
    .map((e) => join(sub, e.name)).sort();
  return { optional, names };
}

/**
 * Copies the listed files of `runDir` into `dest`: a new folder appears whole (built under a hidden
 * name, then renamed); a folder landed before is updated file by file (each written atomically).
 */
async function land(runDir: string, dest: string, files: string[]) {
  const copyInto = async (to: string) => {
    for (const entry of files) {
      const { optional, names } = await entryFiles(runDir, entry);
      for (const n of names) {
        const from = join(runDir, n);
        if (optional && !await exists(from)) continue;
        await writeFileAtomic(join(to, n), await Deno.readFile(from));
      }
    }
  };
  // Landed again (a job rerun): file by file over the folder, which keeps what else it holds.
  if (await exists(dest)) return await copyInto(dest);
  // A new folder appears whole: built under a hidden name beside it (which the results' readers
  // pass over), then renamed, so that another worker rebuilding the tables meanwhile never reads
  // a folder half-landed. A build of this folder left by a killed landing (its process gone) is
  // removed first; another name's build (`mnist-1-s0-x` beside `mnist-1-s0`) is never touched.
  const parent = dirname(dest);
  await Deno.mkdir(parent, { recursive: true });
  const prefix = `${LANDING_PREFIX}${basename(dest)}-`;
  for await (const e of Deno.readDir(parent)) {
    const pid = e.name.startsWith(prefix) ? e.name.slice(prefix.length) : "";
    if (!e.isDirectory || !/^\d+$/.test(pid)) continue;
    if (Number(pid) === Deno.pid || !processAlive(Number(pid))) {
      await Deno.remove(join(parent, e.name), { recursive: true });
    }
  }
  const building = join(parent, `${prefix}${Deno.pid}`);
  try {
    await Deno.mkdir(building);
    await copyInto(building);
    await Deno.rename(building, dest);
  } catch (error) {
    await Deno.remove(building, { recursive: true }).catch(() => {});
    // The folder made meanwhile (by a person, or another spec landing there): file by file.
    if (await exists(dest)) return await copyInto(dest);
    throw error;
  }
}

/**
 * The name prefix of a folder being landed (`.landing-<folder>-<pid>`, beside the folder it
 * becomes): hidden, so that readers of `results/` (which skip names starting with a dot) and git
 * status pass it over.
 */
export const LANDING_PREFIX = ".landing-";

/**
 * A job's result from its run folder: the trained model's (train; any registered model, its name
 * recorded) or the distillation's figures.
 */
async function outcome(job: CampaignJob, runDir: string): Promise<JobOutcome> {
  const base = { dataset: job.dataset, normal_class: job.normal, seed: job.seed };
  if (job.task === "train") {
    const path = join(runDir, "run.json");
    const run = await readRunManifest(path);
    const last = run?.kind === "train" ? run.history?.at(-1) : undefined;
    if (run?.kind !== "train" || typeof last?.auc !== "number") {
      throw new Error(`${path}: expected a training run's history with a test AUC`);
    }
    // Any registered model: its name from the manifest; a width only where its config has one
    // (EDE-GAN's base width; Deep SVDD's two conv widths are no one number).
    const width = run.config?.width;
    return {
      ...base,
      ...(run.model ? { model: run.model } : {}),
      teacher: { ...(typeof width === "number" ? { width } : {}), auc: last.auc },
      students: [],
    };
  }
  // deno-lint-ignore no-explicit-any
  const results = await readJson(join(runDir, "results.json")) as any;
  const t = results.teacher;
  return {
    ...base,
    teacher: { width: t.width, params: t.params, mflops: t.mflops, auc: t.auc },
    students: (results.students ?? []).map((s: Record<string, number | null>) => ({
      width: s.width,
      latent: s.latent,
      params: s.params,
      mflops: s.mflops,
      ratio: s.ratio,
      auc: { scratch: s.auc_scratch, "one-step": s.auc_one_step, pkdgan: s.auc_pkdgan },
    })),
  };
}
